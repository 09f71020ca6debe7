"""Each domain has one front door: the shell and the other domains import only its ``__all__``.

Walks the source of ``ecitizen.shell`` and of every domain package and fails on an import of a
domain's internal module (``ecitizen.archive.probe``) or of a name the domain does not export.
"""

from __future__ import annotations

import ast
import importlib
from pathlib import Path

import pytest

import ecitizen

DOMAINS = ("feeds", "archive", "crawler", "digest", "programme")
ROOT = Path(__file__).resolve().parent.parent
#: the repository folder of each package that may import a domain
IMPORTERS = {"shell": ROOT / "shell", **{d: ROOT / d for d in DOMAINS}}


def _imports(folder: Path) -> list[tuple[Path, int, str, str]]:
    found = []
    for path in sorted(folder.rglob("*.py")):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            if isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
                for alias in node.names:
                    found.append((path, node.lineno, node.module, alias.name))
            elif isinstance(node, ast.Import):
                for alias in node.names:
                    found.append((path, node.lineno, alias.name, ""))
    return found


def test_every_domain_declares_its_surface() -> None:
    for domain in DOMAINS:
        module = importlib.import_module(f"ecitizen.{domain}")
        names = getattr(module, "__all__", None)
        assert names, f"ecitizen.{domain} has no __all__"
        for name in names:
            assert hasattr(module, name), f"ecitizen.{domain}.__all__ names {name}, which it does not define"


@pytest.mark.parametrize("importer", sorted(IMPORTERS))
def test_only_front_doors_are_used(importer: str) -> None:
    problems = []
    for path, line, module, name in _imports(IMPORTERS[importer]):
        parts = module.split(".")
        if len(parts) < 2 or parts[0] != "ecitizen" or parts[1] not in DOMAINS or parts[1] == importer:
            continue
        where = f"{path.relative_to(ROOT)}:{line}"
        if len(parts) > 2:
            problems.append(f"{where}: imports the internal module {module}")
            continue
        exported = importlib.import_module(module).__all__
        if name and name not in exported:
            problems.append(f"{where}: {module}.{name} is not in its __all__")
    assert not problems, "\n".join(problems)


def test_no_part_is_loaded_by_name() -> None:
    """Plain imports only: mypy sees every call, a missing part fails at start-up."""
    offenders = []
    for folder in (Path(ecitizen.__file__).parent, *IMPORTERS.values()):
        for path in folder.rglob("*.py"):
            text = path.read_text(encoding="utf-8")
            if "import_module(" in text or "__import__(" in text:
                offenders.append(str(path.relative_to(ROOT)))
    assert not offenders

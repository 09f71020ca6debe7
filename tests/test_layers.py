"""The floors of docs/ARCHITECTURE.md, checked on the imports: the core imports no part, the
domains import the core and only the other domains the document names, nothing imports the shell."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
PARTS = ("feeds", "archive", "crawler", "digest", "programme", "shell")
FOLDERS = {"core": ROOT / "ecitizen", **{p: ROOT / p for p in PARTS}}
#: what each floor may import besides itself (docs/ARCHITECTURE.md, "Imports point downwards")
ALLOWED = {
    "core": set(),
    "feeds": {"core"},
    "archive": {"core"},
    "crawler": {"core"},
    "digest": {"core", "archive", "programme"},
    "programme": {"core", "archive"},
    "shell": {"core", "feeds", "archive", "crawler", "digest", "programme"},
}


def imported_floors(folder: Path) -> dict[str, list[str]]:
    found: dict[str, list[str]] = {}
    for path in folder.rglob("*.py"):
        if "migrations" in path.parts:
            continue
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            names: list[str] = []
            if isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
                if node.module == "ecitizen":
                    names = [f"ecitizen.{a.name}" for a in node.names]
                else:
                    names = [node.module]
            elif isinstance(node, ast.Import):
                names = [a.name for a in node.names]
            for name in names:
                seg = name.split(".")
                if seg[0] != "ecitizen":
                    continue
                floor = seg[1] if len(seg) > 1 and seg[1] in PARTS else "core"
                found.setdefault(floor, []).append(f"{path.relative_to(ROOT)}:{node.lineno}")
    return found


@pytest.mark.parametrize("floor", sorted(FOLDERS))
def test_imports_point_downwards(floor: str) -> None:
    used = imported_floors(FOLDERS[floor])
    wrong = {other: where[:3] for other, where in used.items() if other != floor and other not in ALLOWED[floor]}
    assert not wrong, f"{floor} imports {wrong}; see docs/ARCHITECTURE.md"

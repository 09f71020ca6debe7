"""Type-check the installed layout: ``python tools/typecheck.py [mypy args]``.

The repository keeps the parts in top-level folders (``feeds/``, ``archive/``, ``crawler/``,
``digest/``, ``shell/``) that install as ``ecitizen.<part>`` (setuptools ``package-dir``). mypy
cannot follow setuptools' editable-install import hook, so this script lays out the installed
package as a tree of symbolic links under ``build/typecheck/`` and runs mypy (strict, from
``pyproject.toml``) on it and on ``benchmarks/``. Error paths point into that tree; the file names
after ``build/typecheck/ecitizen/`` are the repository's (``feeds/poll.py`` → ``feeds/poll.py``).
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
TREE = ROOT / "build" / "typecheck"
#: installed name under ``ecitizen`` → repository folder
PARTS = {"feeds": "feeds", "archive": "archive", "crawler": "crawler", "digest": "digest", "programme": "programme",
         "shell": "shell"}


def build_tree() -> Path:
    if TREE.exists():
        shutil.rmtree(TREE)
    pkg = TREE / "ecitizen"
    pkg.mkdir(parents=True)
    for entry in (ROOT / "ecitizen").iterdir():
        if entry.name == "__pycache__":
            continue
        (pkg / entry.name).symlink_to(entry)
    for name, folder in PARTS.items():
        (pkg / name).symlink_to(ROOT / folder)
    return TREE


def main(argv: list[str]) -> int:
    tree = build_tree()
    env = {**os.environ, "MYPYPATH": str(tree)}
    cmd = [sys.executable, "-m", "mypy", "--config-file", str(ROOT / "pyproject.toml"),
           str(tree / "ecitizen"), str(ROOT / "benchmarks"), *argv]
    return subprocess.call(cmd, cwd=str(tree), env=env)


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))

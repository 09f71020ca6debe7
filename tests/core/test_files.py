"""write_atomic: whole files only, and modes others can read (outputs) or not (private)."""

from __future__ import annotations

import os
import stat
from collections.abc import Iterator
from pathlib import Path

import pytest

from ecitizen.files import write_atomic


@pytest.fixture
def umask() -> Iterator[None]:
    old = os.umask(0o022)
    yield
    os.umask(old)


def mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def test_outputs_are_readable_by_others(tmp_path: Path, umask: None) -> None:
    out = write_atomic(tmp_path / "public" / "feed.json", b"{}")
    assert mode(out) == 0o644
    assert mode(out.parent) == 0o755
    assert out.read_bytes() == b"{}"


def test_the_umask_is_respected(tmp_path: Path, umask: None) -> None:
    os.umask(0o077)
    out = write_atomic(tmp_path / "poster.pdf", b"%PDF")
    assert mode(out) == 0o600


def test_private_files_stay_private(tmp_path: Path, umask: None) -> None:
    out = write_atomic(tmp_path / "secret.txt", "x", private=True)
    assert mode(out) == 0o600


def test_replacing_keeps_no_temp_files(tmp_path: Path, umask: None) -> None:
    target = tmp_path / "widget.js"
    write_atomic(target, "a")
    write_atomic(target, "b")
    assert target.read_text() == "b"
    assert [p.name for p in tmp_path.iterdir()] == ["widget.js"]


def test_a_new_sqlite_database_is_private(tmp_path: Path, umask: None) -> None:
    from ecitizen.db import dispose_engines, migrate

    db = tmp_path / "data" / "ecitizen.db"
    migrate(f"sqlite:///{db}")
    dispose_engines()
    assert mode(db) == 0o600

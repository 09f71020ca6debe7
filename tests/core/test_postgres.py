"""The same storage code on a real PostgreSQL server (a throwaway cluster started for the test).

Skipped with a reason when the PostgreSQL server binaries are not installed.
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import tempfile
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
from sqlalchemy import func
from sqlmodel import select

from ecitizen.app import App
from ecitizen.config import parse_config
from ecitizen.db import dispose_engines, session_scope
from ecitizen.pipeline import EntryData, prepare_entries
from ecitizen.storage import Item, Source
from ecitizen.store import store_items
from tests.conftest import base_config_data


def _pg_bin() -> Path | None:
    for cand in sorted(Path("/usr/lib/postgresql").glob("*/bin"), reverse=True):
        if (cand / "initdb").exists():
            return cand
    found = shutil.which("initdb")
    return Path(found).parent if found else None


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture(scope="module")
def pg_url() -> Iterator[str]:
    bindir = _pg_bin()
    if bindir is None:
        pytest.skip("PostgreSQL server binaries (initdb) are not installed")
    try:
        import psycopg  # noqa: F401
    except ImportError:
        pytest.skip("psycopg is not installed")
    root = Path(tempfile.mkdtemp(prefix="ecitizen-pg-"))
    os.chmod(root, 0o777)
    data = root / "data"
    prefix: list[str] = []
    if os.geteuid() == 0:  # initdb refuses to run as root
        if not shutil.which("runuser"):
            pytest.skip("running as root without runuser")
        prefix = ["runuser", "-u", "postgres", "--"]
    port = _free_port()
    try:
        subprocess.run([*prefix, str(bindir / "initdb"), "-D", str(data), "-A", "trust", "-U", "ecitizen",
                        "-E", "UTF8", "--no-locale"], check=True, capture_output=True, timeout=120)
        subprocess.run([*prefix, str(bindir / "pg_ctl"), "-D", str(data), "-l", str(root / "log"), "-w", "-o",
                        f"-p {port} -k {root} -c listen_addresses=127.0.0.1 -c fsync=off", "start"],
                       check=True, capture_output=True, timeout=120)
    except (subprocess.CalledProcessError, subprocess.TimeoutExpired) as exc:
        pytest.skip(f"could not start a PostgreSQL cluster: {exc}")
    try:
        yield f"postgresql+psycopg://ecitizen@127.0.0.1:{port}/postgres"
    finally:
        dispose_engines()
        subprocess.run([*prefix, str(bindir / "pg_ctl"), "-D", str(data), "-m", "immediate", "stop"],
                       capture_output=True, timeout=60)
        shutil.rmtree(root, ignore_errors=True)


def test_storage_and_pipeline_on_postgresql(pg_url: str, tmp_path: Path) -> None:
    data = base_config_data(tmp_path)
    data["database_url"] = pg_url
    app = App(config=parse_config(data, base_dir=str(tmp_path)), now=lambda: datetime(2026, 11, 25, tzinfo=UTC))
    with session_scope(app.engine) as s:
        a = Source(name="a", url="https://a.org/rss")
        b = Source(name="b", url="https://b.org/rss")
        s.add_all([a, b])
        s.flush()
    title = "Запись к врачу через Госуслуги стала доступна жителям Омской области"
    when = datetime(2026, 11, 24, 3, 0, tzinfo=UTC)
    for src, url in ((a, "https://a.org/1"), (b, "https://b.org/9"), (a, "https://a.org/1")):
        prepared = prepare_entries([EntryData(url=url, title=title, published_at=when)], app.rules)
        with session_scope(app.engine) as s:
            row = s.get(Source, src.id)
            assert row is not None
            store_items(s, row, prepared.items, now=app.now())
    with session_scope(app.engine) as s:
        items = list(s.exec(select(Item)))
        assert s.exec(select(func.count()).select_from(Item)).one() == 2
    assert items[0].cluster_id == items[1].cluster_id
    assert items[0].published_at == when and items[0].published_at.tzinfo is not None
    assert {t["id"] for t in items[0].topics} >= {"doctor", "gosuslugi"}

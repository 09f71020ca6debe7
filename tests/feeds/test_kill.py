"""A poll killed with SIGKILL mid-way, then rerun: the database stays intact, no duplicates,
and every source is either fully updated or untouched (one transaction per source)."""

from __future__ import annotations

import json
import os
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest
import yaml

from tests.conftest import ROOT, base_config_data
from tests.feeds.helpers import news, rss
from tests.support.httpserver import LocalServer, Reply

N_SOURCES = 24
N_ENTRIES = 20


def _cli(cfg: Path, *args: str) -> list[str]:
    return [sys.executable, "-c", "from ecitizen.shell.cli import run; run()", *args, "--config", str(cfg)]


def _counts(db: Path) -> tuple[int, int, int]:
    con = sqlite3.connect(db, timeout=30)
    try:
        items = con.execute("select count(*) from item").fetchone()[0]
        done = con.execute("select count(*) from source where last_attempt_at is not null").fetchone()[0]
        return items, done, N_SOURCES
    finally:
        con.close()


def _check_integrity(db: Path) -> dict[str, tuple[int, str | None]]:
    con = sqlite3.connect(db, timeout=30)
    try:
        assert con.execute("pragma integrity_check").fetchone()[0] == "ok"
        assert con.execute("pragma foreign_key_check").fetchall() == []
        dups = con.execute(
            "select source_id, guid, count(*) from item group by source_id, guid having count(*) > 1").fetchall()
        assert dups == []
        rows = con.execute(
            "select s.name, count(i.id), s.last_outcome from source s left join item i on i.source_id = s.id "
            "group by s.id").fetchall()
    finally:
        con.close()
    state = {name: (n, outcome) for name, n, outcome in rows}
    for name, (n, outcome) in state.items():
        # all or nothing per source
        assert (n, outcome) in ((N_ENTRIES, "ok"), (0, None)), (name, n, outcome)
    return state


def _children(pid: int) -> list[int]:
    out = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                stat = (entry / "stat").read_text()
            except OSError:
                continue
            if int(stat.rsplit(")", 1)[1].split()[1]) == pid:
                out.append(int(entry.name))
    return out


def _wait_gone(pids: list[int], timeout: float = 10) -> None:
    deadline = time.monotonic() + timeout
    alive = pids
    while alive and time.monotonic() < deadline:
        time.sleep(0.1)
        alive = [p for p in alive if Path(f"/proc/{p}").exists()
                 and " Z " not in Path(f"/proc/{p}/stat").read_text(errors="replace")]
    assert not alive, f"processes left behind by the killed poll: {alive}"


@pytest.mark.slow
def test_kill_9_mid_poll_then_rerun(tmp_path: Path) -> None:
    data = base_config_data(tmp_path)
    data["http"].update({"global_concurrency": 4, "per_host_concurrency": 4, "total_deadline": 20})
    cfg = tmp_path / "config.yaml"
    cfg.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    db = tmp_path / "test.db"
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    env = {k: v for k, v in env.items() if not k.startswith("ECITIZEN_")}
    with LocalServer("127.0.0.5") as srv:
        for i in range(N_SOURCES):
            srv.route(f"/f{i}", Reply(200, rss(news(N_ENTRIES, prefix=f"Лента {i}", host=f"http://s{i}.example")),
                                      {"Content-Type": "application/rss+xml"}, delay=0.15))
        subprocess.run(_cli(cfg, "init"), check=True, env=env, cwd=tmp_path, capture_output=True, timeout=60)
        con = sqlite3.connect(db)
        con.executemany("insert into source (name, kind, url, topics, settings, enabled, origin, created_at, "
                        "consecutive_failures) values (?, 'feed', ?, '[]', '{}', 1, 'cli', '2026-01-01', 0)",
                        [(f"feed{i:02d}", srv.url(f"/f{i}")) for i in range(N_SOURCES)])
        con.commit()
        con.close()

        proc = subprocess.Popen(_cli(cfg, "feeds", "poll"), env=env, cwd=tmp_path,
                                stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            time.sleep(0.05)
            try:
                _items, done, _ = _counts(db)
            except sqlite3.OperationalError:
                continue
            if done >= 3:
                break
        children = _children(proc.pid)  # the parser worker processes, if the poll started them
        os.kill(proc.pid, signal.SIGKILL)
        proc.wait(timeout=10)
        _wait_gone(children)  # orphaned workers notice and exit
        state = _check_integrity(db)
        done_before = sum(1 for n, _ in state.values() if n)
        assert 0 < done_before < N_SOURCES, "the kill must land mid-poll"

        out = subprocess.run(_cli(cfg, "feeds", "poll", "--json"), env=env, cwd=tmp_path,
                             capture_output=True, timeout=120, check=True)
        rows = json.loads(out.stdout)
        # only the sources the killed run did not finish are polled again
        assert len(rows) == N_SOURCES - done_before
        assert all(r["outcome"] == "ok" and r["new_items"] == N_ENTRIES for r in rows)
        final = _check_integrity(db)
        assert all(n == N_ENTRIES for n, _ in final.values())
        assert _counts(db)[0] == N_SOURCES * N_ENTRIES

        # a forced rerun adds nothing
        out = subprocess.run(_cli(cfg, "feeds", "poll", "--force", "--json"), env=env, cwd=tmp_path,
                             capture_output=True, timeout=120, check=True)
        assert sum(r["new_items"] for r in json.loads(out.stdout)) == 0
        assert _counts(db)[0] == N_SOURCES * N_ENTRIES

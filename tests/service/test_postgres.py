"""The job lock, run records and the persistent job store on a real PostgreSQL server.

Uses the core's throwaway-cluster fixture; skipped with its reason when PostgreSQL is missing.
"""

from __future__ import annotations

import threading
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from sqlmodel import select

from ecitizen.app import App
from ecitizen.config import parse_config
from ecitizen.db import session_scope
from ecitizen.shell.jobs import recover_interrupted, run_job, try_acquire
from ecitizen.shell.scheduler import Service
from ecitizen.storage import JobRun
from tests.conftest import FixedClock, base_config_data
from tests.core.test_postgres import pg_url  # noqa: F401 - the module-scoped cluster fixture


def pg_app(url: str, tmp_path: Path, clock: FixedClock, **schedule: str) -> App:
    data = base_config_data(tmp_path)
    data["database_url"] = url
    if schedule:
        data["schedule"] = schedule
    return App(config=parse_config(data, base_dir=str(tmp_path)), now=clock)


def test_lock_and_overlap_on_postgresql(pg_url: str, tmp_path: Path, clock: FixedClock) -> None:  # noqa: F811
    app = pg_app(pg_url, tmp_path, clock)
    job = f"crawl-{time.monotonic_ns()}"  # the cluster is shared by the module's tests
    assert try_acquire(app.engine, job, "A", now=clock(), ttl=timedelta(hours=1))
    assert not try_acquire(app.engine, job, "B", now=clock())
    clock.advance(hours=2)
    assert try_acquire(app.engine, job, "B", now=clock())  # A's claim expired

    entered, leave = threading.Event(), threading.Event()

    def slow(stop: threading.Event) -> dict[str, Any]:
        entered.set()
        assert leave.wait(10)
        return {"n": 1}

    job2 = job + "-2"
    results: list[Any] = []
    t = threading.Thread(target=lambda: results.append(run_job(app.engine, job2, slow, now=clock, holder="P1")))
    t.start()
    assert entered.wait(10)
    second = run_job(app.engine, job2, lambda s: {}, now=clock, holder="P2")
    leave.set()
    t.join(10)
    assert second.outcome == "skipped" and results[0].outcome == "ok"
    with session_scope(app.engine) as s:
        outcomes = sorted(r.outcome for r in s.exec(select(JobRun).where(JobRun.job == job2)).all())
    assert outcomes == ["ok", "skipped"]
    assert recover_interrupted(app.engine, now=clock()) == []


def test_persistent_job_store_on_postgresql(pg_url: str, tmp_path: Path, clock: FixedClock) -> None:  # noqa: F811
    off = {k: "off" for k in ("feeds_poll", "crawl", "links_check", "weekly_digest", "monthly_outputs")}
    app = pg_app(pg_url, tmp_path, clock, **off, publish="0 * * * *")
    calls: list[str] = []
    service = Service(app, tasks_map={"publish": lambda a, stop: calls.append("publish") or {}})
    service.start()
    try:
        nxt = service.next_runs()
    finally:
        service.stop()
    assert set(nxt) == {"publish"}
    run_at = nxt["publish"]
    assert run_at is not None and datetime.now(UTC) < run_at <= datetime.now(UTC) + timedelta(hours=1)
    assert calls == []

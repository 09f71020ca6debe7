"""The job lock and run records, driven by the injected clock (no sleeping on cron)."""

from __future__ import annotations

import threading
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlmodel import select

from ecitizen.app import App
from ecitizen.db import session_scope
from ecitizen.shell.jobs import (
    recover_interrupted,
    release,
    run_job,
    try_acquire,
)
from ecitizen.storage import JobLock, JobRun
from tests.conftest import FixedClock

#: storage, pipeline, poll, link check and job lock run on SQLite and on the PostgreSQL server
pytestmark = pytest.mark.usefixtures("backend")


def runs(app: App) -> list[JobRun]:
    with session_scope(app.engine) as s:
        return list(s.exec(select(JobRun).order_by(JobRun.id)).all())


def test_lock_excludes_a_second_holder_until_released(app: App, clock: FixedClock) -> None:
    assert try_acquire(app.engine, "crawl", "A", now=clock())
    assert not try_acquire(app.engine, "crawl", "B", now=clock())
    assert try_acquire(app.engine, "links_check", "B", now=clock())  # other jobs are independent
    release(app.engine, "crawl", "B")  # not the holder: no effect
    assert not try_acquire(app.engine, "crawl", "B", now=clock())
    release(app.engine, "crawl", "A")
    assert try_acquire(app.engine, "crawl", "B", now=clock())


def test_an_expired_lock_of_a_dead_process_can_be_taken_over(app: App, clock: FixedClock) -> None:
    assert try_acquire(app.engine, "crawl", "dead", now=clock(), ttl=timedelta(hours=1))
    clock.advance(minutes=59)
    assert not try_acquire(app.engine, "crawl", "B", now=clock())
    clock.advance(minutes=2)
    assert try_acquire(app.engine, "crawl", "B", now=clock())


def test_successful_run_is_recorded_with_counts(app: App, clock: FixedClock) -> None:
    def body(stop: threading.Event) -> dict[str, Any]:
        clock.advance(minutes=3)
        return {"sources": 4, "new_items": 12}

    result = run_job(app.engine, "feeds_poll", body, now=clock)
    assert result.outcome == "ok"
    [run] = runs(app)
    assert (run.job, run.outcome, run.counts, run.error) == ("feeds_poll", "ok", {"sources": 4, "new_items": 12}, None)
    assert run.finished_at is not None and run.finished_at - run.started_at == timedelta(minutes=3)
    with session_scope(app.engine) as s:
        assert s.get(JobLock, "feeds_poll").holder is None  # released


@pytest.mark.parametrize(
    ("exc", "outcome", "error_part"),
    [
        (RuntimeError("база недоступна"), "error", "база недоступна"),
    ],
)
def test_failing_body_is_recorded_never_raised(app: App, clock: FixedClock, exc: Exception, outcome: str,
                                               error_part: str) -> None:
    def body(stop: threading.Event) -> dict[str, Any]:
        raise exc

    result = run_job(app.engine, "crawl", body, now=clock)
    assert result.outcome == outcome
    [run] = runs(app)
    assert run.outcome == outcome and error_part in (run.error or "")
    assert try_acquire(app.engine, "crawl", "next", now=clock())  # lock released after a failure


def test_overlap_second_run_is_skipped_while_first_runs(app: App, clock: FixedClock) -> None:
    entered = threading.Event()
    leave = threading.Event()
    calls: list[str] = []

    def slow(stop: threading.Event) -> dict[str, Any]:
        calls.append("slow")
        entered.set()
        assert leave.wait(10)
        return {"n": 1}

    results: list[Any] = []
    t = threading.Thread(target=lambda: results.append(run_job(app.engine, "crawl", slow, now=clock, holder="P1")))
    t.start()
    assert entered.wait(10)
    # a second process (another holder) fires the same job meanwhile
    second = run_job(app.engine, "crawl", lambda stop: calls.append("second") or {}, now=clock, holder="P2")
    leave.set()
    t.join(10)
    assert calls == ["slow"]
    assert second.outcome == "skipped" and "уже выполняется" in (second.error or "")
    assert results[0].outcome == "ok"
    assert sorted(r.outcome for r in runs(app)) == ["ok", "skipped"]


def test_stop_requested_before_start_skips_the_body(app: App, clock: FixedClock) -> None:
    stop = threading.Event()
    stop.set()
    called = []
    result = run_job(app.engine, "publish", lambda s: called.append(1) or {}, now=clock, stop=stop)
    assert result.outcome == "skipped" and not called


def test_interrupted_by_keyboard_interrupt_is_recorded_and_reraised(app: App, clock: FixedClock) -> None:
    def body(stop: threading.Event) -> dict[str, Any]:
        raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        run_job(app.engine, "crawl", body, now=clock)
    [run] = runs(app)
    assert run.outcome == "interrupted"
    assert try_acquire(app.engine, "crawl", "next", now=clock())


def test_runs_left_running_by_a_killed_process_are_marked_interrupted(app: App, clock: FixedClock) -> None:
    # a process claimed the lock, recorded "running", then died (no finally ran)
    assert try_acquire(app.engine, "crawl", "dead", now=clock(), ttl=timedelta(hours=2))
    with session_scope(app.engine) as s:
        run = JobRun(job="crawl", started_at=clock(), outcome="running")
        s.add(run)
        s.flush()
        lock = s.get(JobLock, "crawl")
        lock.run_id = run.id
        s.add(lock)
    # while its lock is still valid, the run may be alive elsewhere: left alone
    assert recover_interrupted(app.engine, now=clock()) == []
    clock.advance(hours=3)
    fixed = recover_interrupted(app.engine, now=clock())
    assert len(fixed) == 1
    [run] = runs(app)
    assert run.outcome == "interrupted" and run.finished_at == clock()
    with session_scope(app.engine) as s:
        assert s.get(JobLock, "crawl").holder is None
    assert recover_interrupted(app.engine, now=clock()) == []  # idempotent


def test_a_long_job_keeps_its_claim_alive(app: App, clock: FixedClock) -> None:
    """The heartbeat pushes the expiry forward, so a long crawl is not taken over by a second process."""
    import time

    seen: list[bool] = []

    def long_body(stop: threading.Event) -> dict[str, Any]:
        clock.advance(seconds=3)
        time.sleep(1.4)  # one heartbeat (every ttl/4 = 1 s) happens here, at clock + 3 s
        clock.advance(seconds=3)  # 6 s after the start: past the first claim's 4 s
        seen.append(try_acquire(app.engine, "crawl", "other", now=clock(), ttl=timedelta(seconds=4)))
        return {}

    result = run_job(app.engine, "crawl", long_body, now=clock, holder="me", ttl=timedelta(seconds=4))
    assert result.outcome == "ok"
    assert seen == [False]


CHILD = r"""
import sys, threading, time
from datetime import UTC, datetime
from ecitizen.app import App
from ecitizen.shell.jobs import run_job
app = App(sys.argv[1])
marker, go = sys.argv[2], sys.argv[3]
app.engine
print("ready", flush=True)
import os
while not os.path.exists(go):  # start both at the same moment, after the slow imports
    time.sleep(0.01)
def body(stop):
    with open(marker, "a") as fh:
        fh.write("ran\n")
    time.sleep(1.5)
    return {"pid": 1}
result = run_job(app.engine, "crawl", body, now=lambda: datetime.now(UTC))
print(result.outcome)
"""


def test_two_processes_never_run_the_same_job_at_once(tmp_path: Path, database_url: str) -> None:
    """Two `ecitizen run` processes by mistake: real OS processes, one database (SQLite file, PostgreSQL)."""
    import subprocess
    import sys

    import yaml

    from tests.conftest import base_config_data

    data = base_config_data(tmp_path)
    data["database_url"] = database_url
    cfg = tmp_path / "config.yaml"
    cfg.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    App(str(cfg)).engine  # migrate once before the race
    marker, go = tmp_path / "ran.txt", tmp_path / "go"
    procs = [subprocess.Popen([sys.executable, "-c", CHILD, str(cfg), str(marker), str(go)], stdout=subprocess.PIPE,
                              stderr=subprocess.PIPE, text=True) for _ in range(2)]
    for p in procs:
        assert p.stdout is not None and p.stdout.readline().strip() == "ready"
    go.touch()
    outs = [p.communicate(timeout=60) for p in procs]
    assert all(p.returncode == 0 for p in procs), outs
    assert sorted(o.strip() for o, _ in outs) == ["ok", "skipped"]
    assert marker.read_text().count("ran") == 1

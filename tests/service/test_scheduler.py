"""The scheduler: config → cron jobs, missed runs coalesced at start-up, graceful shutdown."""

from __future__ import annotations

import threading
import time
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from apscheduler.jobstores.sqlalchemy import SQLAlchemyJobStore
from apscheduler.schedulers.background import BackgroundScheduler
from apscheduler.triggers.cron import CronTrigger
from sqlmodel import select

from ecitizen.app import App
from ecitizen.db import session_scope
from ecitizen.errors import ConfigError
from ecitizen.shell import tasks
from ecitizen.shell.scheduler import JOBSTORE_TABLE, Service, job_specs
from ecitizen.storage import JobRun

ALL_JOBS = list(tasks.JOBS)


def runs(app: App, job: str | None = None) -> list[JobRun]:
    with session_scope(app.engine) as s:
        q = select(JobRun).order_by(JobRun.id)
        if job:
            q = q.where(JobRun.job == job)
        return list(s.exec(q).all())


def wait_for(pred: Any, timeout: float = 10.0) -> bool:
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        if pred():
            return True
        time.sleep(0.05)
    return False


def test_job_specs_from_config(make_app: Any) -> None:
    app = make_app(schedule={"crawl": "off", "feeds_poll": "*/5 * * * *"})
    specs = {s.name: s.cron for s in job_specs(app.config)}
    assert "crawl" not in specs and specs["feeds_poll"] == "*/5 * * * *"
    assert set(specs) == set(ALL_JOBS) - {"crawl"}


def test_bad_cron_names_the_key(make_app: Any) -> None:
    """Checked with the config itself, so ``init`` refuses it too (not only ``run``)."""
    with pytest.raises(ConfigError) as err:
        make_app(schedule={"publish": "every day"})
    assert err.value.key == "schedule.publish"


def counting_tasks(counter: dict[str, int], gate: threading.Event | None = None) -> dict[str, tasks.TaskFn]:
    def make(name: str) -> tasks.TaskFn:
        def task(app: App, stop: threading.Event) -> dict[str, Any]:
            counter[name] = counter.get(name, 0) + 1
            if gate is not None:
                assert gate.wait(10)
            return {"calls": counter[name]}

        return task

    return {name: make(name) for name in ALL_JOBS}


def persist_missed_job(app: App, job: str, cron: str, missed_since: datetime) -> None:
    """Simulate an earlier `ecitizen run` whose job was due long ago (the machine was off)."""
    from apscheduler.job import Job

    sched = BackgroundScheduler(timezone=app.config.tz)  # never started: only builds the row
    store = SQLAlchemyJobStore(engine=app.engine, tablename=JOBSTORE_TABLE)
    store.start(sched, "default")
    store.add_job(Job(
        sched, id=job, func="ecitizen.shell.scheduler:fire", args=[job], kwargs={}, name=job,
        trigger=CronTrigger.from_crontab(cron, timezone=app.config.tz), executor="default",
        misfire_grace_time=None, coalesce=True, max_instances=1, next_run_time=missed_since,
    ))


def test_a_run_missed_while_off_runs_once_at_start_up(make_app: Any) -> None:
    cron = "0 * * * *"  # hourly: 72 runs were missed over 3 days
    app = make_app(schedule={name: ("0 * * * *" if name == "links_check" else "off") for name in ALL_JOBS})
    persist_missed_job(app, "links_check", cron, datetime.now(UTC) - timedelta(days=3))
    counter: dict[str, int] = {}
    service = Service(app, tasks_map=counting_tasks(counter))
    service.start()
    try:
        assert wait_for(lambda: counter.get("links_check", 0) >= 1)
        time.sleep(0.5)  # would a second coalesced run follow?
    finally:
        service.stop()
    assert counter == {"links_check": 1}
    assert [r.outcome for r in runs(app, "links_check")] == ["ok"]
    nxt = service.next_runs()  # after stop the scheduler is down; read the store instead
    assert nxt == {} or all(v is None or v > datetime.now(UTC) for v in nxt.values())


def test_nothing_missed_means_nothing_runs_at_start_up(make_app: Any) -> None:
    app = make_app()
    counter: dict[str, int] = {}
    service = Service(app, tasks_map=counting_tasks(counter))
    service.start()
    try:
        time.sleep(0.5)
        next_runs = service.next_runs()
    finally:
        service.stop()
    assert counter == {}
    assert set(next_runs) == set(ALL_JOBS)
    assert all(v is not None and v > datetime.now(UTC) - timedelta(seconds=1) for v in next_runs.values())


def test_restart_keeps_the_persisted_schedule_and_a_changed_cron_replaces_it(make_app: Any) -> None:
    app = make_app()
    counter: dict[str, int] = {}
    s1 = Service(app, tasks_map=counting_tasks(counter))
    s1.start()
    first = s1.next_runs()
    s1.stop()
    app2 = make_app(schedule={"publish": "7 3 * * *"})
    s2 = Service(app2, tasks_map=counting_tasks(counter))
    s2.start()
    try:
        second = s2.next_runs()
    finally:
        s2.stop()
    assert second["feeds_poll"] == first["feeds_poll"]
    nxt = second["publish"]
    assert nxt is not None and nxt.astimezone(app2.config.tz).strftime("%H:%M") == "03:07"
    assert counter == {}


def test_shutdown_in_the_middle_lets_the_running_job_finish(make_app: Any) -> None:
    app = make_app(schedule={name: ("0 * * * *" if name == "crawl" else "off") for name in ALL_JOBS})
    persist_missed_job(app, "crawl", "0 * * * *", datetime.now(UTC) - timedelta(hours=2))
    gate = threading.Event()
    counter: dict[str, int] = {}
    service = Service(app, tasks_map=counting_tasks(counter, gate))
    service.start()
    assert wait_for(lambda: counter.get("crawl", 0) == 1)
    assert [r.outcome for r in runs(app, "crawl")] == ["running"]
    stopper = threading.Thread(target=service.stop)  # SIGTERM arrives mid-run
    stopper.start()
    time.sleep(0.3)
    assert stopper.is_alive(), "shutdown must wait for the running unit"
    assert service.stop_event.is_set()
    gate.set()
    stopper.join(10)
    assert not stopper.is_alive()
    [run] = runs(app, "crawl")
    assert run.outcome == "ok" and run.finished_at is not None and run.counts == {"calls": 1}
    # nothing new starts after the stop was requested
    result = service.run_now("crawl")
    assert result.outcome == "skipped" and counter["crawl"] == 1


def test_two_services_on_one_database_never_overlap(make_app: Any) -> None:
    app = make_app()
    gate = threading.Event()
    counter: dict[str, int] = {}
    a = Service(app, tasks_map=counting_tasks(counter, gate))
    b = Service(app, tasks_map=counting_tasks(counter, gate))
    t = threading.Thread(target=a.run_now, args=("crawl",))
    t.start()
    assert wait_for(lambda: counter.get("crawl", 0) == 1)
    skipped = b.run_now("crawl")
    gate.set()
    t.join(10)
    assert skipped.outcome == "skipped"
    assert counter["crawl"] == 1
    assert sorted(r.outcome for r in runs(app, "crawl")) == ["ok", "skipped"]


def test_a_job_due_while_stopping_is_not_submitted(make_app: Any, caplog: pytest.LogCaptureFixture) -> None:
    """SIGTERM during a long job: another job falling due while the first finishes must not end in
    APScheduler's "cannot schedule new futures after shutdown" traceback."""
    from ecitizen.shell.scheduler import _FIRE_REF

    app = make_app(schedule={name: "off" for name in ALL_JOBS})
    gate = threading.Event()
    ran: list[str] = []

    def slow(app: App, stop: threading.Event) -> dict[str, Any]:
        ran.append("slow")
        gate.wait(10)
        return {}

    def quick(app: App, stop: threading.Event) -> dict[str, Any]:
        ran.append("quick")
        return {}

    svc = Service(app, tasks_map={"slow": slow, "quick": quick})
    svc.start()
    assert svc.scheduler is not None
    now = datetime.now(UTC)
    svc.scheduler.add_job(_FIRE_REF, "date", run_date=now + timedelta(seconds=0.2), args=["slow"], id="slow")
    svc.scheduler.add_job(_FIRE_REF, "date", run_date=now + timedelta(seconds=1.0), args=["quick"], id="quick")
    assert wait_for(lambda: "slow" in svc.running)
    threading.Timer(2.0, gate.set).start()  # "quick" falls due while stop() waits for "slow"
    with caplog.at_level("DEBUG"):
        svc.stop(wait=True)
    assert ran == ["slow"]
    assert not [r for r in caplog.records if r.levelname in ("ERROR", "CRITICAL") or r.exc_info], \
        [r.getMessage() for r in caplog.records]

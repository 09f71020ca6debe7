"""The scheduler adapter: APScheduler 3 with a persistent job store in the project database.

Owns: turning the ``schedule`` config into cron triggers (:func:`job_specs`, pure), keeping the
persisted jobs in step with the config without losing a run missed while the machine was off
(coalesced into one run at start-up), firing jobs through :func:`ecitizen.shell.jobs.run_job`
(the database lock, the run record) and the graceful shutdown (the running unit finishes; nothing
new starts).

APScheduler stores ``ecitizen.shell.scheduler:fire`` with the job name as its argument, so the
persisted rows never pickle application objects.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from apscheduler.executors.pool import ThreadPoolExecutor
from apscheduler.jobstores.sqlalchemy import SQLAlchemyJobStore
from apscheduler.schedulers.background import BackgroundScheduler
from apscheduler.schedulers.base import STATE_STOPPED
from apscheduler.triggers.cron import CronTrigger

from ecitizen.app import App
from ecitizen.config import Config
from ecitizen.errors import ConfigError
from ecitizen.shell import tasks
from ecitizen.shell.jobs import DEFAULT_TTL, RunResult, make_holder, recover_interrupted, run_job

log = logging.getLogger("ecitizen.shell.scheduler")

JOBSTORE_TABLE = "apscheduler_jobs"
#: a claim on a job's lock lasts this long (a killed process's claim expires after it)
JOB_TTL: dict[str, timedelta] = {"crawl": timedelta(hours=6), "links_check": timedelta(hours=4)}


@dataclass(frozen=True)
class JobSpec:
    name: str
    cron: str


def job_specs(config: Config) -> list[JobSpec]:
    """The jobs to schedule, validated (a bad cron string names its key)."""
    specs: list[JobSpec] = []
    for name in tasks.JOBS:
        cron = getattr(config.schedule, name)
        if not cron or cron.strip() in ("-", "off"):
            continue
        try:
            CronTrigger.from_crontab(cron, timezone=config.tz)
        except ValueError as exc:
            raise ConfigError(f"schedule.{name}", f"not a cron expression ({exc})") from None
        specs.append(JobSpec(name, cron))
    return specs


def trigger_for(spec: JobSpec, config: Config) -> CronTrigger:
    return CronTrigger.from_crontab(spec.cron, timezone=config.tz)


class _Scheduler(BackgroundScheduler):  # type: ignore[misc]  # APScheduler 3 ships no type hints
    """APScheduler's background scheduler that does nothing once stopped.

    Its loop runs ``_process_jobs`` once more after ``shutdown()`` wakes it, and would hand a job
    that fell due meanwhile to the closed executor (a traceback, and the run lost: its next run
    time is advanced anyway). Stopped, a due job stays due in the store and fires at next start.
    """

    def _process_jobs(self) -> float | None:
        if self.state == STATE_STOPPED:
            return None
        result: float | None = super()._process_jobs()
        return result


# -- the active service of this process (fire() finds it) -----------------------------------------
_active: Service | None = None
_active_lock = threading.Lock()


def fire(job_name: str) -> None:
    """Entry point stored in the job store. Runs one job through the lock and the run record."""
    service = _active
    if service is None:
        log.warning("job %s fired but no service is active in this process", job_name)
        return
    service.run_now(job_name)


class Service:
    """Scheduler + job runner of one ``ecitizen run`` process."""

    def __init__(self, app: App, *, tasks_map: dict[str, tasks.TaskFn] | None = None) -> None:
        self.app = app
        self.tasks = dict(tasks_map or tasks.JOBS)
        self.holder = make_holder()
        self.stop_event = threading.Event()
        self.scheduler: BackgroundScheduler | None = None
        self._running: set[str] = set()
        self._running_lock = threading.Lock()
        self._running_done = threading.Condition(self._running_lock)

    # -- running jobs ---------------------------------------------------------------------------
    def run_now(self, job_name: str, *, record_as: str | None = None) -> RunResult:
        """Run a job in the calling thread (scheduler thread, web "check now", tests)."""
        task = self._task(job_name)
        name = record_as or job_name
        with self._running_lock:
            self._running.add(name)
        try:
            return run_job(
                self.app.engine, name, lambda stop: task(self.app, stop), now=self.app.now,
                holder=self.holder, ttl=JOB_TTL.get(job_name, DEFAULT_TTL), stop=self.stop_event,
            )
        finally:
            with self._running_lock:
                self._running.discard(name)
                self._running_done.notify_all()

    def run_body(self, name: str, body: Callable[[threading.Event], Any]) -> RunResult:
        """Run an ad-hoc body (e.g. "check this source now") as a recorded, locked job."""
        return run_job(self.app.engine, name, body, now=self.app.now, holder=self.holder, stop=self.stop_event)

    def _task(self, job_name: str) -> tasks.TaskFn:
        try:
            return self.tasks[job_name]
        except KeyError:
            raise KeyError(f"unknown job {job_name!r}") from None

    @property
    def running(self) -> set[str]:
        with self._running_lock:
            return set(self._running)

    # -- scheduling -----------------------------------------------------------------------------
    def start(self) -> None:
        global _active
        cfg = self.app.config
        specs = job_specs(cfg)  # config errors before anything starts
        recover_interrupted(self.app.engine, now=self.app.now())
        store = SQLAlchemyJobStore(engine=self.app.engine, tablename=JOBSTORE_TABLE)
        sched = _Scheduler(
            jobstores={"default": store},
            executors={"default": ThreadPoolExecutor(max_workers=max(2, len(specs)))},
            job_defaults={"coalesce": True, "max_instances": 1, "misfire_grace_time": None},
            timezone=cfg.tz,
        )
        with _active_lock:
            _active = self
        sched.start(paused=True)
        self.scheduler = sched
        self.sync_jobs(specs)
        sched.resume()

    def sync_jobs(self, specs: list[JobSpec]) -> None:
        """Make the persisted jobs match the config; a run missed while off fires once now."""
        assert self.scheduler is not None
        sched = self.scheduler
        cfg = self.app.config
        now = datetime.now(UTC)
        wanted = {s.name for s in specs}
        for job in sched.get_jobs():
            if job.id not in wanted:
                job.remove()
        for spec in specs:
            trigger = trigger_for(spec, cfg)
            existing = sched.get_job(spec.name)
            if existing is not None and str(existing.trigger) == str(trigger) and existing.func_ref == _FIRE_REF:
                continue  # keep its next_run_time: APScheduler coalesces missed runs into one
            kwargs: dict[str, Any] = {}
            if existing is not None and existing.next_run_time is not None and existing.next_run_time <= now:
                kwargs["next_run_time"] = now  # missed under the old schedule: run once now
            sched.add_job(
                _FIRE_REF, trigger, args=[spec.name], id=spec.name, name=tasks.job_title(spec.name),
                replace_existing=True, **kwargs,
            )

    def next_runs(self) -> dict[str, datetime | None]:
        if self.scheduler is None:
            return {}
        return {job.id: job.next_run_time for job in self.scheduler.get_jobs()}

    def stop(self, *, wait: bool = True) -> None:
        """Graceful shutdown: nothing new starts; with ``wait`` the running units finish."""
        global _active
        self.stop_event.set()
        if self.scheduler is not None and self.scheduler.running:
            # Paused, and the running units awaited here, before APScheduler's shutdown: its loop
            # only skips work while *paused*; after shutdown() marks it stopped it would still hand
            # a job that falls due during the wait to the closed executor ("cannot schedule new
            # futures after shutdown").
            self.scheduler.pause()
            if wait:
                with self._running_done:
                    self._running_done.wait_for(lambda: not self._running)
            self.scheduler.shutdown(wait=wait)
        with _active_lock:
            if _active is self:
                _active = None


_FIRE_REF = "ecitizen.shell.scheduler:fire"


def next_runs_from_store(app: App) -> dict[str, datetime | None]:
    """Next run times read from the job store (for a web process without its own scheduler)."""
    from sqlalchemy import inspect, text

    out: dict[str, datetime | None] = {}
    engine = app.engine
    if not inspect(engine).has_table(JOBSTORE_TABLE):
        return out
    with engine.connect() as conn:
        for job_id, ts in conn.execute(text(f"SELECT id, next_run_time FROM {JOBSTORE_TABLE}")):
            out[str(job_id)] = datetime.fromtimestamp(ts, UTC) if ts is not None else None
    return out

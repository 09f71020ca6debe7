"""Distributed mode: one scheduler and any number of workers on one shared PostgreSQL database.

Owns: the queue (procrastinate: its tables live in the project's PostgreSQL database, created at
start under the migration lock by :func:`ensure_queue_schema`), what the scheduler's jobs do in
this mode (:func:`queue_jobs`: split the job into units of work and enqueue them, or record the
run as skipped while the previous round's units are still queued), the worker role
(:class:`WorkerRole`: procrastinate's worker in a thread of ``ecitizen run``, one queue task that
runs any unit and records it in ``job_run`` with the worker's name) and the sweeper
(:func:`sweep`): a unit whose worker has sent no heartbeat for ``lease`` seconds (killed, machine
off, network gone) goes back to the queue for another worker, and its ``job_run`` row becomes
``interrupted``.

Not a home-made queue: fetching a unit is procrastinate's ``SELECT … FOR UPDATE SKIP LOCKED``, so
one unit is run by one worker; the heartbeats are procrastinate's (``procrastinate_workers``). What
a unit runs — the domains' front doors — is :mod:`ecitizen.shell.tasks`' (``plan_units``,
``UNIT_BODIES``); the per-host politeness the units share, :mod:`ecitizen.hostgate`'s.

Imported only when ``ecitizen run`` is given a role on PostgreSQL (procrastinate is the
``distributed`` extra). No Flask, no APScheduler here.
"""

from __future__ import annotations

import asyncio
import json
import logging
import threading
import uuid
from collections.abc import Callable, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import procrastinate
from procrastinate.job_context import JobContext
from procrastinate.psycopg_connector import PsycopgConnector
from procrastinate.schema import SchemaManager
from procrastinate.sync_psycopg_connector import SyncPsycopgConnector
from procrastinate.worker import Worker
from sqlalchemy import text, update
from sqlalchemy.engine import Engine
from sqlmodel import col

from ecitizen.app import App
from ecitizen.db import MIGRATION_LOCK_KEY, session_scope
from ecitizen.errors import EcitizenError
from ecitizen.hostgate import GateRules, SharedHostGates, SharedHostLimiter, lease_for, libpq_url
from ecitizen.shell import tasks
from ecitizen.shell.jobs import UNIT_PREFIX, RunResult, SkipRun, worker_name
from ecitizen.storage import JobRun

log = logging.getLogger("ecitizen.shell.distributed")

#: the one queue task: runs any unit (its kind is an argument)
TASK_NAME = "ecitizen:unit"
#: units that need only the database and the network (any machine)
QUEUE_NETWORK = "network"
#: units that write into the data folder (outputs): workers on the machine that keeps it
QUEUE_FILES = "files"
QUEUES = (QUEUE_NETWORK, QUEUE_FILES)
UNIT_QUEUES: dict[str, str] = {
    "feeds": QUEUE_NETWORK, "links": QUEUE_NETWORK, "crawl": QUEUE_NETWORK,
    "poster": QUEUE_FILES, "media_note": QUEUE_FILES, "weekly_digest": QUEUE_FILES, "publish": QUEUE_FILES,
}
#: the advisory lock of the sweeper ("sweep" + the migration key's tail): one sweep at a time
SWEEP_LOCK_KEY = 0x7377_6565_7000_0001
#: a unit that raised is tried once more, a little later (a database restart, a full disk)
UNIT_RETRY = procrastinate.RetryStrategy(max_attempts=2, wait=30)

INTERRUPTED = ("работник, выполнявший эту часть, остановлен или перестал отвечать; "
               "часть передана другому работнику")


@dataclass(frozen=True)
class QueueSettings:
    """How this process takes part (``ecitizen run`` options; documented in docs/deploy.md)."""

    #: units one worker process runs at the same time (each in a thread)
    concurrency: int = 4
    #: seconds without a heartbeat after which a worker counts as gone and its units are given to
    #: the others (heartbeats every ``lease / 6`` seconds)
    lease: float = 60.0
    #: the queues this worker takes units from (empty: all of :data:`QUEUES`)
    queues: tuple[str, ...] = ()
    #: this process in the job log
    name: str = field(default_factory=worker_name)
    #: feed sources per unit, links per unit
    feed_group: int = 10
    link_batch: int = 250

    def __post_init__(self) -> None:
        unknown = sorted(set(self.queues) - set(QUEUES))
        if unknown:
            raise EcitizenError(f"unknown queue {', '.join(unknown)} (queues: {', '.join(QUEUES)})")
        if self.concurrency < 1 or self.lease <= 0:
            raise EcitizenError("the worker concurrency and the lease must be positive")

    @property
    def heartbeat(self) -> float:
        return max(0.2, self.lease / 6)


def is_shared_database(app: App) -> bool:
    """Whether the project's database can carry distributed mode (PostgreSQL)."""
    return app.engine.dialect.name == "postgresql"


def ensure_queue_schema(engine: Engine) -> bool:
    """Create procrastinate's tables and functions when missing. Under the migration lock, so two
    processes starting together on a fresh database create them once. True when created now."""
    with engine.begin() as conn:
        conn.exec_driver_sql(f"SELECT pg_advisory_xact_lock({MIGRATION_LOCK_KEY})")
        if conn.exec_driver_sql("SELECT to_regclass('procrastinate_jobs')").scalar() is not None:
            return False
        dbapi = conn.connection.dbapi_connection
        assert dbapi is not None
        cursor = dbapi.cursor()
        try:
            cursor.execute(SchemaManager.get_schema())  # several statements, no parameters
        finally:
            cursor.close()
    log.warning("created the queue's tables (procrastinate %s)", procrastinate.__version__)
    return True


# -- enqueueing (the scheduler, the web's "run now") ---------------------------------------------


class Queue:
    """Enqueues units from any thread (a procrastinate app with a synchronous connection pool)."""

    def __init__(self, app: App) -> None:
        self.app = app
        self._lock = threading.Lock()
        self._deferrer: procrastinate.App | None = None

    def _open(self) -> procrastinate.App:
        with self._lock:
            if self._deferrer is None:
                connector = SyncPsycopgConnector(conninfo=libpq_url(self.app.database_url), min_size=1, max_size=2)
                self._deferrer = procrastinate.App(connector=connector).open()
            return self._deferrer

    def enqueue(self, units: Sequence[tasks.Unit]) -> list[int]:
        deferrer = self._open()
        ids: list[int] = []
        for queue in QUEUES:
            batch = [unit_kwargs(u) for u in units if UNIT_QUEUES[u.kind] == queue]
            if batch:
                ids += deferrer.configure_task(TASK_NAME, queue=queue).batch_defer(*batch)
        return ids

    def waiting(self, job: str) -> int:
        """Units of ``job`` not finished yet (queued or running)."""
        with self.app.engine.connect() as conn:
            return int(conn.execute(text(
                "SELECT count(*) FROM procrastinate_jobs WHERE task_name = :task "
                "AND status IN ('todo', 'doing') AND args->>'job' = :job"), {"task": TASK_NAME, "job": job},
            ).scalar_one())

    def close(self) -> None:
        with self._lock:
            if self._deferrer is not None:
                self._deferrer.close()
                self._deferrer = None


def enqueue_now(app: App, job: str, settings: QueueSettings | None = None) -> RunResult:
    """Split ``job`` into units and enqueue them now, as the scheduler does when the job falls due
    (``ecitizen jobs run JOB --enqueue``), under the job's lock and recorded."""
    from ecitizen.shell.scheduler import Service

    if not is_shared_database(app):
        raise EcitizenError("--enqueue needs the shared PostgreSQL database")
    ensure_queue_schema(app.engine)
    queue = Queue(app)
    try:
        return Service(app, tasks_map=queue_jobs(queue, settings or QueueSettings())).run_now(job)
    finally:
        queue.close()


def unit_kwargs(unit: tasks.Unit) -> dict[str, Any]:
    return {"job": unit.job, "kind": unit.kind, "label": unit.label, "args": unit.args}


def queue_jobs(queue: Queue, settings: QueueSettings) -> dict[str, tasks.TaskFn]:
    """The scheduler's job bodies in distributed mode: plan the units, enqueue them."""

    def body_for(job: str) -> tasks.TaskFn:
        def body(app: App, stop: threading.Event) -> Mapping[str, Any]:
            waiting = queue.waiting(job)
            if waiting:
                raise SkipRun(f"предыдущий круг ещё не закончен (частей в очереди: {waiting})")
            units = tasks.plan_units(app, job, feed_group=settings.feed_group, link_batch=settings.link_batch)
            counts: dict[str, Any] = {"units": len(queue.enqueue(units))}
            if job in ("feeds_poll", "links_check"):
                counts["sources" if job == "feeds_poll" else "links"] = sum(len(u.args["ids"]) for u in units)
            return counts

        return body

    return {job: body_for(job) for job in tasks.JOBS}


# -- the sweeper: units of a silent worker go back to the queue -----------------------------------

STALLED = """
SELECT job.id FROM procrastinate_jobs job
LEFT JOIN procrastinate_workers w ON w.id = job.worker_id
WHERE job.status = 'doing'
  AND (job.worker_id IS NULL OR w.last_heartbeat < NOW() - make_interval(secs => :lease))
ORDER BY job.id
FOR UPDATE OF job SKIP LOCKED
"""


def sweep(engine: Engine, *, lease: float, now: datetime) -> list[int]:
    """Give the units of workers silent for ``lease`` seconds back to the queue (procrastinate's
    retry: status ``todo``, ``attempts + 1``), mark their ``job_run`` rows ``interrupted``, free the
    host slots those workers held and forget them. One sweeper at a time (an advisory lock);
    returns the units given back."""
    with engine.begin() as conn:
        if not conn.execute(text(f"SELECT pg_try_advisory_xact_lock({SWEEP_LOCK_KEY})")).scalar():
            return []
        stalled = [int(r[0]) for r in conn.execute(text(STALLED), {"lease": lease})]
        gone: set[str] = set()
        for job_id in stalled:
            conn.execute(text("SELECT procrastinate_retry_job_v2(:id, NOW(), NULL, NULL, NULL)"), {"id": job_id})
            gone.update(w for (w,) in conn.execute(text(
                "SELECT worker FROM job_run WHERE outcome = 'running' AND worker IS NOT NULL AND job LIKE :unit"),
                {"unit": f"{UNIT_PREFIX}%#{job_id}"}))
            conn.execute(_interrupt(job_id, now))
        for worker in gone:  # its host slots too, without waiting for their lease (holders: <worker>:<random>)
            conn.execute(text("UPDATE host_slot SET holder = NULL, expires_at = NULL "
                              "WHERE left(holder, length(:w) + 1) = :w || ':'"), {"w": worker})
        conn.execute(text("SELECT procrastinate_prune_stalled_workers_v1(:lease)"), {"lease": lease})
    if stalled:
        log.warning("units %s of silent workers given back to the queue", stalled)
    return stalled


def _interrupt(queue_id: int, at: datetime) -> Any:
    """``job_run`` rows of a unit left ``running`` (its worker died) → ``interrupted``."""
    return (update(JobRun)
            .where(col(JobRun.outcome) == "running")
            .where(col(JobRun.job).like(f"{UNIT_PREFIX}%#{queue_id}"))
            .values(outcome="interrupted", finished_at=at, error=INTERRUPTED))


class Sweeper:
    """:func:`sweep` every heartbeat, in a thread (every scheduler and worker process runs one)."""

    def __init__(self, app: App, settings: QueueSettings) -> None:
        self.app = app
        self.settings = settings
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="queue-sweeper", daemon=True)

    def start(self) -> Sweeper:
        self._thread.start()
        return self

    def _run(self) -> None:
        while not self._stop.wait(self.settings.heartbeat):
            try:
                sweep(self.app.engine, lease=self.settings.lease, now=self.app.now())
            except Exception:  # the next round tries again
                log.warning("sweeping the queue failed", exc_info=True)

    def stop(self) -> None:
        self._stop.set()
        if self._thread.ident is not None:
            self._thread.join(timeout=10)


# -- the worker role -----------------------------------------------------------------------------


def _unit_task(context: JobContext, *, job: str, kind: str, label: str, args: dict[str, Any]) -> dict[str, Any]:
    """The queue task: runs one unit in the worker that fetched it."""
    role = context.additional_context["role"]
    assert isinstance(role, WorkerRole)
    return role.run_unit(context.job.id or 0, context.job.attempts, tasks.Unit(job, kind, args, label))


class WorkerRole:
    """procrastinate's worker on its own event loop in a thread; units run in a pool of
    ``concurrency`` threads. Graceful stop: nothing new is fetched; running units finish."""

    def __init__(self, app: App, settings: QueueSettings) -> None:
        self.app = app
        self.settings = settings
        self.name = settings.name
        cfg = app.config
        self.conninfo = libpq_url(app.database_url)
        lc = cfg.links
        self.link_rules = GateRules(
            limit=lc.per_host_concurrency, interval=lc.min_host_interval_seconds,
            lease=lease_for(lc.total_deadline, lc.per_host_concurrency, lc.min_host_interval_seconds))
        hc = cfg.http
        # the feed poll holds a slot for one fetch (no handing on): the deadline and a margin
        self.feed_limiter = SharedHostLimiter(app.engine, GateRules(limit=hc.per_host_concurrency,
                                                                    lease=hc.total_deadline + 10.0),
                                              holder=f"{self.name}:{uuid.uuid4().hex[:8]}")
        self.politeness = tasks.Politeness(link_gates=self._link_gates, feed_limiter=self.feed_limiter)
        self._thread = threading.Thread(target=self._main, name="queue-worker", daemon=True)
        self._on_failure: Callable[[], None] | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self._worker: Worker | None = None
        self._ready = threading.Event()
        self._stopping = False
        #: why the worker stopped by itself (the database gone for longer than its heartbeat…)
        self.failure: str | None = None

    def _link_gates(self) -> SharedHostGates:
        return SharedHostGates(self.conninfo, self.link_rules, holder=f"{self.name}:{uuid.uuid4().hex[:8]}")

    # -- running -----------------------------------------------------------------------------------
    def start(self, on_failure: Callable[[], None] | None = None) -> WorkerRole:
        """Start; ``on_failure`` is called if the worker later stops by itself."""
        self._on_failure = on_failure
        self._thread.start()
        self._ready.wait(timeout=60)
        if self.failure is not None:
            raise EcitizenError(f"the queue worker did not start: {self.failure}")
        return self

    def _main(self) -> None:
        try:
            asyncio.run(self._run())
            if not self._stopping:
                self.failure = "the queue worker stopped by itself (see the log above)"
        except BaseException as exc:  # reported by start(), or by the process's exit
            self.failure = f"{type(exc).__name__}: {exc}"
            log.exception("the queue worker stopped")
        finally:
            self._ready.set()
            if self.failure is not None and not self._stopping and self._on_failure is not None:
                self._on_failure()

    async def _run(self) -> None:
        s = self.settings
        loop = asyncio.get_running_loop()
        loop.set_default_executor(ThreadPoolExecutor(max_workers=s.concurrency, thread_name_prefix="unit"))
        queue_app = procrastinate.App(connector=PsycopgConnector(conninfo=self.conninfo, min_size=1, max_size=4))
        queue_app.task(name=TASK_NAME, pass_context=True, retry=UNIT_RETRY)(_unit_task)
        async with queue_app.open_async():
            worker = Worker(
                queue_app, queues=list(s.queues) or None, name=self.name, concurrency=s.concurrency,
                install_signal_handlers=False, update_heartbeat_interval=s.heartbeat,
                stalled_worker_timeout=s.lease, fetch_job_polling_interval=max(0.5, s.heartbeat),
                delete_jobs="successful", additional_context={"role": self},
            )
            self._worker, self._loop = worker, loop
            self._ready.set()
            await worker.run()  # type: ignore[no-untyped-call]

    def stop(self) -> None:
        """Fetch nothing new; wait for the running units."""
        self._stopping = True
        if self._loop is not None and self._worker is not None and self._thread.is_alive():
            self._loop.call_soon_threadsafe(self._worker.stop)
        if self._thread.ident is not None:
            self._thread.join()

    # -- one unit ----------------------------------------------------------------------------------
    def run_unit(self, queue_id: int, attempts: int, unit: tasks.Unit) -> dict[str, Any]:
        """Run one unit and record it in ``job_run`` (with this worker's name). A unit that raises
        is recorded ``error`` and raised again, for the queue's retry."""
        engine, now = self.app.engine, self.app.now
        with session_scope(engine) as session:
            session.execute(_interrupt(queue_id, now()))  # an earlier attempt, if its worker died
            run = JobRun(job=tasks.unit_run_name(unit, queue_id), started_at=now(), outcome="running",
                         worker=self.name, counts={"attempt": attempts + 1} if attempts else {})
            session.add(run)
            session.flush()
            run_id = run.id
        assert run_id is not None
        try:
            counts = dict(tasks.UNIT_BODIES[unit.kind](self.app, unit.args, self.politeness))
        except Exception as exc:
            log.exception("unit %s of %s failed", unit.label, unit.job)
            _finish(engine, run_id, now(), "error", {}, f"{type(exc).__name__}: {exc}"[:2000])
            raise
        _finish(engine, run_id, now(), "ok", counts, None)
        return _json(counts)


def _json(value: Mapping[str, Any]) -> dict[str, Any]:
    result: dict[str, Any] = json.loads(json.dumps(value, default=str))
    return result


def _finish(engine: Engine, run_id: int, at: datetime, outcome: str, counts: Mapping[str, Any],
            error: str | None) -> None:
    with session_scope(engine) as session:
        run = session.get(JobRun, run_id)
        if run is None:
            return
        run.finished_at, run.outcome, run.error = at, outcome, error
        run.counts = {**run.counts, **_json(counts)}
        session.add(run)


# -- one process's share ---------------------------------------------------------------------------


class Distributed:
    """The distributed pieces of one ``ecitizen run``: the queue, the worker role, the sweeper."""

    def __init__(self, app: App, settings: QueueSettings, *, worker: bool, scheduler: bool) -> None:
        if not is_shared_database(app):
            raise EcitizenError("roles need the shared PostgreSQL database (database_url: postgresql+psycopg://…); "
                                "with SQLite run «ecitizen run» without --role worker")
        self.app = app
        self.settings = settings
        self.queue = Queue(app)
        self.worker = WorkerRole(app, settings) if worker else None
        self.sweeper = Sweeper(app, settings) if worker or scheduler else None

    def jobs(self) -> dict[str, tasks.TaskFn]:
        return queue_jobs(self.queue, self.settings)

    def start(self, on_failure: Callable[[], None] | None = None) -> None:
        ensure_queue_schema(self.app.engine)
        if self.worker is not None:
            self.worker.start(on_failure)
        if self.sweeper is not None:
            self.sweeper.start()

    @property
    def failure(self) -> str | None:
        return self.worker.failure if self.worker is not None else None

    def stop(self) -> None:
        if self.worker is not None:
            self.worker.stop()
        if self.sweeper is not None:
            self.sweeper.stop()
        self.queue.close()

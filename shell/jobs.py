"""Job runs: the database lock that keeps a job from overlapping itself, and the run records.

Owns: claiming/releasing the ``job_lock`` row of a job (an atomic ``UPDATE … WHERE free or
expired``, which works the same on SQLite and PostgreSQL and across processes), recording every
run in ``job_run`` (start, end, outcome, counts, error) and marking runs left ``running`` by a
killed process as ``interrupted``. The job bodies live in :mod:`ecitizen.shell.tasks`.

Must not import Flask or APScheduler: the scheduler and the web interface both call this.
"""

from __future__ import annotations

import logging
import os
import socket
import threading
import traceback
import uuid
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import or_, update
from sqlalchemy.engine import Engine
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col, select

from ecitizen.db import session_scope
from ecitizen.storage import JobLock, JobRun

log = logging.getLogger("ecitizen.shell.jobs")

Clock = Callable[[], datetime]
#: a job body: takes a cancellation event, returns counts for the run record
JobBody = Callable[[threading.Event], Mapping[str, Any]]

#: how long a claim lasts before another process may take it over (a killed process's lock)
DEFAULT_TTL = timedelta(hours=2)


@dataclass(frozen=True)
class RunResult:
    job: str
    outcome: str  # ok | error | skipped | interrupted
    run_id: int | None
    counts: dict[str, Any] = field(default_factory=dict)
    error: str | None = None


def make_holder() -> str:
    """An identifier of this process (host, pid, random part) stored in the lock row."""
    return f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:8]}"


def try_acquire(engine: Engine, job: str, holder: str, *, now: datetime, ttl: timedelta = DEFAULT_TTL) -> bool:
    """Claim the lock of ``job`` for ``holder``. True when claimed; False when another holds it."""
    with session_scope(engine) as session:
        if session.get(JobLock, job) is None:
            session.add(JobLock(job=job))
            try:
                session.flush()
            except IntegrityError:  # another process inserted it first: fine, race for the UPDATE
                session.rollback()
    with engine.begin() as conn:
        res = conn.execute(
            update(JobLock)
            .where(col(JobLock.job) == job)
            .where(or_(col(JobLock.holder).is_(None), col(JobLock.expires_at) < now))
            .values(holder=holder, acquired_at=now, expires_at=now + ttl, run_id=None)
        )
        return bool(res.rowcount == 1)


def release(engine: Engine, job: str, holder: str) -> None:
    with engine.begin() as conn:
        conn.execute(
            update(JobLock)
            .where(col(JobLock.job) == job)
            .where(col(JobLock.holder) == holder)
            .values(holder=None, expires_at=None, run_id=None)
        )


def extend(engine: Engine, job: str, holder: str, *, now: datetime, ttl: timedelta) -> bool:
    """Push the claim's expiry forward while the job is still running (a heartbeat)."""
    with engine.begin() as conn:
        res = conn.execute(
            update(JobLock).where(col(JobLock.job) == job).where(col(JobLock.holder) == holder)
            .values(expires_at=now + ttl)
        )
        return bool(res.rowcount == 1)


def _heartbeat(engine: Engine, job: str, holder: str, now: Clock, ttl: timedelta, done: threading.Event) -> None:
    interval = max(1.0, ttl.total_seconds() / 4)
    while not done.wait(interval):
        try:
            extend(engine, job, holder, now=now(), ttl=ttl)
        except Exception:
            log.warning("could not extend the lock of %s", job, exc_info=True)


def _set_lock_run(engine: Engine, job: str, holder: str, run_id: int) -> None:
    with engine.begin() as conn:
        conn.execute(
            update(JobLock).where(col(JobLock.job) == job).where(col(JobLock.holder) == holder).values(run_id=run_id)
        )


def recover_interrupted(engine: Engine, *, now: datetime) -> list[int]:
    """Mark runs left ``running`` whose lock is gone or expired as ``interrupted``; free those locks.

    Called at start-up: a process killed mid-run (power cut, ``kill -9``) leaves such rows.
    """
    fixed: list[int] = []
    with session_scope(engine) as session:
        running = session.exec(select(JobRun).where(JobRun.outcome == "running")).all()
        for run in running:
            lock = session.get(JobLock, run.job)
            held = (
                lock is not None
                and lock.holder is not None
                and lock.run_id == run.id
                and lock.expires_at is not None
                and lock.expires_at >= now
            )
            if held:
                continue
            run.outcome = "interrupted"
            run.finished_at = now
            run.error = "процесс остановлен во время работы задачи"
            session.add(run)
            assert run.id is not None
            fixed.append(run.id)
        for lock in session.exec(select(JobLock).where(col(JobLock.holder).is_not(None))).all():
            if lock.expires_at is None or lock.expires_at < now:
                lock.holder = None
                lock.expires_at = None
                lock.run_id = None
                session.add(lock)
    return fixed


def _short_error(exc: BaseException) -> str:
    text = f"{type(exc).__name__}: {exc}"
    return text[:2000]


def run_job(
    engine: Engine,
    job: str,
    body: JobBody,
    *,
    now: Clock,
    holder: str | None = None,
    ttl: timedelta = DEFAULT_TTL,
    stop: threading.Event | None = None,
) -> RunResult:
    """Run ``body`` under the job's lock and record the run. Never raises for a failing body.

    * lock held elsewhere → a ``skipped`` run is recorded and the body does not run;
    * ``stop`` already set (shutting down) → ``skipped``, the body does not start;
    * the body raises → ``error`` with the message; ``KeyboardInterrupt``/``SystemExit`` →
      ``interrupted`` (and re-raised).
    """
    holder = holder or make_holder()
    stop = stop or threading.Event()
    started = now()
    if stop.is_set():
        return _record_instant(engine, job, started, "skipped", "служба останавливается")
    if not try_acquire(engine, job, holder, now=started, ttl=ttl):
        return _record_instant(engine, job, started, "skipped", "задача уже выполняется (другой процесс или поток)")
    try:
        with session_scope(engine) as session:
            run = JobRun(job=job, started_at=started, outcome="running")
            session.add(run)
            session.flush()
            run_id = run.id
        assert run_id is not None
        _set_lock_run(engine, job, holder, run_id)
        outcome, counts, error = "ok", {}, None
        done = threading.Event()
        beat = threading.Thread(target=_heartbeat, args=(engine, job, holder, now, ttl, done), daemon=True,
                                name=f"lock-{job}")
        beat.start()
        try:
            counts = dict(body(stop))
        except (KeyboardInterrupt, SystemExit) as exc:
            _finish(engine, run_id, now(), "interrupted", {}, _short_error(exc))
            raise
        except Exception as exc:  # noqa: BLE001 - a failing job is recorded, never raised
            log.error("job %s failed: %s", job, traceback.format_exc())
            outcome, error = "error", _short_error(exc)
        finally:
            done.set()
        _finish(engine, run_id, now(), outcome, counts, error)
        return RunResult(job, outcome, run_id, counts, error)
    finally:
        release(engine, job, holder)


def _finish(engine: Engine, run_id: int, at: datetime, outcome: str, counts: dict[str, Any], error: str | None) -> None:
    with session_scope(engine) as session:
        run = session.get(JobRun, run_id)
        if run is None:  # pragma: no cover - deleted under us
            return
        run.finished_at = at
        run.outcome = outcome
        run.counts = _jsonable(counts)
        run.error = error
        session.add(run)


def _record_instant(engine: Engine, job: str, at: datetime, outcome: str, reason: str) -> RunResult:
    with session_scope(engine) as session:
        run = JobRun(job=job, started_at=at, finished_at=at, outcome=outcome, counts={}, error=reason)
        session.add(run)
        session.flush()
        run_id = run.id
    return RunResult(job, outcome, run_id, {}, reason)


def _jsonable(value: Any) -> Any:
    if isinstance(value, Mapping):
        return {str(k): _jsonable(v) for k, v in value.items()}
    if isinstance(value, list | tuple | set):
        return [_jsonable(v) for v in value]
    if isinstance(value, str | int | float | bool) or value is None:
        return value
    if isinstance(value, datetime):
        return value.isoformat()
    return str(value)


def last_runs(session: Session, *, limit: int = 50, job: str | None = None) -> list[JobRun]:
    q = select(JobRun)
    if job:
        q = q.where(JobRun.job == job)
    q = q.order_by(col(JobRun.started_at).desc(), col(JobRun.id).desc()).limit(limit)
    return list(session.exec(q).all())


def last_run_per_job(session: Session) -> dict[str, JobRun]:
    out: dict[str, JobRun] = {}
    for run in last_runs(session, limit=500):
        out.setdefault(run.job, run)
    return out

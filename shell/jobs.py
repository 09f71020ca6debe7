"""Job runs: the database lock that keeps a job from overlapping itself, and the run records.

Owns: claiming/releasing the ``job_lock`` row of a job (an atomic ``UPDATE … WHERE free or
expired``, which works the same on SQLite and PostgreSQL and across processes), recording every
run in ``job_run`` (start, end, outcome, counts, error) and marking runs left ``running`` by a
killed process as ``interrupted``. The job bodies live in :mod:`ecitizen.shell.tasks`.
How a run is shown (pure, for the web's job log and dashboard): the Russian names of the states
(:data:`RUN_OUTCOME_LABELS`), the state shown for an outcome and its counts
(:func:`shown_outcome`: a run in which sources or links failed is «выполнено с ошибками», not
«успешно») and the counts with Russian names (:func:`describe_counts`).

Must not import Flask or APScheduler: the scheduler and the web interface both call this.
"""

from __future__ import annotations

import logging
import os
import re
import socket
import threading
import traceback
import uuid
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import PurePath
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

#: the state a run is shown in when it finished ``ok`` but its counts say that some sources or
#: links failed (``failed`` > 0): not green, not red (:func:`shown_outcome`)
PARTLY_FAILED = "partly_failed"

#: Russian names of the states a run is shown in: the stored outcomes and :data:`PARTLY_FAILED`
RUN_OUTCOME_LABELS: dict[str, str] = {
    "running": "выполняется",
    "ok": "успешно",
    PARTLY_FAILED: "выполнено с ошибками",
    "error": "ошибка",
    "skipped": "пропущено",
    "interrupted": "прервано",
}


#: ``job_run.job`` of a unit of work run by a queue worker (distributed mode): no ``job_lock`` of its
#: own (the queue runs it once), so :func:`recover_interrupted` leaves it to the queue's sweeper
UNIT_PREFIX = "unit:"


class SkipRun(Exception):  # noqa: N818 - a signal, not an error
    """Raised by a job body that decides not to run now: the run is recorded ``skipped`` with the
    message as its reason (distributed mode: the previous round's units are still queued)."""


def worker_name() -> str:
    """This process as the job log names it: ``host:pid``."""
    return f"{socket.gethostname()}:{os.getpid()}"


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
            if run.job.startswith(UNIT_PREFIX):
                continue
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
            run = JobRun(job=job, started_at=started, outcome="running", worker=worker_name())
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
        except SkipRun as exc:
            outcome, error = "skipped", str(exc)
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
        run = JobRun(job=job, started_at=at, finished_at=at, outcome=outcome, counts={}, error=reason,
                     worker=worker_name())
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
        if not run.job.startswith(UNIT_PREFIX):
            out.setdefault(run.job, run)
    return out


# -- how a run is shown (pure; the web's job log and dashboard) ------------------------------------


def failed_count(counts: Mapping[str, Any] | None) -> int:
    """The ``failed`` count of a run (sources or links that failed inside it), 0 when absent."""
    value = (counts or {}).get("failed")
    return value if isinstance(value, int) and not isinstance(value, bool) else 0


def shown_outcome(outcome: str, counts: Mapping[str, Any] | None) -> str:
    """The state a run is shown in: its stored outcome, except that an ``ok`` run whose counts say
    that some sources or links failed (``failed`` > 0) is :data:`PARTLY_FAILED` — a run with
    failures is never shown as a plain success."""
    if outcome == "ok" and failed_count(counts) > 0:
        return PARTLY_FAILED
    return outcome


#: Russian names of the counts the job bodies record (``ecitizen.shell.tasks.report_counts`` over
#: the domains' reports); nested mappings (the weekly digest's ``counts``) use the same names
COUNT_LABELS: dict[str, str] = {
    "sources": "источников",
    "units": "частей работы в очереди",
    "links": "ссылок",
    "attempt": "попытка",
    "failed": "из них с ошибками",
    "failed_sources": "источники с ошибками",
    "checked": "проверено ссылок",
    "counts_by_outcome": "итоги проверки",
    "events": "событий по ссылкам",
    "pages": "прочитано страниц",
    "entries": "прочитано записей",
    "new_items": "новых записей",
    "added": "новых записей",
    "updated_items": "обновлённых записей",
    "updated": "обновлённых записей",
    "unchanged": "записей без изменений",
    "rejected": "отброшено записей",
    "week": "неделя",
    "month": "месяц",
    "items": "записей за неделю",
    "news": "новостей",
    "new_services": "новых услуг",
    "page_changes": "изменений страниц",
    "duplicates": "повторов",
    "approved": "одобрено",
    "awaiting_review": "ждут проверки",
    "links_need_person": "ссылок требуют внимания",
    "link_changes": "изменений на страницах ссылок",
    "failing_sources": "источников с ошибками",
    "posters": "плакатов",
    "media_note": "заметка для СМИ",
    "files": "файлов",
    "html": "обзор",
    "text": "текст обзора",
    "subject": "тема письма",
    "sent": "разослан по почте",
    "sent_to": "адресатов",
    "elapsed_seconds": "длилась",
    "error": "ошибка обхода",
    "exit_code": "код завершения обхода",
    "result": "итог",
    "log": "журнал обхода",
}
#: counts not shown: the run record has its own times; ``ok`` repeats the outcome; the statuses
#: after a link check repeat its results
HIDDEN_COUNTS = frozenset({"started_at", "finished_at", "start", "end", "ok", "counts_by_status"})
#: counts not shown when they are 0 (nothing went wrong)
HIDDEN_WHEN_ZERO = frozenset({"failed", "rejected", "exit_code"})


@dataclass(frozen=True)
class CountLine:
    label: str
    value: str


_WEEK = re.compile(r"^(\d{4})-W(\d{2})$")
_MONTH = re.compile(r"^(\d{4})-(\d{2})$")
_EXCEPTION_PREFIX = re.compile(r"^[A-Z][A-Za-z0-9_]*(?:Error|Exception|Interrupt|Exit)_?: ")


def _duration(seconds: float) -> str:
    total = round(seconds)
    if total < 60:
        return f"{total} с"
    minutes, secs = divmod(total, 60)
    if minutes < 60:
        return f"{minutes} мин {secs} с" if secs else f"{minutes} мин"
    hours, minutes = divmod(minutes, 60)
    return f"{hours} ч {minutes} мин"


def _text(key: str, value: Any, when: Callable[[datetime], str]) -> str | None:
    """A count's value as a person reads it; None when there is nothing to show."""
    from ecitizen.dates import MONTHS_NOMINATIVE

    if value is None or value == "" or (key in HIDDEN_WHEN_ZERO and value == 0):
        return None
    if isinstance(value, bool):
        return "да" if value else "нет"
    if key == "elapsed_seconds" and isinstance(value, int | float):
        return _duration(float(value))
    if isinstance(value, float):
        return f"{value:.1f}".replace(".", ",")
    if isinstance(value, int):
        return str(value)
    text = str(value)
    if m := _WEEK.match(text):
        return f"{int(m.group(2))}-я неделя {m.group(1)} г."
    if key == "month" and (m := _MONTH.match(text)) and 1 <= int(m.group(2)) <= 12:
        return f"{MONTHS_NOMINATIVE[int(m.group(2)) - 1]} {m.group(1)} г."
    if "T" in text and text[:4].isdigit():
        try:
            return when(datetime.fromisoformat(text))
        except ValueError:
            pass
    if text.startswith("/") or text[1:3] == ":\\":  # a path on the server: the file's name is enough
        return ", ".join(PurePath(p.strip()).name for p in text.split(","))
    return text


def _lines(counts: Mapping[str, Any], when: Callable[[datetime], str]) -> list[tuple[str, CountLine]]:
    from ecitizen import archive

    lines: list[tuple[str, CountLine]] = []
    for key, value in counts.items():
        if key in HIDDEN_COUNTS:
            continue
        if isinstance(value, Mapping):
            if key == "counts_by_outcome":
                parts = [f"{archive.STATUS_LABELS.get(str(k), str(k))} — {v}" for k, v in value.items()]
                if parts:
                    lines.append((key, CountLine(COUNT_LABELS[key], ", ".join(parts))))
            else:
                lines.extend(_lines(value, when))
            continue
        text = _text(key, value, when)
        if text is not None:
            lines.append((key, CountLine(COUNT_LABELS.get(key, key), text)))
    return lines


def describe_counts(counts: Mapping[str, Any] | None, *, when: Callable[[datetime], str]) -> tuple[CountLine, ...]:
    """A run's counts as lines with Russian names, in the order of :data:`COUNT_LABELS`: times
    through ``when`` (the local time of the service), file names instead of server paths, link
    statuses by their Russian names, nested counts flattened; nothing shown twice
    (:data:`HIDDEN_COUNTS`), no zero where zero means "nothing went wrong"."""
    order = {key: i for i, key in enumerate(COUNT_LABELS)}
    lines = _lines(counts or {}, when)
    return tuple(line for _, line in sorted(lines, key=lambda kl: order.get(kl[0], len(order))))


def shown_error(error: str | None) -> str:
    """A run's error for a person: without the Python exception name in front."""
    return _EXCEPTION_PREFIX.sub("", (error or "").strip())

"""Check links: read the due links, probe them concurrently, write the results.

Owns the orchestration only: which links are due, running the :class:`~archive.probe.Prober`
on an asyncio loop, change detection (main text re-extracted only when the page fingerprint
moved: in a worker thread, or — when many pages need it, as on the first check of new links —
in worker processes, :class:`TextExtractors`), and writing each batch of results in one
transaction (a killed run loses at most the batch in flight, never half a link). Decisions come
from :mod:`archive.decide`.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import contextlib
import itertools
import logging
import os
import sys
import time
from collections import Counter
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import bindparam, insert, or_, update
from sqlalchemy import select as sa_select
from sqlmodel import Session, col, select

from ecitizen.app import App
from ecitizen.archive import page
from ecitizen.archive import status as st
from ecitizen.archive.decide import (
    CheckOutcome,
    Event,
    LinkState,
    StateRules,
    classify_check,
    decide_change,
    next_state,
)
from ecitizen.archive.page import analyse_html, extract_main_text
from ecitizen.archive.probe import HostGates, Prober, ProbeResult
from ecitizen.config import Config
from ecitizen.db import session_scope
from ecitizen.frames import FRAME_HEADER, frame, frame_length
from ecitizen.storage import Link, LinkCheck, LinkEvent
from ecitizen.urls import canonical_url, display_url, host_of

WRITE_BATCH = 100
log = logging.getLogger("ecitizen.archive")

#: opens the per-host gate of one run inside its event loop (``ecitizen.hostgate.SharedHostGates``
#: in distributed mode); None: the in-process gate of :class:`~ecitizen.archive.probe.Prober`
GatesFactory = Callable[[], contextlib.AbstractAsyncContextManager[HostGates]]


@dataclass(frozen=True)
class LinkTask:
    """What the checker needs to know about one link (plain data, not the ORM row)."""

    id: int
    url: str
    title: str
    state: LinkState
    content_hash: str | None
    #: whether a main-text baseline exists (the text itself is read only when the page moved)
    has_main_text: bool


@dataclass(frozen=True)
class LinkResult:
    link_id: int
    url: str
    outcome: str
    status: str
    previous_status: str
    detail: str
    http_status: int | None
    final_url: str | None
    proposed_url: str | None
    method: str
    elapsed_ms: int | None
    attempts: int
    events: tuple[str, ...] = ()

    def as_json(self) -> dict[str, Any]:
        return {
            "link_id": self.link_id, "url": self.url, "display_url": display_url(self.url),
            "outcome": self.outcome, "status": self.status, "previous_status": self.previous_status,
            "detail": self.detail, "explanation": st.STATUS_EXPLANATIONS.get(self.status, ""),
            "http_status": self.http_status, "final_url": self.final_url, "proposed_url": self.proposed_url,
            "method": self.method, "elapsed_ms": self.elapsed_ms, "attempts": self.attempts,
            "events": list(self.events),
        }


@dataclass(frozen=True)
class CheckReport:
    started_at: datetime
    elapsed_seconds: float
    results: tuple[LinkResult, ...] = field(default_factory=tuple)

    @property
    def counts_by_outcome(self) -> dict[str, int]:
        return dict(sorted(Counter(r.outcome for r in self.results).items()))

    @property
    def counts_by_status(self) -> dict[str, int]:
        return dict(sorted(Counter(r.status for r in self.results).items()))

    @property
    def events(self) -> list[tuple[str, str]]:
        return [(r.url, e) for r in self.results for e in r.events]

    def as_json(self) -> dict[str, Any]:
        return {
            "started_at": self.started_at.isoformat(),
            "elapsed_seconds": round(self.elapsed_seconds, 3),
            "checked": len(self.results),
            "counts_by_outcome": self.counts_by_outcome,
            "counts_by_status": self.counts_by_status,
            "events": [{"url": u, "event": e} for u, e in self.events],
            "results": [r.as_json() for r in self.results],
        }


def state_rules(config: Config) -> StateRules:
    lc = config.links
    return StateRules(
        broken_after_failures=lc.broken_after_failures,
        check_interval=timedelta(hours=lc.check_interval_hours),
        confirm_after=timedelta(hours=lc.confirm_after_hours),
    )


def select_links(session: Session, *, now: datetime, due_only: bool, urls: Sequence[str] | None,
                 ids: Sequence[int] | None = None) -> list[LinkTask]:
    """The links to check as plain data, interleaved by host (so a window of them spans many hosts)."""
    c = Link.__table__.c  # type: ignore[attr-defined]
    query = sa_select(c.id, c.url, c.title, c.status, c.status_since, c.consecutive_failures, c.proposed_url,
                      c.status_detail, c.content_hash, c.main_text.is_not(None))
    if ids is not None:  # a batch of a distributed run: those of them still due
        query = query.where(c.id.in_(list(ids)))
        if due_only:
            query = query.where(or_(c.next_check_at.is_(None), c.next_check_at <= now))
    elif urls:
        query = query.where(c.url.in_([canonical_url(u) for u in urls]))
    elif due_only:
        query = query.where(or_(c.next_check_at.is_(None), c.next_check_at <= now))
    query = query.order_by(c.id)
    by_host: dict[str, list[LinkTask]] = {}
    rows = session.connection().execute(query)
    for (id_, url, title, status, since, failures, proposed, detail, chash, has_text) in rows:
        task = LinkTask(id_ or 0, url, title, LinkState(status, since, failures, proposed, detail), chash,
                        bool(has_text))
        by_host.setdefault(host_of(url), []).append(task)
    return [t for group in itertools.zip_longest(*by_host.values()) for t in group if t is not None]


@dataclass(frozen=True)
class _Write:
    task: LinkTask
    outcome: CheckOutcome
    method: str
    elapsed_ms: int | None
    attempts: int
    new_state: LinkState
    next_check_at: datetime
    events: tuple[Event, ...]
    content_hash: str | None
    main_text: str | None
    changed: bool


def _write_batch(app: App, batch: list[_Write], now: datetime) -> None:
    """Write one batch in one transaction with bulk statements (the event loop shares the GIL)."""
    with session_scope(app.engine) as session:
        ids = [w.task.id for w in batch]
        alive = set(session.exec(select(Link.id).where(col(Link.id).in_(ids))).all())
        batch = [w for w in batch if w.task.id in alive]  # links removed while we were checking
        if not batch:
            return
        updates: list[dict[str, Any]] = []
        for w in batch:
            s = w.new_state
            row: dict[str, Any] = {
                "b_id": w.task.id, "status": s.status, "status_since": s.status_since,
                "status_detail": s.status_detail, "consecutive_failures": s.consecutive_failures,
                "proposed_url": s.proposed_url, "http_status": w.outcome.http_status,
                "final_url": w.outcome.final_url, "last_checked_at": now, "next_check_at": w.next_check_at,
                "content_hash": w.content_hash if w.content_hash is not None else w.task.content_hash,
            }
            updates.append(row)
        table = Link.__table__  # type: ignore[attr-defined]
        stmt = update(table).where(table.c.id == bindparam("b_id")).values(
            {k: bindparam(k) for k in updates[0] if k != "b_id"})
        session.connection().execute(stmt, updates)
        changed = [{"b_id": w.task.id, "changed_at": now} for w in batch if w.changed]
        if changed:
            session.connection().execute(
                update(table).where(table.c.id == bindparam("b_id")).values(changed_at=bindparam("changed_at")),
                changed)
        texts = [{"b_id": w.task.id, "main_text": w.main_text} for w in batch if w.main_text is not None]
        if texts:
            session.connection().execute(
                update(table).where(table.c.id == bindparam("b_id")).values(main_text=bindparam("main_text")),
                texts)
        session.connection().execute(insert(LinkCheck.__table__), [  # type: ignore[attr-defined]
            {"link_id": w.task.id, "checked_at": now, "outcome": w.outcome.outcome,
             "http_status": w.outcome.http_status, "final_url": w.outcome.final_url, "method": w.method,
             "elapsed_ms": w.elapsed_ms,
             "error": None if w.outcome.outcome in (st.OK, st.REDIRECTED, st.MOVED) else w.outcome.detail[:1000]}
            for w in batch
        ])
        events = [{"link_id": w.task.id, "at": now, "kind": ev.kind, "summary": ev.summary,
                   "diff_text": ev.diff_text, "acknowledged": False} for w in batch for ev in w.events]
        if events:
            session.connection().execute(insert(LinkEvent.__table__), events)  # type: ignore[attr-defined]


def _compare(app: App, task: LinkTask, result: ProbeResult, main: str, threshold: float
             ) -> tuple[str | None, str | None, Event | None]:
    """(new content hash, new main-text baseline, changed event) for one 2xx page whose page moved.

    Runs in the writer thread: reads the old baseline from the database only now (the checker does
    not hold 10,000 main texts in memory) and diffs off the event loop.
    """
    old: str | None = None
    if task.has_main_text:
        with session_scope(app.engine) as session:
            old = session.exec(select(Link.main_text).where(Link.id == task.id)).first()
    if old is None:
        return result.fingerprint, main, None
    decision = decide_change(old, main, threshold, title=task.title or result.observation.title)
    if decision is None:
        return result.fingerprint, None, None  # below the threshold: keep the old baseline, drift accumulates
    return result.fingerprint, main, Event("changed", decision.summary, decision.diff_text)


def _needs_change_step(task: LinkTask, result: ProbeResult, outcome: CheckOutcome) -> bool:
    if outcome.outcome not in (st.OK, st.REDIRECTED, st.MOVED) or not result.html:
        return False
    return result.fingerprint != task.content_hash or not task.has_main_text


#: a run with fewer pages to extract than this stays in one thread (a process costs ~0.3 s to start)
POOL_MIN_PAGES = 64
#: a page whose main text takes longer than this is given its visible text instead
EXTRACT_TIMEOUT = 60.0


def extractor_processes(pages: int, cpus: int | None = None) -> int:
    """How many main-text worker processes a run with ``pages`` pages to extract starts: none for
    a few pages or one core; else one per core but the one the event loop needs, at least one."""
    cpus = cpus if cpus is not None else (os.cpu_count() or 1)
    if pages < POOL_MIN_PAGES or cpus < 2:
        return 0
    return max(1, min(cpus - 1, 4, pages // POOL_MIN_PAGES))


class _Worker:
    def __init__(self, proc: asyncio.subprocess.Process) -> None:
        self.proc = proc
        assert proc.stdin is not None and proc.stdout is not None
        self.stdin = proc.stdin
        self.stdout = proc.stdout

    async def extract(self, html: str) -> str:
        data = html.encode("utf-8", "replace")
        self.stdin.write(frame(data))
        await self.stdin.drain()
        size = frame_length(await self.stdout.readexactly(FRAME_HEADER))
        return (await self.stdout.readexactly(size)).decode("utf-8", "replace")


class TextExtractors:
    """Main-text extraction (trafilatura: CPU-bound, 1–200 ms a page) beside the event loop.

    With ``processes`` > 0 the pages go to worker processes, so the first check of a new catalogue
    (a baseline for every page) does not take the event loop's core: plain
    ``python -P archive/page.py`` children speaking length-prefixed frames over their pipes
    (:mod:`ecitizen.frames`), started on first use — not ``multiprocessing``,
    so nothing of the caller's ``__main__`` is imported (a script without the
    ``if __name__ == "__main__"`` guard works) and a worker loads lxml and trafilatura only. A
    worker that cannot start, fails or dies is dropped and its pages go to the thread: a link never
    fails for it. Without processes, one thread (every extra thread would take the GIL from the
    event loop).
    """

    def __init__(self, processes: int, thread: concurrent.futures.Executor) -> None:
        self.processes = processes
        self.thread = thread
        self._idle: asyncio.Queue[_Worker] | None = None
        self._workers: list[_Worker] = []
        self._starting: asyncio.Task[None] | None = None
        #: pages extracted in worker processes (the rest: in the thread)
        self.in_processes = 0

    async def _start(self) -> None:
        idle: asyncio.Queue[_Worker] = asyncio.Queue()
        for _ in range(self.processes):
            try:
                proc = await asyncio.create_subprocess_exec(
                    sys.executable, "-P", page.__file__, stdin=asyncio.subprocess.PIPE,
                    stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.DEVNULL)
            except OSError as exc:
                log.warning("main-text worker did not start (%s); extracting in a thread", exc)
                break
            worker = _Worker(proc)
            self._workers.append(worker)
            idle.put_nowait(worker)
        self._idle = idle

    async def extract(self, html: str) -> str:
        loop = asyncio.get_running_loop()
        if self.processes > 0:
            if self._starting is None:
                self._starting = asyncio.create_task(self._start())
            await self._starting
        if self._idle is None or not self._workers:
            return await loop.run_in_executor(self.thread, extract_main_text, html)
        worker = await self._idle.get()
        try:
            async with asyncio.timeout(EXTRACT_TIMEOUT):
                text = await worker.extract(html)
        except TimeoutError:
            self._drop(worker, "took too long")
            return analyse_html(html).text
        except (OSError, EOFError, asyncio.IncompleteReadError) as exc:
            self._drop(worker, f"failed: {exc}")
            return await loop.run_in_executor(self.thread, extract_main_text, html)
        self._idle.put_nowait(worker)
        self.in_processes += 1
        return text

    def _drop(self, worker: _Worker, why: str) -> None:
        log.warning("main-text worker %s; %d left", why, len(self._workers) - 1)
        with contextlib.suppress(ProcessLookupError):
            worker.proc.kill()
        self._workers.remove(worker)
        if not self._workers and self._idle is not None:
            self._idle = None  # the rest go to the thread

    async def aclose(self) -> None:
        """End the workers: their input closes, they exit (killed after a few seconds)."""
        if self._starting is not None:
            with contextlib.suppress(Exception):
                await self._starting
        for worker in self._workers:
            worker.stdin.close()
        for worker in self._workers:
            try:
                async with asyncio.timeout(5):
                    await worker.proc.wait()
            except TimeoutError:
                with contextlib.suppress(ProcessLookupError):
                    worker.proc.kill()
                await worker.proc.wait()
        self._workers = []


async def _run(app: App, tasks: list[LinkTask], now: datetime, hosts: Mapping[str, str] | None,
               gates: GatesFactory | None = None) -> list[LinkResult]:
    cfg = app.config
    rules = state_rules(cfg)
    loop = asyncio.get_running_loop()
    results: list[LinkResult] = []
    pending_writes: list[asyncio.Future[None]] = []
    batch: list[_Write] = []
    writer = concurrent.futures.ThreadPoolExecutor(1, thread_name_prefix="links-writer")
    # one thread: trafilatura is CPU-bound and every extra thread takes the GIL from the event loop;
    # worker processes when many pages need a main text (the first check of new links)
    extractor = concurrent.futures.ThreadPoolExecutor(1, thread_name_prefix="links-text")
    extractors = TextExtractors(extractor_processes(sum(1 for t in tasks if not t.has_main_text)), extractor)

    def flush() -> None:
        nonlocal batch
        if batch:
            pending_writes.append(loop.run_in_executor(writer, _write_batch, app, batch, now))
            batch = []

    async def one(prober: Prober, task: LinkTask) -> None:
        try:
            await check_one(prober, task)
        except Exception:  # a bug on one link must not stop the run; the link stays due
            log.exception("checking %s failed", task.url)

    async def check_one(prober: Prober, task: LinkTask) -> None:
        probe = await prober.probe(task.url)
        obs = probe.observation
        outcome = classify_check(obs)
        content_hash, main_text, changed = (None, None, None)
        if _needs_change_step(task, probe, outcome):
            main = await extractors.extract(probe.html)
            if task.has_main_text:  # the old baseline is read (and diffed) off the event loop
                content_hash, main_text, changed = await loop.run_in_executor(
                    writer, _compare, app, task, probe, main, cfg.links.change_threshold)
            else:  # the first baseline: nothing to read or compare
                content_hash, main_text, changed = probe.fingerprint, main, None
        transition = next_state(task.state, outcome, rules, now)
        events = transition.events + ((changed,) if changed else ())
        batch.append(_Write(task, outcome, obs.method, obs.elapsed_ms, obs.attempts, transition.state,
                            transition.next_check_at, events, content_hash, main_text, changed is not None))
        results.append(LinkResult(
            task.id, task.url, outcome.outcome, transition.state.status, task.state.status, outcome.detail,
            outcome.http_status, outcome.final_url, transition.state.proposed_url, obs.method, obs.elapsed_ms,
            obs.attempts, tuple(e.summary for e in events),
        ))
        if len(batch) >= WRITE_BATCH:
            flush()

    try:
        # a sliding window of link tasks (not all at once): memory stays flat for 10,000 links
        window = asyncio.Semaphore(max(256, 4 * cfg.links.global_concurrency))
        running: set[asyncio.Task[None]] = set()

        async def guarded(prober: Prober, task: LinkTask) -> None:
            try:
                await one(prober, task)
            finally:
                window.release()

        async with contextlib.AsyncExitStack() as stack:
            shared = await stack.enter_async_context(gates()) if gates is not None else None
            prober = await stack.enter_async_context(Prober(cfg.links, cfg.http, hosts=hosts, gates=shared))
            for t in tasks:
                await window.acquire()
                job = asyncio.create_task(guarded(prober, t))
                running.add(job)
                job.add_done_callback(running.discard)
            while running:
                await asyncio.gather(*list(running))
        flush()
        await asyncio.gather(*pending_writes)
    finally:
        await extractors.aclose()
        writer.shutdown(wait=True)
        extractor.shutdown(wait=True)
    return results


def check_links(
    app: App, *, due_only: bool = True, urls: Sequence[str] | None = None, hosts: Mapping[str, str] | None = None,
    gates: GatesFactory | None = None, ids: Sequence[int] | None = None,
) -> CheckReport:
    """Check the due links (or all, or the given URLs or ids); write results; return the report.

    A failing link never stops the run: every failure is an outcome recorded on the link.
    ``hosts`` replaces DNS by a fixed name → address table (tests and the demo only); ``gates``
    replaces the in-process per-host gate (the shared one of distributed mode).
    """
    now = app.now()
    started = time.monotonic()
    with session_scope(app.engine) as session:
        tasks = select_links(session, now=now, due_only=due_only, urls=urls, ids=ids)
    results = asyncio.run(_run(app, tasks, now, hosts, gates)) if tasks else []
    order = {t.id: i for i, t in enumerate(tasks)}
    results.sort(key=lambda r: order.get(r.link_id, 0))
    return CheckReport(now, time.monotonic() - started, tuple(results))


# -- distributed mode: the due links in per-host batches, one batch a unit of work ----------------


@dataclass(frozen=True)
class LinkBatch:
    """Due links of one host, at most a batch of them: one unit of work for a queue worker."""

    host: str
    ids: tuple[int, ...]
    #: 1-based number of this batch among the host's, and how many the host has
    part: int = 1
    parts: int = 1

    @property
    def label(self) -> str:
        return self.host if self.parts == 1 else f"{self.host} ({self.part}/{self.parts})"


def plan_link_batches(app: App, *, batch_size: int = 250, due_only: bool = True) -> list[LinkBatch]:
    """The due links (all with ``due_only=False``) in batches of at most ``batch_size`` links of one
    host, the biggest hosts first (so that their batches start early and the round ends evenly)."""
    now = app.now()
    c = Link.__table__.c  # type: ignore[attr-defined]
    query = sa_select(c.id, c.url).order_by(c.id)
    if due_only:
        query = query.where(or_(c.next_check_at.is_(None), c.next_check_at <= now))
    by_host: dict[str, list[int]] = {}
    with session_scope(app.engine) as session:
        for id_, url in session.connection().execute(query):
            by_host.setdefault(host_of(url), []).append(int(id_))
    batches: list[LinkBatch] = []
    for host, ids in sorted(by_host.items(), key=lambda kv: (-len(kv[1]), kv[0])):
        parts = -(-len(ids) // batch_size)
        batches.extend(LinkBatch(host, tuple(ids[i * batch_size:(i + 1) * batch_size]), i + 1, parts)
                       for i in range(parts))
    return batches


def check_link_batch(app: App, ids: Sequence[int], *, gates: GatesFactory | None = None,
                     hosts: Mapping[str, str] | None = None) -> CheckReport:
    """Check the links of one batch that are still due (a batch run again after its worker was
    killed checks only the links whose results were not written yet)."""
    return check_links(app, due_only=True, ids=ids, gates=gates, hosts=hosts)

"""Polling feed sources: pick the due ones, fetch them concurrently, parse, prepare, store.

Owns: the poll run. Fetching happens in worker threads (a global limit and a limit per host).
A poll of ``feeds.process_min_sources`` sources or more parses and prepares in parser worker
processes (``feeds/parse.py`` through :class:`ecitizen.frames.FramePool`); a smaller one parses
in the fetching thread and prepares in the storing one. Each source's result is stored by the
calling thread in ONE transaction (items + health), shared with the other results that are ready
at the same moment (at most :data:`STORE_GROUP`), so a process killed mid-poll leaves every
source either fully updated or untouched. A failing source is recorded on its health record and
never stops the others.
"""

from __future__ import annotations

import gc
import logging
import os
import queue
import threading
import time
from collections.abc import Callable, Iterable, Iterator, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from contextlib import AbstractContextManager, contextmanager
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta
from functools import lru_cache
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import requests
from sqlalchemy import Row, Update, bindparam
from sqlalchemy import select as sa_select
from sqlalchemy import true as sa_true
from sqlalchemy import update as sa_update
from sqlalchemy.exc import SQLAlchemyError
from sqlmodel import Session

from ecitizen import outcomes
from ecitizen.app import App
from ecitizen.config import Config
from ecitizen.db import session_scope
from ecitizen.errors import NotFoundError, ParseError, SourceError, StorageError
from ecitizen.feeds import parse as feed_parse
from ecitizen.feeds.discover import discover_feeds, looks_like_html
from ecitizen.feeds.parse import check_entries, parse_answer, parse_feed, parse_request
from ecitizen.feeds.schedule import next_due
from ecitizen.fetch import FetchResult, fetch_configured, make_session, status_error
from ecitizen.frames import FramePool, WorkerGone
from ecitizen.pipeline import EntryData, PrepareResult, Rules, prepare_entries
from ecitizen.storage import Source
from ecitizen.store import ClusterCache, SourceRef, StoreResult, failure_health, store_items, success_health
from ecitizen.urls import host_of

log = logging.getLogger("ecitizen.feeds")

FEED_ACCEPT = (
    "application/rss+xml, application/atom+xml, application/feed+json, application/rdf+xml;q=0.9, "
    "application/xml;q=0.8, text/xml;q=0.8, application/json;q=0.7, text/html;q=0.5, */*;q=0.1"
)


#: per-host politeness around each fetch: ``with limiter(url):`` (:class:`HostLimiter` in this
#: process; ``ecitizen.hostgate.SharedHostLimiter`` across the workers of distributed mode)
HostLimit = Callable[[str], AbstractContextManager[object]]


@dataclass(frozen=True)
class FeedTarget:
    """What a worker needs to poll one source (a snapshot, not an ORM row)."""

    id: int
    name: str
    url: str
    feed_url: str | None
    etag: str | None
    last_modified: str | None
    interval_minutes: int | None
    timezone: str | None
    consecutive_failures: int

    @property
    def fetch_url(self) -> str:
        return self.feed_url or self.url


@dataclass(frozen=True)
class Fetched:
    """The outcome of fetching and parsing one source (plain data, stored by the caller)."""

    target: FeedTarget
    outcome: str  # ok | not_modified | <SourceError.code>
    status: int | None = None
    error: str | None = None
    #: parsed entries, prepared by the storing thread (the stemmer is not thread-safe) ...
    entries: tuple[EntryData, ...] = ()
    #: ... unless a worker process already prepared them
    prepared: PrepareResult | None = None
    entry_count: int = 0
    base_url: str | None = None
    headers: dict[str, str] = field(default_factory=dict)
    etag: str | None = None
    last_modified: str | None = None
    #: a permanent redirect moved the fetched URL here
    moved_to: str | None = None
    #: the feed discovered on the HTML page at the source's URL
    discovered_feed: str | None = None
    wire_bytes: int = 0
    warning: str | None = None
    #: seconds spent fetching and parsing (including the wait for a per-host slot)
    elapsed: float = 0.0


@dataclass(frozen=True)
class SourceResult:
    name: str
    outcome: str
    status: int | None
    new_items: int
    updated_items: int
    error: str | None
    next_due: datetime | None
    moved_to: str | None = None
    discovered_feed: str | None = None
    entries: int = 0
    rejected: int = 0
    wire_bytes: int = 0
    elapsed: float = 0.0

    def as_json(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "outcome": self.outcome,
            "status": self.status,
            "new_items": self.new_items,
            "updated_items": self.updated_items,
            "entries": self.entries,
            "rejected": self.rejected,
            "error": self.error,
            "next_due": self.next_due.isoformat() if self.next_due else None,
            "moved_to": self.moved_to,
            "discovered_feed": self.discovered_feed,
            "bytes": self.wire_bytes,
            "elapsed": round(self.elapsed, 3),
        }


@dataclass(frozen=True)
class PollReport:
    results: tuple[SourceResult, ...]
    started_at: datetime
    elapsed: float

    @property
    def new_items(self) -> int:
        return sum(r.new_items for r in self.results)

    @property
    def failed(self) -> tuple[SourceResult, ...]:
        return tuple(r for r in self.results if outcomes.is_failure(r.outcome))

    @property
    def wire_bytes(self) -> int:
        return sum(r.wire_bytes for r in self.results)

    def as_json(self) -> list[dict[str, Any]]:
        return [r.as_json() for r in self.results]


# -- selection -----------------------------------------------------------------------------------


def select_targets(
    session: Session, *, now: datetime, names: Sequence[str] | None = None, force: bool = False
) -> list[FeedTarget]:
    """Feed sources to poll: the named ones (any state), all with ``force``, else the due ones.
    Read as plain values: the ORM rows' JSON columns were decoded for nothing (3 % of a warm
    poll's instructions)."""
    query = _TARGET_STATE.where(_SOURCE.c.kind == "feed")
    if names:
        rows = list(session.execute(query.where(_SOURCE.c.name.in_(list(names)))))
        missing = sorted(set(names) - {r.name for r in rows})
        if missing:
            raise NotFoundError("no feed source named " + ", ".join(repr(n) for n in missing))
    else:
        rows = [
            r for r in session.execute(query.where(_SOURCE.c.enabled == sa_true()))
            if force or r.next_due_at is None or r.next_due_at <= now
        ]
    rows.sort(key=lambda r: r.name)
    return [_target(r) for r in rows]


def _target(r: Row[Any]) -> FeedTarget:
    return FeedTarget(
        id=r.id or 0, name=r.name, url=r.url, feed_url=r.feed_url, etag=r.etag,
        last_modified=r.last_modified, interval_minutes=r.interval_minutes,
        timezone=r.timezone, consecutive_failures=r.consecutive_failures or 0,
    )


# -- the worker (network + pure parsing) ---------------------------------------------------------


class HostLimiter:
    """At most ``limit`` concurrent requests per host."""

    def __init__(self, limit: int) -> None:
        self.limit = limit
        self._lock = threading.Lock()
        self._sems: dict[str, threading.BoundedSemaphore] = {}

    def __call__(self, url: str) -> threading.BoundedSemaphore:
        host = host_of(url)
        with self._lock:
            sem = self._sems.get(host)
            if sem is None:
                sem = self._sems[host] = threading.BoundedSemaphore(self.limit)
            return sem


def _tz(name: str | None, default: str) -> ZoneInfo:
    try:
        return ZoneInfo(name or default)
    except (ZoneInfoNotFoundError, ValueError):
        return ZoneInfo(default)


def _do_fetch(
    url: str, cfg: Config, session: requests.Session, limiter: HostLimit, *,
    etag: str | None, last_modified: str | None,
) -> FetchResult:
    with limiter(url):
        return fetch_configured(
            url, cfg.http, session=session, etag=etag, last_modified=last_modified, accept=FEED_ACCEPT
        )


def fetch_and_parse(
    target: FeedTarget, *, cfg: Config, session: requests.Session, limiter: HostLimit, now: datetime,
    procs: FramePool | None = None, rules: Rules | None = None,
) -> Fetched:
    """Fetch one source, discover its feed if it is an HTML page, and parse it.

    Never raises for a source problem: the problem becomes the result's ``outcome``/``error``.
    """
    t0 = time.monotonic()
    result = _fetch_and_parse(target, cfg=cfg, session=session, limiter=limiter, now=now, procs=procs, rules=rules)
    return replace(result, elapsed=time.monotonic() - t0)


def _fetch_and_parse(
    target: FeedTarget, *, cfg: Config, session: requests.Session, limiter: HostLimit, now: datetime,
    procs: FramePool | None = None, rules: Rules | None = None,
) -> Fetched:
    wire = 0
    try:
        res = _do_fetch(target.fetch_url, cfg, session, limiter, etag=target.etag, last_modified=target.last_modified)
        wire += res.wire_bytes
        moved_to = res.permanent_redirect_to
        if res.not_modified:
            return Fetched(target, outcomes.NOT_MODIFIED, status=304, headers=dict(res.headers), etag=res.etag,
                           last_modified=res.last_modified, moved_to=moved_to, wire_bytes=wire)
        if not res.ok:
            err = status_error(res.status, res.final_url, res.headers.get("retry-after"))
            return Fetched(target, err.code, status=res.status, error=str(err), headers=dict(res.headers),
                           moved_to=moved_to, wire_bytes=wire)
        discovered = None
        if looks_like_html(res.body, res.content_type):
            found = discover_feeds(res.body, res.final_url, encoding=res.encoding)
            if not found:
                raise ParseError("the address is an HTML page that names no feed (no <link rel=\"alternate\">)")
            discovered = found[0]
            res = _do_fetch(discovered, cfg, session, limiter, etag=None, last_modified=None)
            wire += res.wire_bytes
            if res.permanent_redirect_to:
                discovered = res.permanent_redirect_to
            if not res.ok:
                err = status_error(res.status, res.final_url, res.headers.get("retry-after"))
                raise type(err)(f"discovered feed {discovered}: {err}", url=discovered, status=res.status)
            if looks_like_html(res.body, res.content_type):
                raise ParseError(f"the discovered feed {discovered} is an HTML page too")
        tz = _tz(target.timezone, cfg.timezone)
        ok = Fetched(
            target, outcomes.OK, status=res.status, base_url=res.final_url,
            headers=dict(res.headers), etag=res.etag, last_modified=res.last_modified,
            moved_to=moved_to, discovered_feed=discovered, wire_bytes=wire,
        )
        if procs is not None and rules is not None:
            request = parse_request(res.body, url=res.final_url, content_type=res.content_type,
                                    header_charset=res.encoding, tz=tz, now=now, rules=rules)
            try:
                answer = procs.call(request)
            except WorkerGone as exc:
                log.warning("%s: %s; parsing in this process", target.name, exc)
            else:
                warning, count, prepared = parse_answer(answer)
                return replace(ok, prepared=prepared, entry_count=count, warning=warning)
        parsed = parse_feed(res.body, url=res.final_url, content_type=res.content_type,
                            header_charset=res.encoding, tz=tz, now=now)
        check_entries(parsed)
        return replace(ok, entries=parsed.entries, entry_count=len(parsed.entries), warning=parsed.warning)
    except SourceError as exc:
        status = getattr(exc, "status", None)
        return Fetched(target, exc.code, status=status, error=str(exc), wire_bytes=wire)
    except Exception as exc:
        log.exception("unexpected error polling %s", target.name)
        return Fetched(target, outcomes.ERROR, error=f"unexpected {type(exc).__name__}: {exc}", wire_bytes=wire)


# -- storing (the calling thread; a source is never split between transactions) -----------------


def store_fetched(
    session: Session, f: Fetched, prepared: PrepareResult, *, cfg: Config, now: datetime,
    cache: ClusterCache | None = None,
) -> tuple[SourceResult, StoreResult | None] | None:
    """Apply one source's result: items + health + moved URL, in the caller's transaction.

    The source's row is read and written as plain values (one SELECT, one UPDATE), not as an ORM
    object: a cold poll stores 200 sources, and the ORM's load and flush of each were a sixth of
    the storing thread's time."""
    # the two statements on the session's connection (same transaction): no ORM object is
    # involved, and the session's execute added its bookkeeping to each (3 % of a warm poll)
    conn = session.connection()
    src = conn.execute(_SOURCE_STATE, {"id": f.target.id}).first()
    if src is None:
        return None  # removed while we were fetching
    feeds_cfg = cfg.feeds
    interval = timedelta(minutes=src.interval_minutes or feeds_cfg.default_interval_minutes)
    min_interval = timedelta(minutes=feeds_cfg.min_interval_minutes)
    max_backoff = timedelta(minutes=feeds_cfg.max_backoff_minutes)
    changes: dict[str, Any] = {}
    url, feed_url = src.url, src.feed_url
    moved_to = None
    if f.moved_to:
        moved_to = f.moved_to
        if f.target.feed_url:
            feed_url = changes["feed_url"] = f.moved_to
        else:
            url = changes["url"] = f.moved_to
    if f.discovered_feed and f.discovered_feed != feed_url:
        feed_url = changes["feed_url"] = f.discovered_feed
    new = updated = 0
    stored: StoreResult | None = None
    if f.outcome in outcomes.SUCCESSES:
        due = next_due(now, interval=interval, min_interval=min_interval, max_backoff=max_backoff,
                       headers=f.headers, status=f.status)
        if f.outcome == outcomes.OK:
            stored = store_items(session, SourceRef(f.target.id, url), prepared.items, now=now, cache=cache)
            new, updated = stored.added_count, len(stored.updated)
        changes.update(success_health(
            now=now, next_due=due, status=f.status, outcome=f.outcome, etag=f.etag, last_modified=f.last_modified,
            item_count=len(prepared.items) if f.outcome == outcomes.OK else None))
        if f.outcome == outcomes.OK and f.discovered_feed:
            # validators of the discovered feed, not of the HTML page
            changes["etag"], changes["last_modified"] = f.etag, f.last_modified
    else:
        failures = (src.consecutive_failures or 0) + 1
        due = next_due(now, interval=interval, min_interval=min_interval, max_backoff=max_backoff,
                       failures=failures, headers=f.headers, status=f.status)
        changes.update(failure_health(
            failures_before=src.consecutive_failures or 0, failing_since=src.failing_since, now=now, next_due=due,
            outcome=f.outcome, error=f.error or f.outcome, status=f.status))
        if f.target.feed_url and f.status in (404, 410) and feed_url == f.target.feed_url:
            changes["feed_url"] = None  # the discovered feed is gone: discover again from the page next time
    conn.execute(_source_update(tuple(changes)), {"source_id": f.target.id, **changes})
    return SourceResult(
        name=src.name, outcome=f.outcome, status=f.status, new_items=new, updated_items=updated,
        error=f.error, next_due=due, moved_to=moved_to, discovered_feed=f.discovered_feed,
        entries=f.entry_count, rejected=len(prepared.rejected), wire_bytes=f.wire_bytes,
    ), stored


#: the source table, read and written as plain values by :func:`store_fetched`
_SOURCE = Source.__table__  # type: ignore[attr-defined]
#: what a poll needs of a feed source (:func:`select_targets`)
_TARGET_STATE = sa_select(
    _SOURCE.c.id, _SOURCE.c.name, _SOURCE.c.url, _SOURCE.c.feed_url, _SOURCE.c.etag, _SOURCE.c.last_modified,
    _SOURCE.c.interval_minutes, _SOURCE.c.timezone, _SOURCE.c.consecutive_failures, _SOURCE.c.next_due_at)
_SOURCE_STATE = sa_select(
    _SOURCE.c.name, _SOURCE.c.url, _SOURCE.c.feed_url, _SOURCE.c.interval_minutes, _SOURCE.c.consecutive_failures,
    _SOURCE.c.failing_since).where(_SOURCE.c.id == bindparam("id"))


@lru_cache(maxsize=64)
def _source_update(names: tuple[str, ...]) -> Update:
    """``UPDATE source SET <names> WHERE id = :source_id``, built once per set of columns."""
    return sa_update(_SOURCE).where(_SOURCE.c.id == bindparam("source_id")).values(
        {name: bindparam(name) for name in names})


#: at most this many sources stored in one transaction (:func:`_store_group`)
STORE_GROUP = 8
#: what a result with no entries (a 304, a failure) prepares to
_NOTHING = PrepareResult(())


def _store_group(app: App, group: Sequence[Fetched], cache: ClusterCache) -> list[SourceResult]:
    """Store the results that are ready, in one transaction: each source stays all or nothing
    (a process killed mid-poll leaves every source fully updated or untouched), and a cold poll
    commits 25 times instead of 200 (SQLite copies every index page a commit touched into its
    WAL: 133 MB for 10,000 items one source a commit). A source that fails to store rolls the
    group back; its sources are then stored one a transaction, and the one that fails alone is
    recorded as a storage error."""
    now = app.now()
    outs: list[tuple[Fetched, SourceResult]] = []
    try:
        with session_scope(app.engine) as session:
            for f in group:
                # prepared here when no worker did: the classifier's stemmer is not thread-safe
                # (a 304 or a failure has nothing to prepare)
                prepared = f.prepared if f.prepared is not None else prepare_entries(
                    f.entries, app.rules, base_url=f.base_url) if f.entries else _NOTHING
                out = store_fetched(session, f, prepared, cfg=app.config, now=now, cache=cache)
                if out is None:
                    continue  # removed while we were fetching
                if out[1] is not None:
                    cache.add(out[1].new_candidates)  # the group's later sources cluster with them
                outs.append((f, out[0]))
    except (SQLAlchemyError, StorageError, ValueError) as exc:
        cache.forget()  # it may hold items that were rolled back
        if len(group) > 1:
            log.warning("storing %d sources together failed (%s); storing them one by one", len(group), exc)
            return [res for f in group for res in _store_group(app, [f], cache)]
        f = group[0]
        log.error("storing %s failed: %s", f.target.name, exc)
        failed = replace(f, outcome=outcomes.STORAGE_ERROR, error=f"could not store the items: {str(exc)[:500]}",
                         entries=(), prepared=None)
        with session_scope(app.engine) as session:
            out = store_fetched(session, failed, PrepareResult(()), cfg=app.config, now=now)
        outs = [] if out is None else [(f, out[0])]
    results = []
    for f, res in outs:
        res = replace(res, elapsed=f.elapsed)
        _log_result(res, f)
        results.append(res)
    return results


def _log_result(res: SourceResult, f: Fetched) -> None:
    if res.outcome in outcomes.SUCCESSES:
        log.info("%s: %s, %d new, %d updated", res.name, res.outcome, res.new_items, res.updated_items)
        if f.warning:
            log.warning("%s: %s", res.name, f.warning)
    else:
        log.warning("%s: %s: %s", res.name, res.outcome, res.error)
    if res.moved_to:
        log.warning("%s: moved permanently to %s (source URL updated)", res.name, res.moved_to)


def _parser_pool(cfg: Config, n_sources: int) -> FramePool | None:
    """Worker processes for parse + prepare (CPU-bound) when the poll is big enough to pay for them
    (a worker costs about 0.2 s of CPU to start: it imports feedparser and the core pipeline)."""
    cpus = os.cpu_count() or 1
    # one worker per core: the fetch and store threads mostly wait on sockets and SQLite
    size = cfg.feeds.parse_processes or (min(4, cpus) if cpus > 1 else 0)
    if size < 1 or n_sources < cfg.feeds.process_min_sources or feed_parse.__file__ is None:
        return None
    return FramePool(feed_parse.__file__, size, name="feed parser", depth=2)


def poll(app: App, *, names: Iterable[str] | None = None, force: bool = False) -> PollReport:
    """Poll due feed sources (or the named ones, or all with ``force``). Never raises for a source."""
    cfg = app.config
    started_at = app.now()
    t0 = time.monotonic()
    name_list = list(names or ())
    with session_scope(app.engine) as session:
        targets = select_targets(session, now=started_at, names=name_list or None, force=force)
    return _poll_targets(app, targets, started_at, t0, HostLimiter(cfg.http.per_host_concurrency))


@contextmanager
def _collector_for_a_poll() -> Iterator[None]:
    """While a poll runs, the garbage collector leaves out the objects older than the poll
    (``gc.freeze``): a cold poll's full collection walked the whole process (its modules, caches,
    the web application of ``ecitizen run``) while the storing thread, the poll's bottleneck,
    waited. They are given back to the collector when the poll ends."""
    gc.freeze()
    try:
        yield
    finally:
        gc.unfreeze()


def _poll_targets(app: App, targets: list[FeedTarget], started_at: datetime, t0: float, limiter: HostLimit
                  ) -> PollReport:
    cfg = app.config
    results: list[SourceResult] = []
    if not targets:
        return PollReport((), started_at, time.monotonic() - t0)
    workers = max(1, min(cfg.http.global_concurrency, len(targets)))
    cache = ClusterCache()
    procs = _parser_pool(cfg, len(targets))
    http = make_session(pool_size=workers)
    try:
        with _collector_for_a_poll(), ThreadPoolExecutor(max_workers=workers, thread_name_prefix="feeds") as pool:
            futures = {
                pool.submit(fetch_and_parse, t, cfg=cfg, session=http, limiter=limiter, now=started_at,
                            procs=procs, rules=app.rules): t
                for t in targets
            }
            # stored as they come, in groups of what is ready (see _store_group)
            ready: queue.SimpleQueue[Future[Fetched]] = queue.SimpleQueue()
            for fut in futures:
                fut.add_done_callback(ready.put)
            left = len(futures)
            while left:
                group = [ready.get()]
                while len(group) < STORE_GROUP:
                    try:
                        group.append(ready.get_nowait())
                    except queue.Empty:
                        break
                left -= len(group)
                results.extend(_store_group(app, [fut.result() for fut in group], cache))
    finally:
        http.close()
        if procs is not None:
            procs.close()
    results.sort(key=lambda r: r.name)
    return PollReport(tuple(results), started_at, time.monotonic() - t0)


# -- distributed mode: the due sources in small groups, one group a unit of work ------------------


@dataclass(frozen=True)
class SourceGroup:
    """A few feed sources polled together by one queue worker (one unit of work)."""

    ids: tuple[int, ...]
    names: tuple[str, ...]

    @property
    def label(self) -> str:
        first = self.names[0] if self.names else "?"
        return first if len(self.names) == 1 else f"{first} и ещё {len(self.names) - 1}"


def plan_poll(app: App, *, group_size: int = 10, force: bool = False) -> list[SourceGroup]:
    """The due feed sources (all enabled ones with ``force``) in groups of at most ``group_size``,
    in name order."""
    with session_scope(app.engine) as session:
        targets = select_targets(session, now=app.now(), force=force)
    size = max(1, group_size)
    return [SourceGroup(tuple(t.id for t in chunk), tuple(t.name for t in chunk))
            for chunk in (targets[i:i + size] for i in range(0, len(targets), size))]


def poll_sources(app: App, source_ids: Sequence[int], *, limiter: HostLimit | None = None,
                 due_only: bool = True) -> PollReport:
    """Poll the given feed sources — those of them still due with ``due_only`` (a group polled
    again after its worker was killed skips the sources already stored) — like :func:`poll`:
    never raises for a source. ``limiter`` replaces the in-process per-host limit (the shared
    gate of distributed mode)."""
    cfg = app.config
    started_at = app.now()
    t0 = time.monotonic()
    query = _TARGET_STATE.where(_SOURCE.c.kind == "feed", _SOURCE.c.enabled == sa_true(),
                                _SOURCE.c.id.in_(list(source_ids)))
    with session_scope(app.engine) as session:
        rows = list(session.execute(query))
    if due_only:
        rows = [r for r in rows if r.next_due_at is None or r.next_due_at <= started_at]
    rows.sort(key=lambda r: r.name)
    return _poll_targets(app, [_target(r) for r in rows], started_at, t0,
                         limiter or HostLimiter(cfg.http.per_host_concurrency))

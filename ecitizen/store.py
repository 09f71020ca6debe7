"""Storing adapter for sources and items: the only place the pipeline meets the database.

Owns: seeding sources from config (idempotent by name, through the one add/update operation of
:mod:`ecitizen.sources`), recording a source's health after an
attempt, and storing prepared items idempotently (GUID within a source, then canonical URL) with
duplicate-cluster assignment, each source's batch in one transaction.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from typing import Any, Protocol
from weakref import WeakKeyDictionary

from sqlalchemy import bindparam, func, or_
from sqlalchemy import select as sa_select
from sqlalchemy import update as sa_update
from sqlalchemy.engine import Connection, Dialect
from sqlmodel import Session, col, select

from ecitizen.config import Config, SourceConfig
from ecitizen.errors import ConfigError, NotFoundError, StorageError
from ecitizen.pipeline import CLUSTER_WINDOW, CandidateIndex, ClusterCandidate, PreparedItem, find_cluster
from ecitizen.sources import SourceInput, SourceRefusedError, SourceRules, add_source, update_source
from ecitizen.storage import Item, ItemStatus, Source
from ecitizen.storage.types import JSONText
from ecitizen.urls import Resolver
from ecitizen.urls import _resolve as default_resolve


@dataclass(frozen=True)
class StoreResult:
    added: tuple[int, ...]
    updated: tuple[int, ...]
    unchanged: int
    #: the added items as cluster candidates (for a :class:`ClusterCache`, once committed)
    new_candidates: tuple[ClusterCandidate, ...] = ()

    @property
    def added_count(self) -> int:
        return len(self.added)


def seed_sources(session: Session, sources: Iterable[SourceConfig], *, rules: SourceRules | None = None,
                 resolve: Resolver | None = default_resolve) -> tuple[list[str], list[str]]:
    """Add config sources missing from the database (by name); update config-owned fields of existing ones.

    Both go through :func:`ecitizen.sources.add_source` / :func:`~ecitizen.sources.update_source`,
    so a config source meets the rules of one added by hand: pass ``rules=SourceRules.from_config(cfg)``
    (without it the interval floor and the private-target refusal are left to the poll and the crawl,
    which apply them again). Health, ETags and a URL changed by a permanent redirect are kept. A
    refused source raises :class:`ConfigError` naming ``sources[i].<field>`` (the caller's transaction
    writes nothing). Returns (added, updated) names.
    """
    wanted = list(sources)
    if rules is None:
        rules = SourceRules(frozenset(t for sc in wanted for t in sc.topics), 1, True)
    added: list[str] = []
    updated: list[str] = []
    for i, sc in enumerate(wanted):
        data = SourceInput.from_config(sc)
        row = session.exec(select(Source).where(Source.name == sc.name)).first()
        try:
            if row is None:
                add_source(session, data, rules, origin="config", resolve=resolve)
                added.append(sc.name)
            # the stored URL wins: a permanent redirect may have moved it
            elif update_source(session, row, replace(data, url=row.url), rules, resolve=resolve).changed:
                updated.append(sc.name)
        except SourceRefusedError as exc:
            first = exc.problems[0]
            raise ConfigError(f"sources[{i}].{first.field}", first.problem) from None
    session.flush()
    return added, updated


def get_source(session: Session, name: str) -> Source:
    row = session.exec(select(Source).where(Source.name == name)).first()
    if row is None:
        raise NotFoundError(f"no source named {name!r}")
    return row


def cluster_candidates(
    session: Session, items: Sequence[PreparedItem], *, now: datetime
) -> list[ClusterCandidate]:
    """Stored items that new items might duplicate (recent ones, by date window)."""
    dates = [i.published_at or now for i in items]
    if not dates:
        return []
    return load_candidates(session, min(dates) - CLUSTER_WINDOW, max(dates) + CLUSTER_WINDOW)


def load_candidates(session: Session, lo: datetime, hi: datetime) -> list[ClusterCandidate]:
    """Stored items published between ``lo`` and ``hi`` (or undated and fetched since ``lo``)."""
    published = col(Item.published_at)
    stmt = sa_select(
        col(Item.id), col(Item.cluster_id), col(Item.source_id), col(Item.title_key), published, col(Item.fetched_at)
    ).where(or_(published.between(lo, hi), published.is_(None) & (col(Item.fetched_at) >= lo)))
    # in date order: a crowded CandidateIndex bucket keeps the last items indexed into it
    stmt = stmt.order_by(func.coalesce(published, col(Item.fetched_at)), col(Item.id))
    rows = session.execute(stmt).all()
    return [ClusterCandidate(r[0], r[1], r[2], r[3], r[4] or r[5]) for r in rows]


class ClusterCache:
    """Cluster candidates kept across the sources of one run (a poll of many feeds), so that each
    source's store does not reload and re-index every recent item (quadratic in a cold poll).

    Loads only the date ranges not loaded yet. Add a source's ``StoreResult.new_candidates`` only
    after its transaction committed. Items stored by another process during the run are not seen
    (they are clustered when that process or the next run stores its own items).
    """

    def __init__(self) -> None:
        self.forget()

    def forget(self) -> None:
        """Drop everything (after a rollback: the index may hold items that were not stored);
        the next :meth:`candidates` loads from the database again."""
        self.index = CandidateIndex()
        self._ids: set[int] = set()
        self._lo: datetime | None = None
        self._hi: datetime | None = None

    def candidates(self, session: Session, items: Sequence[PreparedItem], *, now: datetime) -> CandidateIndex:
        dates = [i.published_at or now for i in items]
        if not dates:
            return self.index
        lo, hi = min(dates) - CLUSTER_WINDOW, max(dates) + CLUSTER_WINDOW
        if self._lo is None or self._hi is None:
            ranges = [(lo, hi)]
            self._lo, self._hi = lo, hi
        else:
            ranges = []
            if lo < self._lo:
                ranges.append((lo, self._lo))
                self._lo = lo
            if hi > self._hi:
                ranges.append((self._hi, hi))
                self._hi = hi
        for a, b in ranges:
            self.add(load_candidates(session, a, b))
        return self.index

    def add(self, candidates: Iterable[ClusterCandidate]) -> None:
        for c in candidates:
            if c.item_id not in self._ids:
                self._ids.add(c.item_id)
                self.index.append(c)


class SourceKey(Protocol):
    """What :func:`store_items` needs of a source: a :class:`~ecitizen.storage.Source` row, or
    :class:`SourceRef` where the caller reads the row as plain values."""

    @property
    def id(self) -> int | None: ...

    @property
    def url(self) -> str: ...


@dataclass(frozen=True)
class SourceRef:
    """A source's id and (current) URL, read without an ORM row."""

    id: int
    url: str


# statements built once (building a statement costs more than running it on a small batch)
_ITEM = Item.__table__  # type: ignore[attr-defined]
#: the stored rows of one source among some GUIDs or links
_STORED_ROWS = sa_select(_ITEM.c.id, _ITEM.c.guid, _ITEM.c.url, _ITEM.c.content_hash).where(
    _ITEM.c.source_id == bindparam("source_id"),
    or_(_ITEM.c.guid.in_(bindparam("guids", expanding=True)), _ITEM.c.url.in_(bindparam("urls", expanding=True))))
#: items that start their own cluster: the cluster's id is their own
_OWN_CLUSTERS = sa_update(_ITEM).where(_ITEM.c.id.in_(bindparam("ids", expanding=True))).values(cluster_id=_ITEM.c.id)
#: an earlier item that a new one duplicates becomes its cluster's lead
_LEADS = sa_update(_ITEM).where(_ITEM.c.id == bindparam("lead_id")).values(cluster_id=bindparam("cluster"))


def store_items(
    session: Session,
    source: SourceKey,
    items: Sequence[PreparedItem],
    *,
    now: datetime,
    cache: ClusterCache | None = None,
) -> StoreResult:
    """Store prepared items of one source. Idempotent; the caller owns the transaction.

    ``cache`` (optional) keeps cluster candidates across the sources of one run.
    """
    assert source.id is not None
    added: list[int] = []
    updated: list[int] = []
    unchanged = 0
    guids = [i.guid for i in items]
    urls = [i.url for i in items]
    # what is stored already, as plain values (most of a poll's items are new or unchanged: no
    # ORM object is made for them); the changed ones are loaded as ORM rows below
    existing_by_guid: dict[str, int] = {}
    existing_by_url: dict[str, int] = {}
    stored_hash: dict[int, str] = {}
    for chunk_start in range(0, len(guids), 500):
        gchunk = guids[chunk_start : chunk_start + 500]
        uchunk = urls[chunk_start : chunk_start + 500]
        for item_id, guid, url, content_hash in session.execute(
                _STORED_ROWS, {"source_id": source.id, "guids": gchunk, "urls": uchunk}):
            existing_by_guid[guid] = item_id
            existing_by_url.setdefault(url, item_id)
            stored_hash[item_id] = content_hash

    def known_id(item: PreparedItem) -> int | None:
        found = existing_by_guid.get(item.guid)
        if found is None and item.url != source.url:
            found = existing_by_url.get(item.url)
        return found

    changed = sorted({kid for item in items
                      if (kid := known_id(item)) is not None and stored_hash[kid] != item.content_hash})
    for start in range(0, len(changed), 500):  # into the session's identity map, one query a chunk
        list(session.exec(select(Item).where(col(Item.id).in_(changed[start : start + 500]))))
    if cache is not None:
        candidates = cache.candidates(session, items, now=now)
    else:
        candidates = CandidateIndex(cluster_candidates(session, items, now=now))
    new_params: list[dict[str, Any]] = []
    new_meta: list[tuple[PreparedItem, ClusterCandidate | None]] = []
    pending_guids: set[str] = set()
    pending_urls: set[str] = set()
    for item in items:
        kid = known_id(item)
        if kid is not None:
            if stored_hash[kid] != item.content_hash:
                row = session.get(Item, kid)  # loaded above (the identity map: no query)
                assert row is not None
                row.title = item.title
                row.summary_html = item.summary_html
                row.summary_text = item.summary_text
                row.title_key = item.title_key
                row.content_hash = stored_hash[kid] = item.content_hash
                row.topics = json.loads(item.topics_json)
                if item.published_at and not row.published_at:
                    row.published_at = item.published_at
                session.add(row)
                updated.append(kid)
            else:
                unchanged += 1
            continue
        if item.guid in pending_guids or (item.url != source.url and item.url in pending_urls):
            unchanged += 1  # a duplicate inside the batch: the first one is kept (as prepare_entries does)
            continue
        pending_guids.add(item.guid)
        pending_urls.add(item.url)
        match = find_cluster(item, source.id, candidates, fetched_at=now)
        new_params.append(
            {
                "source_id": source.id,
                "kind": item.kind,
                "guid": item.guid,
                "url": item.url,
                "title": item.title,
                "summary_html": item.summary_html,
                "summary_text": item.summary_text,
                "published_at": item.published_at,
                "fetched_at": now,
                "topics": JSONText(item.topics_json),
                "is_new_service": item.is_new_service,
                "new_service_rule": item.new_service_rule,
                "title_key": item.title_key,
                "cluster_id": (match.cluster_id or match.item_id) if match is not None else None,
                "content_hash": item.content_hash,
                "diff_text": item.diff_text,
                "status": ItemStatus.NEW.value,
            }
        )
        new_meta.append((item, match))
    session.flush()  # updates of known rows
    fresh: list[ClusterCandidate] = []
    if new_params:
        # items of one source never cluster with each other (find_cluster skips the same source),
        # so all new rows go in one multi-row INSERT … RETURNING; the ids come back matched by
        # GUID, unique within the batch
        conn = session.connection()
        ids_by_guid = insert_returning_ids(conn, new_params)
        own: list[int] = []
        leads: dict[int, int] = {}
        for item, match in new_meta:
            item_id = ids_by_guid[item.guid]
            if match is None:
                own.append(item_id)
                cluster = item_id
            else:
                cluster = match.cluster_id or match.item_id
                if match.cluster_id is None:
                    leads[match.item_id] = cluster
            added.append(item_id)
            fresh.append(ClusterCandidate(item_id, cluster, source.id, item.title_key, item.published_at or now))
        # an item that starts its own cluster is its cluster's id; an earlier item that a new one
        # duplicates becomes a cluster lead: two statements per source, whatever the counts
        for start in range(0, len(own), 500):
            conn.execute(_OWN_CLUSTERS, {"ids": own[start : start + 500]})
        if leads:
            conn.execute(_LEADS, [{"lead_id": lead, "cluster": cluster} for lead, cluster in leads.items()])
    return StoreResult(tuple(added), tuple(updated), unchanged, tuple(fresh))


#: the columns :func:`store_items` gives a new item, in the order of :func:`insert_returning_ids`
_NEW_ITEM_COLUMNS = ("source_id", "kind", "guid", "url", "title", "summary_html", "summary_text", "published_at",
                     "fetched_at", "topics", "is_new_service", "new_service_rule", "title_key", "cluster_id",
                     "content_hash", "diff_text", "status")
#: rows per INSERT statement: 500 × 17 parameters stays under SQLite's and PostgreSQL's limits
_INSERT_CHUNK = 500
#: positional placeholders by DB-API parameter style
_PLACEHOLDERS = {"qmark": "?", "format": "%s", "pyformat": "%s"}


@dataclass(frozen=True)
class _InsertPlan:
    """The parts of :func:`insert_returning_ids`'s statement for one dialect, made once."""

    #: each column with its bind processor (the one the engine applies to a Core insert), or None
    columns: tuple[tuple[str, Callable[[Any], Any] | None], ...]
    head: str
    one_row: str
    tail: str


_insert_plans: WeakKeyDictionary[Dialect, _InsertPlan] = WeakKeyDictionary()


def _insert_plan(dialect: Dialect) -> _InsertPlan:
    plan = _insert_plans.get(dialect)
    if plan is not None:
        return plan
    mark = _PLACEHOLDERS.get(dialect.paramstyle)
    if mark is None:  # the drivers of the two supported databases: sqlite3 (qmark), psycopg (pyformat)
        raise StorageError(f"inserting items: the database driver's parameter style {dialect.paramstyle!r} "
                           "is not supported")
    quote = dialect.identifier_preparer.quote
    plan = _insert_plans[dialect] = _InsertPlan(
        columns=tuple((name, _ITEM.c[name].type.dialect_impl(dialect).bind_processor(dialect))
                      for name in _NEW_ITEM_COLUMNS),
        head=f"INSERT INTO {quote(_ITEM.name)} ({', '.join(quote(c) for c in _NEW_ITEM_COLUMNS)}) VALUES ",
        one_row="(" + ", ".join([mark] * len(_NEW_ITEM_COLUMNS)) + ")",
        tail=f" RETURNING {quote('guid')}, {quote('id')}",
    )
    return plan


def insert_returning_ids(conn: Connection, rows: Sequence[dict[str, Any]]) -> dict[str, int]:
    """Insert new item rows (dicts with the keys of ``_NEW_ITEM_COLUMNS``) and return their ids by
    GUID (unique within the rows: one source's batch).

    One multi-row ``INSERT … VALUES (…), (…) RETURNING guid, id`` per 500 rows, as SQLAlchemy's
    Core insert sends it, but with the parameters converted by the columns' own bind processors
    in one loop instead of SQLAlchemy's per-row machinery: a cold poll stores 10,000 rows, and
    that machinery was a fifth of the storing thread's time (docs/benchmarks.md).
    """
    plan = _insert_plan(conn.dialect)
    columns = plan.columns
    ids: dict[str, int] = {}
    for start in range(0, len(rows), _INSERT_CHUNK):
        chunk = rows[start : start + _INSERT_CHUNK]
        params: list[Any] = []
        for row in chunk:
            params.extend([row[name] if proc is None else proc(row[name]) for name, proc in columns])
        sql = plan.head + ", ".join([plan.one_row] * len(chunk)) + plan.tail
        ids.update((guid, item_id) for guid, item_id in conn.exec_driver_sql(sql, tuple(params)))
    return ids


def success_health(
    *,
    now: datetime,
    next_due: datetime,
    status: int | None,
    outcome: str = "ok",
    etag: str | None = None,
    last_modified: str | None = None,
    item_count: int | None = None,
) -> dict[str, Any]:
    """A source's health columns after a successful attempt, as column → value. Pure."""
    changes: dict[str, Any] = {
        "last_attempt_at": now, "last_success_at": now, "last_outcome": outcome, "last_status": status,
        "last_error": None, "consecutive_failures": 0, "failing_since": None, "next_due_at": next_due,
    }
    if etag is not None:
        changes["etag"] = etag
    if last_modified is not None:
        changes["last_modified"] = last_modified
    if item_count is not None:
        changes["last_item_count"] = item_count
    return changes


def failure_health(
    *, failures_before: int, failing_since: datetime | None, now: datetime, next_due: datetime, outcome: str,
    error: str, status: int | None = None,
) -> dict[str, Any]:
    """A source's health columns after a failed attempt, as column → value, given its failure
    count and ``failing_since`` before it. Pure."""
    return {
        "last_attempt_at": now, "last_outcome": outcome, "last_status": status, "last_error": error[:2000],
        "consecutive_failures": failures_before + 1, "failing_since": failing_since or now, "next_due_at": next_due,
    }


def record_failure(
    source: Source, *, now: datetime, next_due: datetime, outcome: str, error: str, status: int | None = None
) -> None:
    """Update a source's health after a failed attempt (the caller adds and commits)."""
    apply_health(source, failure_health(failures_before=source.consecutive_failures or 0,
                                  failing_since=source.failing_since, now=now, next_due=next_due, outcome=outcome,
                                  error=error, status=status))


def apply_health(source: Source, changes: dict[str, Any]) -> None:
    """Set health columns (from :func:`success_health` or :func:`failure_health`) on a source's
    ORM row (the caller adds and commits)."""
    for name, value in changes.items():
        setattr(source, name, value)


def backoff_delay(base: timedelta, failures: int, cap: timedelta) -> timedelta:
    """Exponential backoff: base, 2×base, 4×base … capped. Pure."""
    if failures <= 0:
        return base
    delay: timedelta = base * (2 ** min(failures - 1, 16))
    return min(cap, delay)


def source_timezone(source: Source, config: Config) -> str:
    return source.timezone or config.timezone

"""Read and review queries over items, shared by the CLI, the web interface and the digest.

Owns: filtering items (:class:`ItemFilter`), keyset pages of items (:func:`page_items`,
:class:`ItemCursor`: the cost of a page does not grow with the archive), the review counts,
changing an item's review status (:func:`set_status`) and a person's edit of an item
(:func:`edit_item`), the Russian names of the review statuses (:data:`ITEM_STATUS_LABELS`), and the
cheap version of the published content (:func:`public_content_version`) the web's public cache
compares.

Item lists are ordered by the item's date (published, else fetched), then id, newest first. The
database cannot walk a plain index in that order (it is an expression), so a limited list reads
two index-ordered streams — dated items by ``published_at``, undated ones by ``fetched_at`` (the
indexes of migration 0900) — and merges them: a page reads about a page of rows, however many
items there are.
"""

from __future__ import annotations

import hashlib
import heapq
import json
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from itertools import islice
from typing import Any, TypeVar

from sqlalchemy import ColumnElement, and_, func, or_
from sqlmodel import Session, col, select
from sqlmodel.sql.expression import Select

from ecitizen.errors import NotFoundError
from ecitizen.storage import Item, ItemStatus, Link, Source, topic_text_columns

#: Russian names of the review statuses
ITEM_STATUS_LABELS: dict[str, str] = {
    ItemStatus.NEW.value: "новое",
    ItemStatus.APPROVED.value: "одобрено",
    ItemStatus.REJECTED.value: "отклонено",
}


@dataclass(frozen=True)
class ItemFilter:
    since: datetime | None = None
    until: datetime | None = None
    topic: str | None = None
    status: str | None = None
    source: str | None = None
    new_services: bool = False
    kind: str | None = None
    limit: int | None = None
    offset: int = 0


def list_items(session: Session, flt: ItemFilter) -> list[tuple[Item, str]]:
    """Items matching ``flt`` with their source names, newest first.

    With ``flt.limit`` the rows come from :func:`iter_items` (about ``offset + limit`` rows read);
    without it, every matching row.
    """
    if flt.limit is not None:
        return list(islice(iter_items(session, flt), flt.offset, flt.offset + max(0, flt.limit)))
    when = func.coalesce(Item.published_at, Item.fetched_at)
    q = select(Item, Source.name).join(Source, col(Source.id) == col(Item.source_id))
    if flt.since is not None:
        q = q.where(or_(when >= flt.since, col(Item.fetched_at) >= flt.since))
    if flt.until is not None:
        q = q.where(when < flt.until)
    q = _item_conditions(q, flt)
    q = q.order_by(when.desc(), col(Item.id).desc())
    rows = [(item, name) for item, name in session.exec(q)]
    if flt.topic:
        rows = [(i, n) for i, n in rows if flt.topic in i.topic_ids()]
    if flt.offset:
        rows = rows[flt.offset :]
    return rows


# -- keyset pages ----------------------------------------------------------------------------------


#: a query of one of the item streams (whatever its columns)
Q = TypeVar("Q", bound=Select[*tuple[Any, ...]])

#: the largest item id (a 32-bit integer column on PostgreSQL)
MAX_ID = 2**31 - 1


@dataclass(frozen=True, order=True)
class ItemCursor:
    """A position in an item list: the item's date (published, else fetched) and its id.

    :meth:`token` is the opaque text the CLI (``--after``) and the review page (``after=``/
    ``before=``) carry; :meth:`parse` reads it back (``ValueError`` when it is not one).
    """

    when: datetime
    id: int

    @classmethod
    def of(cls, item: Item) -> ItemCursor:
        assert item.id is not None
        return cls(item.published_at or item.fetched_at, item.id)

    def token(self) -> str:
        return f"{self.when.astimezone(UTC).strftime('%Y%m%dT%H%M%S.%fZ')}_{self.id}"

    @classmethod
    def parse(cls, token: str) -> ItemCursor:
        stamp, sep, ident = token.strip().partition("_")
        if not sep or not ident.isdigit() or len(ident) > 10 or int(ident) > MAX_ID:
            raise ValueError(f"not an item cursor: {token!r}")
        when = datetime.strptime(stamp, "%Y%m%dT%H%M%S.%fZ").replace(tzinfo=UTC)
        return cls(when, int(ident))


@dataclass(frozen=True)
class ItemPage:
    """One page of an item list, newest first, and the cursors of its neighbours (None: no more)."""

    rows: list[tuple[Item, str]]
    #: pass as ``after`` for the next (older) page
    next_cursor: ItemCursor | None
    #: pass as ``before`` for the previous (newer) page
    prev_cursor: ItemCursor | None


def _item_conditions(q: Q, flt: ItemFilter) -> Q:
    """``flt``'s conditions that do not depend on dates (status, source, new services, kind)."""
    if flt.status:
        q = q.where(Item.status == flt.status)
    if flt.source:
        q = q.where(Source.name == flt.source)
    if flt.new_services:
        q = q.where(col(Item.is_new_service).is_(True))
    if flt.kind:
        q = q.where(Item.kind == flt.kind)
    return q


def _filtered(q: Q, flt: ItemFilter, *, dated: bool) -> Q:
    """``flt``'s conditions for one stream (``dated``: published_at set; else undated)."""
    published, fetched = col(Item.published_at), col(Item.fetched_at)
    if dated:
        q = q.where(published.is_not(None))
        if flt.since is not None:  # coalesce(p, f) >= s or f >= s  ==  p >= s or f >= s
            q = q.where(or_(published >= flt.since, fetched >= flt.since))
        if flt.until is not None:
            q = q.where(published < flt.until)
    else:
        q = q.where(published.is_(None))
        if flt.since is not None:
            q = q.where(fetched >= flt.since)
        if flt.until is not None:
            q = q.where(fetched < flt.until)
    q = _item_conditions(q, flt)
    if flt.topic:
        q = q.where(maybe_of_topic(flt.topic))
    return q


def maybe_of_topic(topic: str) -> ColumnElement[bool]:
    """A cheap superset in SQL of the items of ``topic`` (its id as a JSON string in the automatic
    or the manual topics); the exact test is ``Item.topic_ids()``. Topic ids are ASCII slugs
    (``config.Topic``), so the pattern is the same in the lists stored with ``\\uXXXX`` escapes
    (before 0.2.3) and in UTF-8 ones."""
    pattern = "%" + json.dumps(topic) + "%"
    automatic, manual = topic_text_columns()  # the expressions migration 1110 keeps statistics on
    return or_(automatic.like(pattern), manual.like(pattern))


def in_date_range(start: datetime, end: datetime) -> ColumnElement[bool]:
    """The item's date (published, else fetched) in ``[start, end)``, written so that the database
    can use its indexes: ``published_at`` for dated items, the partial index over undated ones."""
    published, fetched = col(Item.published_at), col(Item.fetched_at)
    return or_(and_(published >= start, published < end),
               and_(published.is_(None), fetched >= start, fetched < end))


def _in_list_order(q: Q, *, dated: bool, newer: bool = False) -> Q:
    """Order one stream newest first (or oldest first): dated rows by (published_at, id), undated
    ones by (fetched_at, id) — the order of the partial indexes over undated rows (migration 0900)."""
    order = [col(Item.published_at), col(Item.id)] if dated else [col(Item.fetched_at), col(Item.id)]
    return q.order_by(*(c.asc() for c in order)) if newer else q.order_by(*(c.desc() for c in order))


def _stream(session: Session, flt: ItemFilter, *, dated: bool, start: ItemCursor | None, newer: bool,
            batch: int) -> Iterator[tuple[Item, str]]:
    """One index-ordered stream of rows strictly past ``start`` (older, or ``newer``), in batches."""
    key = col(Item.published_at) if dated else col(Item.fetched_at)
    ident = col(Item.id)
    base = _filtered(select(Item, Source.name).join(Source, col(Source.id) == col(Item.source_id)), flt,
                     dated=dated)
    base = _in_list_order(base, dated=dated, newer=newer)
    position = start
    while True:
        q = base
        if position is not None:  # (key, id) past the position; the first term bounds the index range
            if newer:
                q = q.where(key >= position.when, or_(key > position.when, ident > position.id))
            else:
                q = q.where(key <= position.when, or_(key < position.when, ident < position.id))
        rows = [(item, name) for item, name in session.exec(q.limit(batch))]
        yield from rows
        if len(rows) < batch:
            return
        position = ItemCursor.of(rows[-1][0])
        batch = min(batch * 4, 2000)


def iter_items(session: Session, flt: ItemFilter, *, after: ItemCursor | None = None,
               before: ItemCursor | None = None, batch: int | None = None) -> Iterator[tuple[Item, str]]:
    """Items matching ``flt`` (its ``limit``/``offset`` ignored), newest first, read lazily.

    ``after``: only items older than that position; ``before``: only items newer than it, then
    yielded oldest first (the rows just before a page, nearest first).
    """
    newer = before is not None
    start = before if newer else after
    size = batch or ((flt.limit or 50) + 1)
    streams = [_stream(session, flt, dated=d, start=start, newer=newer, batch=size) for d in (True, False)]

    def sort_key(row: tuple[Item, str]) -> ItemCursor:
        return ItemCursor.of(row[0])

    merged = heapq.merge(*streams, key=sort_key, reverse=not newer)
    if flt.topic:
        topic = flt.topic
        return (r for r in merged if topic in r[0].topic_ids())
    return iter(merged)


def page_items(session: Session, flt: ItemFilter, *, limit: int = 50, after: ItemCursor | None = None,
               before: ItemCursor | None = None) -> ItemPage:
    """One page of ``limit`` items matching ``flt``, newest first: the first page, the page after
    ``after`` (older items) or the page before ``before`` (newer items). Reads about ``limit + 1``
    rows per stream, so a page costs the same on the first page and the ten-thousandth."""
    if after is not None and before is not None:
        raise ValueError("give after or before, not both")
    limit = max(1, limit)
    rows = list(islice(iter_items(session, flt, after=after, before=before, batch=limit + 1), limit + 1))
    more = len(rows) > limit
    rows = rows[:limit]
    if before is not None:
        if not more:  # fewer than a page is newer: the first page
            return page_items(session, flt, limit=limit)
        rows.reverse()
        # the item at ``before`` is older than this page (a next page), and more is newer (a previous one)
        return ItemPage(rows, ItemCursor.of(rows[-1][0]), ItemCursor.of(rows[0][0]))
    next_cursor = ItemCursor.of(rows[-1][0]) if more and rows else None
    prev_cursor = ItemCursor.of(rows[0][0]) if after is not None and rows else None
    return ItemPage(rows, next_cursor, prev_cursor)


def set_status(session: Session, ids: Iterable[int], status: str, *, reviewer: str, now: datetime) -> list[int]:
    """Set the review status of items; returns the ids that do not exist."""
    if status not in {s.value for s in ItemStatus}:
        raise ValueError(f"unknown status {status!r}")
    missing: list[int] = []
    for item_id in ids:
        item = session.get(Item, item_id)
        if item is None:
            missing.append(item_id)
            continue
        item.status = status
        item.reviewed_by = reviewer
        item.reviewed_at = now
        session.add(item)
    return missing


def cluster_members(session: Session, cluster_ids: Sequence[int]) -> dict[int, list[tuple[Item, str]]]:
    """All items of the given clusters, grouped by cluster id."""
    out: dict[int, list[tuple[Item, str]]] = {}
    if not cluster_ids:
        return out
    q = (
        select(Item, Source.name)
        .join(Source, col(Source.id) == col(Item.source_id))
        .where(col(Item.cluster_id).in_(list(cluster_ids)))
        .order_by(col(Item.id))
    )
    for item, name in session.exec(q):
        assert item.cluster_id is not None
        out.setdefault(item.cluster_id, []).append((item, name))
    return out


@dataclass(frozen=True)
class ReviewCounts:
    #: items waiting for review
    queue: int
    #: of those, new online services
    new_services: int


def review_counts(session: Session) -> ReviewCounts:
    """How many items wait for review, and how many of them are new online services."""
    waiting = select(func.count(col(Item.id))).where(Item.status == ItemStatus.NEW.value)
    queue = session.exec(waiting).one()
    services = session.exec(waiting.where(col(Item.is_new_service).is_(True))).one()
    return ReviewCounts(queue, services)


def get_item(session: Session, item_id: int) -> tuple[Item, Source | None]:
    """An item with its source. Raises :class:`NotFoundError`."""
    item = session.get(Item, item_id)
    if item is None:
        raise NotFoundError(f"no item #{item_id}")
    return item, session.get(Source, item.source_id)


def edit_item(
    session: Session, item_id: int, *, display_title: str, explanation: str, topics: Iterable[str],
    decision: str | None, reviewer: str, now: datetime,
) -> Item:
    """A person's edit: the title and explanation for print, the topics, optionally a new status.

    Empty text means "use the original"; ``decision`` None keeps the status.
    """
    if decision is not None and decision not in {s.value for s in ItemStatus}:
        raise ValueError(f"unknown status {decision!r}")
    item, _source = get_item(session, item_id)
    item.display_title = display_title.strip() or None
    item.explanation = explanation.strip() or None
    item.manual_topics = list(dict.fromkeys(topics))
    if decision is not None:
        item.status = decision
    item.reviewed_by = reviewer
    item.reviewed_at = now
    session.add(item)
    session.flush()
    return item


def newest_approved_stamps(session: Session, window: int) -> list[tuple[int | None, datetime | None, str]]:
    """(id, reviewed_at, content_hash) of the ``window`` newest approved items, in list order: two
    index walks of ``window`` rows, however many items there are."""
    approved = Item.status == ItemStatus.APPROVED.value
    streams = []
    for dated in (True, False):
        when = col(Item.published_at) if dated else col(Item.fetched_at)
        q = select(when, col(Item.id), col(Item.reviewed_at), col(Item.content_hash)).where(approved).where(
            col(Item.published_at).is_not(None) if dated else col(Item.published_at).is_(None))
        streams.append(list(session.exec(_in_list_order(q, dated=dated).limit(window))))
    merged = heapq.merge(*streams, key=lambda r: (r[0], r[1]), reverse=True)
    return [(ident, reviewed, chash) for _when, ident, reviewed, chash in islice(merged, window)]


def public_content_version(session: Session, *, window: int = 500) -> dict[str, tuple[Any, ...]]:
    """What the public outputs depend on, cheaply: approved items (feeds, widget) and links (catalogue).

    Items: the feeds show the ``window`` newest approved items, so their version is those items'
    ids, review stamps and content hashes (approving, rejecting, returning to the queue, a person's
    edit, a source's update of the text and a deleted source all change it) — two index walks of
    ``window`` rows, the same cost at 300,000 items as at 300 — as ``(newest review, how many, a
    digest of the stamps)``. Links: the
    newest check, review and status change and the count of links; ``none`` for outputs that
    depend on nothing stored.
    """
    stamps = newest_approved_stamps(session, window)
    digest = hashlib.sha256(repr(stamps).encode()).hexdigest()[:24]
    newest = max((r for _i, r, _h in stamps if r is not None), default=None)
    links = session.exec(
        select(func.max(Link.last_checked_at), func.max(Link.reviewed_at), func.count(col(Link.id)),
               func.max(Link.status_since))
    ).one()
    return {"items": (newest, len(stamps), f"window:{digest}"), "links": tuple(links), "none": ()}

"""Read and review queries over items, shared by the CLI, the web interface and the digest.

Owns: filtering items (:class:`ItemFilter`), the review counts, changing an item's review status
(:func:`set_status`) and a person's edit of an item (:func:`edit_item`), the Russian names of
the review statuses (:data:`ITEM_STATUS_LABELS`), and the cheap version of the published content
(:func:`public_content_version`) the web's public cache compares.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import func, or_
from sqlmodel import Session, col, select

from ecitizen.errors import NotFoundError
from ecitizen.storage import Item, ItemStatus, Link, Source

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
    """Items matching ``flt`` with their source names, newest first."""
    when = func.coalesce(Item.published_at, Item.fetched_at)
    q = select(Item, Source.name).join(Source, col(Source.id) == col(Item.source_id))
    if flt.since is not None:
        q = q.where(or_(when >= flt.since, col(Item.fetched_at) >= flt.since))
    if flt.until is not None:
        q = q.where(when < flt.until)
    if flt.status:
        q = q.where(Item.status == flt.status)
    if flt.source:
        q = q.where(Source.name == flt.source)
    if flt.new_services:
        q = q.where(col(Item.is_new_service).is_(True))
    if flt.kind:
        q = q.where(Item.kind == flt.kind)
    q = q.order_by(when.desc(), col(Item.id).desc())
    rows = [(item, name) for item, name in session.exec(q)]
    if flt.topic:
        rows = [(i, n) for i, n in rows if flt.topic in i.topic_ids()]
    if flt.offset:
        rows = rows[flt.offset :]
    if flt.limit is not None:
        rows = rows[: flt.limit]
    return rows


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


def public_content_version(session: Session) -> dict[str, tuple[Any, ...]]:
    """What the public outputs depend on, cheaply: approved items (feeds, widget) and links (catalogue).

    ``max(reviewed_at)``, count and ``max(id)`` of approved items; the newest check, review and
    status change and the count of links; ``none`` for outputs that depend on nothing stored.
    """
    approved = session.exec(
        select(func.max(Item.reviewed_at), func.count(col(Item.id)), func.max(Item.id)).where(
            Item.status == ItemStatus.APPROVED.value
        )
    ).one()
    links = session.exec(
        select(func.max(Link.last_checked_at), func.max(Link.reviewed_at), func.count(col(Link.id)),
               func.max(Link.status_since))
    ).one()
    return {"items": tuple(approved), "links": tuple(links), "none": ()}

"""Read and review queries over items, shared by the CLI, the web interface and the digest.

Owns: filtering items (:class:`ItemFilter`) and changing their review status.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func, or_
from sqlmodel import Session, col, select

from ecitizen.storage import Item, ItemStatus, Source


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

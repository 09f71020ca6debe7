"""A link's history as a person reads it, and a person's marks on a link.

Owns: the reads of the link pages that the archive's front door does not offer — a link's recent
checks, events and saved copies (:func:`link_history`), one saved copy (:func:`get_snapshot`), the
count of events nobody has looked at — and the two marks a person leaves: "reviewed" (which
acknowledges the link's open events) and a note in the link's events (:func:`note_link_event`).
Checking links, statuses and moves are the archive package's; the core never imports it.

Must not import: network code or any domain package.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func
from sqlmodel import Session, col, select

from ecitizen.errors import NotFoundError
from ecitizen.storage import Link, LinkCheck, LinkEvent, Snapshot


@dataclass(frozen=True)
class LinkHistory:
    link: Link
    #: newest first
    checks: tuple[LinkCheck, ...]
    events: tuple[LinkEvent, ...]
    snapshots: tuple[Snapshot, ...]


def _link(session: Session, link_id: int) -> Link:
    link = session.get(Link, link_id)
    if link is None:
        raise NotFoundError(f"no link #{link_id} in the catalogue")
    return link


def link_history(session: Session, link_id: int, *, limit: int = 30, snapshots: int = 10) -> LinkHistory:
    """A link with its newest checks and events (``limit`` each) and saved copies. Raises NotFoundError."""
    link = _link(session, link_id)
    checks = session.exec(
        select(LinkCheck).where(LinkCheck.link_id == link_id).order_by(col(LinkCheck.checked_at).desc()).limit(limit)
    ).all()
    events = session.exec(
        select(LinkEvent).where(LinkEvent.link_id == link_id).order_by(col(LinkEvent.at).desc()).limit(limit)
    ).all()
    snaps = session.exec(
        select(Snapshot).where(Snapshot.link_id == link_id).order_by(col(Snapshot.taken_at).desc()).limit(snapshots)
    ).all()
    return LinkHistory(link, tuple(checks), tuple(events), tuple(snaps))


def get_snapshot(session: Session, snapshot_id: int) -> Snapshot:
    snap = session.get(Snapshot, snapshot_id)
    if snap is None:
        raise NotFoundError(f"no saved copy #{snapshot_id}")
    return snap


def open_event_count(session: Session) -> int:
    """Link events nobody has acknowledged yet."""
    return session.exec(select(func.count(col(LinkEvent.id))).where(col(LinkEvent.acknowledged).is_(False))).one()


def mark_link_reviewed(session: Session, link_id: int, *, now: datetime) -> Link:
    """A person looked at the link: its review date is ``now`` and its open events are acknowledged."""
    link = _link(session, link_id)
    link.reviewed_at = now
    session.add(link)
    for ev in session.exec(
        select(LinkEvent).where(LinkEvent.link_id == link_id).where(col(LinkEvent.acknowledged).is_(False))
    ).all():
        ev.acknowledged = True
        session.add(ev)
    session.flush()
    return link


def note_link_event(
    session: Session, link_id: int, *, kind: str, summary: str, at: datetime, acknowledged: bool = True
) -> LinkEvent:
    """Record what a person did to a link (e.g. accepted its new address) in its events."""
    event = LinkEvent(link_id=link_id, at=at, kind=kind, summary=summary, acknowledged=acknowledged)
    session.add(event)
    session.flush()
    return event

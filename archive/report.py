"""The link report: a pure function over rows, for the CLI, the weekly digest and the web page."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from sqlmodel import Session, col, select

from ecitizen.archive import status as st
from ecitizen.storage import Link, LinkEvent, Snapshot
from ecitizen.urls import display_url


@dataclass(frozen=True)
class AttentionItem:
    link_id: int
    url: str
    title: str
    status: str
    reason: str
    explanation: str
    detail: str
    proposed_url: str | None
    since: datetime | None
    diff_text: str | None = None
    #: the newest saved copy (path relative to the data folder): what the library can still show
    snapshot_path: str | None = None

    def as_json(self) -> dict[str, Any]:
        return {
            "link_id": self.link_id, "url": self.url, "display_url": display_url(self.url), "title": self.title,
            "snapshot_path": self.snapshot_path,
            "status": self.status, "reason": self.reason, "explanation": self.explanation, "detail": self.detail,
            "proposed_url": self.proposed_url,
            "proposed_display_url": display_url(self.proposed_url) if self.proposed_url else None,
            "since": self.since.isoformat() if self.since else None, "diff": self.diff_text,
        }


@dataclass(frozen=True)
class ChangeEvent:
    link_id: int
    url: str
    title: str
    kind: str
    at: datetime
    summary: str
    diff_text: str | None

    def as_json(self) -> dict[str, Any]:
        return {"link_id": self.link_id, "url": self.url, "display_url": display_url(self.url),
                "title": self.title, "kind": self.kind, "at": self.at.isoformat(), "summary": self.summary,
                "diff": self.diff_text}


@dataclass(frozen=True)
class Unreviewed:
    link_id: int
    url: str
    title: str
    reviewed_at: datetime | None
    added_at: datetime

    def as_json(self) -> dict[str, Any]:
        return {"link_id": self.link_id, "url": self.url, "display_url": display_url(self.url),
                "title": self.title, "reviewed_at": self.reviewed_at.isoformat() if self.reviewed_at else None,
                "added_at": self.added_at.isoformat()}


@dataclass(frozen=True)
class LinkReport:
    generated_at: datetime
    total: int
    counts: dict[str, int]
    needs_attention: tuple[AttentionItem, ...] = field(default_factory=tuple)
    recent_events: tuple[ChangeEvent, ...] = field(default_factory=tuple)
    oldest_unreviewed: tuple[Unreviewed, ...] = field(default_factory=tuple)

    def as_json(self) -> dict[str, Any]:
        return {
            "generated_at": self.generated_at.isoformat(), "total": self.total, "counts": self.counts,
            "status_labels": {k: st.STATUS_LABELS[k] for k in self.counts if k in st.STATUS_LABELS},
            "needs_attention": [a.as_json() for a in self.needs_attention],
            "recent_events": [e.as_json() for e in self.recent_events],
            "oldest_unreviewed": [u.as_json() for u in self.oldest_unreviewed],
        }


def link_report(
    session: Session, *, now: datetime, days: int = 7, since: datetime | None = None,
    until: datetime | None = None, unreviewed_limit: int = 10,
) -> LinkReport:
    """Counts by status, links that need a person, events of a period, oldest unreviewed.

    Statuses are as they are now. Events are those of ``[since, until)``; without ``since`` the
    last ``days`` days, without ``until`` up to now (the weekly digest passes its week). A link
    needs a person when its status is in :data:`status.NEEDS_PERSON` or it has an unseen
    "changed" event in the period.
    """
    links = list(session.exec(select(Link).order_by(col(Link.id))))
    counts: dict[str, int] = {}
    for link in links:
        counts[link.status] = counts.get(link.status, 0) + 1
    start = since if since is not None else now - timedelta(days=days)
    query = select(LinkEvent).where(col(LinkEvent.at) >= start)
    if until is not None:
        query = query.where(col(LinkEvent.at) < until)
    events = list(session.exec(query.order_by(col(LinkEvent.at).desc(), col(LinkEvent.id))))
    by_id = {link.id: link for link in links}
    snapshots: dict[int, str] = {}
    for snap in session.exec(select(Snapshot).where(col(Snapshot.link_id).is_not(None))
                             .order_by(col(Snapshot.taken_at), col(Snapshot.id))):
        snapshots[snap.link_id or 0] = snap.html_path
    attention: list[AttentionItem] = []
    for link in links:
        if link.status in st.NEEDS_PERSON:
            attention.append(AttentionItem(
                link.id or 0, link.url, link.title, link.status, st.ATTENTION_REASONS[link.status],
                st.STATUS_EXPLANATIONS[link.status], link.status_detail, link.proposed_url, link.status_since,
                snapshot_path=snapshots.get(link.id or 0),
            ))
    changed_seen: set[int] = set()
    for ev in events:
        evlink = by_id.get(ev.link_id)
        if ev.kind == st.CHANGED and not ev.acknowledged and evlink is not None and ev.link_id not in changed_seen:
            changed_seen.add(ev.link_id)
            attention.append(AttentionItem(
                evlink.id or 0, evlink.url, evlink.title, st.CHANGED, st.ATTENTION_REASONS[st.CHANGED],
                st.CHANGED_EXPLANATION, ev.summary, None, ev.at, ev.diff_text, snapshots.get(evlink.id or 0),
            ))
    recent = tuple(
        ChangeEvent(ev.link_id, by_id[ev.link_id].url, by_id[ev.link_id].title, ev.kind, ev.at, ev.summary,
                    ev.diff_text)
        for ev in events if ev.link_id in by_id
    )
    never = datetime.min.replace(tzinfo=now.tzinfo)
    unreviewed = sorted(links, key=lambda lk: (lk.reviewed_at or never, lk.added_at, lk.id or 0))
    oldest = tuple(Unreviewed(lk.id or 0, lk.url, lk.title, lk.reviewed_at, lk.added_at)
                   for lk in unreviewed[:unreviewed_limit])
    return LinkReport(now, len(links), dict(sorted(counts.items())), tuple(attention), recent, oldest)

"""Reading adapter: rows from the database (and the archive's typed link report) into the plain
values of :mod:`digest.select`. The only module of ``digest`` that runs queries.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from datetime import datetime
from typing import Any

from sqlalchemy import func
from sqlalchemy import select as sa_select
from sqlmodel import Session, col, select

from ecitizen.archive import LinkReport, link_report
from ecitizen.config import Config
from ecitizen.digest.periods import Period
from ecitizen.digest.select import (
    ItemView,
    LinkChange,
    LinkNeed,
    LinkReportData,
    PendingReview,
    SourceHealth,
    TopicInfo,
    UnreviewedLink,
)
from ecitizen.outcomes import explain
from ecitizen.storage import Item, Source, TopicIds, topic_text_columns
from ecitizen.urls import display_url

log = logging.getLogger("ecitizen.digest")


def item_view(item: Item, source: str) -> ItemView:
    assert item.id is not None
    return ItemView(
        id=item.id,
        source=source,
        kind=item.kind,
        url=item.url,
        guid=item.guid,
        title=item.display_title or item.title,
        summary_text=item.summary_text or "",
        summary_html=item.summary_html or "",
        published_at=item.published_at,
        fetched_at=item.fetched_at,
        topic_ids=tuple(item.topic_ids()),
        is_new_service=bool(item.is_new_service),
        cluster_id=item.cluster_id,
        status=item.status,
        explanation=item.explanation,
        diff_text=item.diff_text,
        original_title=item.title,
    )


def topics_of(config: Config) -> tuple[TopicInfo, ...]:
    return tuple(TopicInfo(t.id, t.title) for t in config.topics)


#: the columns an :class:`ItemView` is built from (a Core select: no ORM objects at 300,000 rows)
_VIEW_COLUMNS = (
    Item.id, Source.name, Item.kind, Item.url, Item.guid, Item.display_title, Item.title, Item.summary_text,
    Item.published_at, Item.fetched_at, *topic_text_columns(), Item.is_new_service, Item.cluster_id,
    Item.status, Item.explanation,
)


def _row_view(row: Any, summary_html: str, diff_text: str | None, topic_ids: TopicIds) -> ItemView:
    (id_, source, kind, url, guid, display_title, title, summary_text, published_at, fetched_at, topics, manual,
     is_new_service, cluster_id, status, explanation) = row[:16]
    return ItemView(
        id=id_, source=source, kind=kind, url=url, guid=guid, title=display_title or title,
        summary_text=summary_text or "", summary_html=summary_html, published_at=published_at,
        fetched_at=fetched_at,
        topic_ids=topic_ids(topics, manual),
        is_new_service=bool(is_new_service), cluster_id=cluster_id, status=status, explanation=explanation,
        diff_text=diff_text, original_title=title,
    )


def load_items(
    session: Session, *, since: datetime | None = None, until: datetime | None = None,
    status: str | None = None, bodies: bool = True,
) -> list[ItemView]:
    """Items whose date (published, else fetched) or fetch time falls in ``[since, until)``.

    ``bodies=False`` leaves ``summary_html`` and ``diff_text`` out (empty / None): the outputs that
    print only titles and plain summaries (the media note, posters) do not read them.
    """
    when = func.coalesce(Item.published_at, Item.fetched_at)
    columns: tuple[Any, ...] = _VIEW_COLUMNS + ((Item.summary_html, Item.diff_text) if bodies else ())
    q = sa_select(*columns).join(Source, col(Source.id) == col(Item.source_id))
    if since is not None:
        q = q.where((when >= since) | (col(Item.fetched_at) >= since))
    if until is not None:
        q = q.where((when < until) | (col(Item.fetched_at) < until))
    if status is not None:
        q = q.where(col(Item.status) == status)
    q = q.order_by(col(Item.id))
    rows = session.execute(q)
    topic_ids = TopicIds()
    if bodies:
        return [_row_view(r, r[16] or "", r[17], topic_ids) for r in rows]
    return [_row_view(r, "", None, topic_ids) for r in rows]


def load_period_items(
    session: Session, period: Period, *, status: str | None = None, bodies: bool = True,
) -> list[ItemView]:
    return load_items(session, since=period.start, until=period.end, status=status, bodies=bodies)


def load_source_health(session: Session) -> list[SourceHealth]:
    return [
        SourceHealth(
            name=s.name, url=s.url, last_outcome=s.last_outcome, last_error=s.last_error,
            consecutive_failures=s.consecutive_failures or 0, failing_since=s.failing_since,
            last_success_at=s.last_success_at,
            explanation=explain(s.last_outcome, (s.last_error or "")[:300]),
        )
        for s in session.exec(select(Source).where(col(Source.enabled).is_(True)).order_by(col(Source.name)))
    ]


def load_pending(session: Session, *, until: datetime | None = None) -> PendingReview:
    """Items waiting for review (status ``new``); with ``until``, those that arrived before it."""
    q = select(func.count(), func.min(Item.fetched_at)).where(Item.status == "new")
    if until is not None:
        q = q.where(col(Item.fetched_at) < until)
    row = session.exec(q).one()
    count, oldest = row
    if oldest is not None and oldest.tzinfo is None:  # min() bypasses the column type
        from datetime import UTC

        oldest = oldest.replace(tzinfo=UTC)
    elif isinstance(oldest, str):
        oldest = datetime.fromisoformat(oldest)
    return PendingReview(int(count or 0), oldest)


# -- the link report ----------------------------------------------------------------------------

def link_report_data(report: LinkReport) -> LinkReportData:
    """The archive's typed report as the digest's plain values (addresses shown in Cyrillic)."""
    needs = tuple(
        LinkNeed(
            url=display_url(a.url), title=a.title, status=a.status, explanation=a.explanation,
            proposed_url=display_url(a.proposed_url) if a.proposed_url else None, since=a.since,
            detail=a.detail, diff=a.diff_text, href=a.url, proposed_href=a.proposed_url or "",
        )
        for a in report.needs_attention
    )
    changes = tuple(
        LinkChange(url=display_url(e.url), title=e.title, at=e.at, kind=e.kind, summary=e.summary,
                   diff=e.diff_text, href=e.url)
        for e in report.recent_events
    )
    unreviewed = tuple(
        UnreviewedLink(url=display_url(u.url), title=u.title, added_at=u.added_at, reviewed_at=u.reviewed_at,
                       href=u.url)
        for u in report.oldest_unreviewed
    )
    oldest = (unreviewed[0].reviewed_at or unreviewed[0].added_at) if unreviewed else None
    return LinkReportData(dict(report.counts), needs, changes, oldest, unreviewed)


def load_link_report(session: Session, *, now: datetime, period: Period) -> LinkReportData:
    """The archive's link report for ``period``: statuses as they are now, the period's events."""
    return link_report_data(link_report(session, now=now, since=period.start, until=period.end))


def load_cluster_sources(session: Session, items: Iterable[ItemView]) -> dict[int, set[str]]:
    """Source names of every member of the given items' clusters (rejected members left out)."""
    from ecitizen.queries import cluster_members

    ids = sorted({i.cluster_id for i in items if i.cluster_id is not None})
    out: dict[int, set[str]] = {}
    for start in range(0, len(ids), 500):
        for cid, members in cluster_members(session, ids[start : start + 500]).items():
            out[cid] = {name for item, name in members if item.status != "rejected"}
    return out


def views(rows: Iterable[tuple[Item, str]]) -> list[ItemView]:
    return [item_view(i, n) for i, n in rows]

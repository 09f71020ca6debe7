"""Reading adapter: rows from the database (and the archive's link report) into the plain values
of :mod:`digest.select`. The only module of ``digest`` that runs queries.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Mapping
from datetime import datetime
from typing import Any

from sqlalchemy import func
from sqlmodel import Session, col, select

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
from ecitizen.storage import Item, Link, LinkEvent, Source

log = logging.getLogger("ecitizen.digest")

#: link statuses that need a person
NEEDS_PERSON = ("broken", "moved", "soft_404", "tls_error", "server_error", "blocked", "timeout",
                "dns_error", "connection_error")

STATUS_RU = {
    "ok": "работает",
    "redirected": "перенаправляет",
    "moved": "страница переехала",
    "broken": "не открывается",
    "soft_404": "вместо страницы сообщение «не найдено»",
    "server_error": "ошибка на сайте",
    "blocked": "сайт не пускает проверку",
    "timeout": "сайт не отвечает",
    "dns_error": "адрес сайта не существует",
    "connection_error": "сайт недоступен",
    "tls_error": "ошибка защищённого соединения (сертификат)",
    "unchecked": "ещё не проверена",
}


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


def load_items(
    session: Session, *, since: datetime | None = None, until: datetime | None = None,
    status: str | None = None,
) -> list[ItemView]:
    """Items whose date (published, else fetched) or fetch time falls in ``[since, until)``."""
    when = func.coalesce(Item.published_at, Item.fetched_at)
    q = select(Item, Source.name).join(Source, col(Source.id) == col(Item.source_id))
    if since is not None:
        q = q.where((when >= since) | (col(Item.fetched_at) >= since))
    if until is not None:
        q = q.where((when < until) | (col(Item.fetched_at) < until))
    if status is not None:
        q = q.where(Item.status == status)
    q = q.order_by(col(Item.id))
    return [item_view(item, name) for item, name in session.exec(q)]


def load_period_items(session: Session, period: Period, *, status: str | None = None) -> list[ItemView]:
    return load_items(session, since=period.start, until=period.end, status=status)


def load_source_health(session: Session) -> list[SourceHealth]:
    return [
        SourceHealth(
            name=s.name, url=s.url, last_outcome=s.last_outcome, last_error=s.last_error,
            consecutive_failures=s.consecutive_failures or 0, failing_since=s.failing_since,
            last_success_at=s.last_success_at,
        )
        for s in session.exec(select(Source).where(col(Source.enabled).is_(True)).order_by(col(Source.name)))
    ]


def load_pending(session: Session) -> PendingReview:
    row = session.exec(
        select(func.count(), func.min(Item.fetched_at)).where(Item.status == "new")
    ).one()
    count, oldest = row
    if oldest is not None and oldest.tzinfo is None:  # min() bypasses the column type
        from datetime import UTC

        oldest = oldest.replace(tzinfo=UTC)
    elif isinstance(oldest, str):
        oldest = datetime.fromisoformat(oldest)
    return PendingReview(int(count or 0), oldest)


# -- the link report ----------------------------------------------------------------------------

def _dt(value: Any) -> datetime | None:
    if isinstance(value, datetime):
        return value
    if isinstance(value, str) and value:
        try:
            return datetime.fromisoformat(value.replace("Z", "+00:00"))
        except ValueError:
            return None
    return None


def _first(d: Mapping[str, Any], *keys: str, default: Any = None) -> Any:
    for k in keys:
        if k in d and d[k] not in (None, ""):
            return d[k]
    return default


def link_report_from_json(data: Mapping[str, Any]) -> LinkReportData:
    """Translate the archive's ``LinkReport.as_json()`` into :class:`LinkReportData` (tolerantly)."""
    counts_raw = _first(data, "counts", "by_status", default={}) or {}
    counts = {str(k): int(v) for k, v in dict(counts_raw).items() if isinstance(v, int | float)}
    needs: list[LinkNeed] = []
    for n in _first(data, "needs_attention", "needs_person", "needs", default=[]) or []:
        if not isinstance(n, Mapping):
            continue
        status = str(_first(n, "status", default=""))
        needs.append(LinkNeed(
            url=str(_first(n, "display_url", "url", default="")),
            title=str(_first(n, "title", default="")),
            status=status,
            explanation=str(_first(n, "explanation", "reason", default=STATUS_RU.get(status, status))),
            proposed_url=_first(n, "proposed_display_url", "proposed_url", default=None),
            since=_dt(_first(n, "since", "status_since", default=None)),
            detail=str(_first(n, "detail", default="")),
            diff=_first(n, "diff", "diff_text", default=None),
        ))
    changes: list[LinkChange] = []
    for c in _first(data, "recent_events", "changes", "events", default=[]) or []:
        if not isinstance(c, Mapping):
            continue
        changes.append(LinkChange(
            url=str(_first(c, "display_url", "url", default="")),
            title=str(_first(c, "title", default="")),
            at=_dt(_first(c, "at", "changed_at", default=None)),
            kind=str(_first(c, "kind", default="changed")),
            summary=str(_first(c, "summary", "explanation", default="")),
            diff=_first(c, "diff", "diff_text", default=None),
        ))
    unreviewed: list[UnreviewedLink] = []
    raw = _first(data, "oldest_unreviewed", default=None)
    for u in raw if isinstance(raw, list) else []:
        if isinstance(u, Mapping):
            unreviewed.append(UnreviewedLink(
                url=str(_first(u, "display_url", "url", default="")), title=str(_first(u, "title", default="")),
                added_at=_dt(u.get("added_at")), reviewed_at=_dt(u.get("reviewed_at")),
            ))
    oldest = None
    if unreviewed:
        first = unreviewed[0]
        oldest = first.reviewed_at or first.added_at
    elif raw is not None and not isinstance(raw, list):
        oldest = _dt(raw)
    return LinkReportData(counts, tuple(needs), tuple(changes), oldest, True, tuple(unreviewed))


def link_report_from_tables(session: Session, *, since: datetime | None) -> LinkReportData:
    """The same report read straight from the ``link`` tables (when ``archive`` is not installed)."""
    from ecitizen.urls import display_url

    counts: dict[str, int] = {}
    for status, n in session.exec(select(Link.status, func.count()).group_by(col(Link.status))):
        counts[status] = int(n)
    needs = [
        LinkNeed(
            url=display_url(lk.url), title=lk.title, status=lk.status,
            explanation=(STATUS_RU.get(lk.status, lk.status)
                         + (f" (HTTP {lk.http_status})" if lk.http_status else "")
                         + (f": {lk.status_detail}" if lk.status_detail else "")),
            proposed_url=display_url(lk.proposed_url) if lk.proposed_url else None,
            since=lk.status_since,
        )
        for lk in session.exec(select(Link).where(col(Link.status).in_(NEEDS_PERSON)).order_by(col(Link.url)))
    ]
    q = select(LinkEvent, Link).join(Link, col(Link.id) == col(LinkEvent.link_id)).where(
        col(LinkEvent.acknowledged).is_(False))
    if since is not None:
        q = q.where(col(LinkEvent.at) >= since)
    changes = [
        LinkChange(display_url(lk.url), lk.title, ev.at, ev.kind, ev.summary, ev.diff_text)
        for ev, lk in session.exec(q.order_by(col(LinkEvent.at)))
    ]
    oldest = session.exec(select(func.min(Link.added_at)).where(col(Link.reviewed_at).is_(None))).one()
    return LinkReportData(counts, tuple(needs), tuple(changes), _dt(oldest) if oldest else None)


def load_link_report(session: Session, *, now: datetime, since: datetime | None = None) -> LinkReportData:
    """The archive's link report; read from the tables directly if ``archive`` is not built."""
    try:
        from ecitizen.archive import link_report  # type: ignore[import-not-found,unused-ignore]
    except ImportError:
        return link_report_from_tables(session, since=since)
    report: Any = link_report(session, now=now)
    return link_report_from_json(report.as_json() if hasattr(report, "as_json") else report)


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

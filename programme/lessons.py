"""«Что изменилось для занятия»: a monthly sheet per course lesson for the teachers (plan item 5).

The 11 lessons of the course are the topics of ``config.yaml`` (in their order). For a lesson and
a month the sheet lists what may need an update in the lesson's texts and hand-outs:

- new online services of the lesson's topic (approved items flagged as new services);
- other approved news of the topic;
- watched pages that changed: page-change items of the topic (not rejected; an unreviewed one is
  marked «ещё не проверено») and link-archive pages of the topic whose text changed noticeably;
- links of the topic that moved or stopped working in the month, with the new address if known.

:func:`lesson_sheets` builds the plain data (one call for a web page; each list keeps its newest
:data:`SHEET_MAX` entries and counts the rest), :func:`lesson_overview` only the counts (the month's
overview page), :func:`render_lesson_html` lays one sheet out, :func:`write_lesson_sheets` writes
HTML and PDF per lesson. The month's items are found through the date indexes and only the texts
of the entries a sheet shows are read, so a page costs the same whatever the archive's size.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

from sqlalchemy import case, func, type_coerce
from sqlalchemy import select as sa_select
from sqlmodel import Session, col, select

from ecitizen.config import Config, Topic
from ecitizen.errors import NotFoundError
from ecitizen.files import write_atomic
from ecitizen.programme.months import month_bounds, month_label, parse_month
from ecitizen.programme.render import html_to_pdf, render
from ecitizen.queries import in_date_range, maybe_of_topic
from ecitizen.storage import Item, Link, LinkEvent, Source, TopicIds, UTCDateTime, topic_text_columns
from ecitizen.urls import display_url

SUMMARY_MAX = 240
#: a sheet lists at most this many entries of each kind (the newest); it says how many it left off
SHEET_MAX = 30
#: link-event kinds a lesson sheet shows
LINK_KINDS = ("moved", "broken")


@dataclass(frozen=True)
class SheetItem:
    title: str
    url: str
    when: datetime | None
    source: str
    text: str
    is_new_service: bool
    #: a person approved it (page changes may still wait for review)
    reviewed: bool = True

    @property
    def display_url(self) -> str:
        return display_url(self.url)

    def as_json(self) -> dict[str, Any]:
        return {"title": self.title, "url": self.url, "when": self.when.isoformat() if self.when else None,
                "source": self.source, "text": self.text, "is_new_service": self.is_new_service,
                "reviewed": self.reviewed}


@dataclass(frozen=True)
class SheetLink:
    title: str
    url: str
    #: moved | broken
    kind: str
    at: datetime
    summary: str
    proposed_url: str | None

    @property
    def display_url(self) -> str:
        return display_url(self.url)

    @property
    def proposed_display_url(self) -> str | None:
        return display_url(self.proposed_url) if self.proposed_url else None

    def as_json(self) -> dict[str, Any]:
        return {"title": self.title, "url": self.url, "kind": self.kind, "at": self.at.isoformat(),
                "summary": self.summary, "proposed_url": self.proposed_url}


@dataclass(frozen=True)
class LessonSheet:
    lesson_no: int
    topic_id: str
    title: str
    month: str
    month_label: str
    new_services: tuple[SheetItem, ...]
    news: tuple[SheetItem, ...]
    page_changes: tuple[SheetItem, ...]
    links: tuple[SheetLink, ...]
    #: how many earlier entries of each list were left off the sheet (it keeps the newest SHEET_MAX)
    more_new_services: int = 0
    more_news: int = 0
    more_page_changes: int = 0

    @property
    def empty(self) -> bool:
        return not (self.new_services or self.news or self.page_changes or self.links)

    @property
    def total(self) -> int:
        """Every entry of the month for the lesson, the ones left off the sheet included."""
        return (len(self.new_services) + len(self.news) + len(self.page_changes) + len(self.links)
                + self.more_new_services + self.more_news + self.more_page_changes)

    def as_json(self) -> dict[str, Any]:
        return {"lesson": self.lesson_no, "topic": self.topic_id, "title": self.title, "month": self.month,
                "new_services": [i.as_json() for i in self.new_services], "news": [i.as_json() for i in self.news],
                "page_changes": [i.as_json() for i in self.page_changes], "links": [x.as_json() for x in self.links],
                "left_off": {"new_services": self.more_new_services, "news": self.more_news,
                             "page_changes": self.more_page_changes}}


@dataclass(frozen=True)
class LessonCounts:
    """One lesson's line of the month's overview: how many entries each list of its sheet has."""

    lesson_no: int
    topic_id: str
    title: str
    month: str
    new_services: int
    news: int
    page_changes: int
    links: int

    @property
    def empty(self) -> bool:
        return not (self.new_services or self.news or self.page_changes or self.links)


def _short(text: str, limit: int = SUMMARY_MAX) -> str:
    text = re.sub(r"\s+", " ", text or "").strip()
    if len(text) <= limit:
        return text
    cut = text[:limit].rsplit(" ", 1)[0].rstrip(",.;:—-")
    return cut + "…"


@dataclass(frozen=True, slots=True)
class _Row:
    """What sorting an item onto a lesson's lists needs (a Core select of a few columns)."""

    id: int
    kind: str
    approved: bool
    is_new_service: bool
    when: datetime
    topic_ids: tuple[str, ...]


def _month_rows(session: Session, start: datetime, end: datetime, topic: str | None) -> list[_Row]:
    """The month's items that are not rejected (of ``topic`` if given), oldest first (date, id).

    The month's rows are found through the date indexes, so the cost follows the month's volume,
    not the archive's size."""
    columns: tuple[Any, ...] = (Item.id, Item.kind, Item.status, Item.is_new_service,
                                type_coerce(func.coalesce(Item.published_at, Item.fetched_at), UTCDateTime),
                                *topic_text_columns())
    q = (
        sa_select(*columns)
        .where(in_date_range(start, end), col(Item.status) != "rejected")
    )
    if topic is not None:
        q = q.where(maybe_of_topic(topic))
    topic_ids = TopicIds()
    rows = []
    for id_, kind, status, is_new, when, topics, manual in session.execute(q):
        ids = topic_ids(topics, manual)
        if topic is not None and topic not in ids:
            continue
        rows.append(_Row(id_, kind, status == "approved", bool(is_new), when, ids))
    rows.sort(key=lambda r: (r.when, r.id))
    return rows


@dataclass
class _Lists:
    """One lesson's lists before the sheet is cut: item rows, and the link archive's events."""

    no: int
    topic: Topic
    services: list[_Row]
    news: list[_Row]
    #: page-change items, and link-archive pages whose text changed (already sheet entries)
    changes: list[_Row | SheetItem]
    links: list[SheetLink]


def _lesson_lists(session: Session, config: Config, key: str, lesson: str) -> list[_Lists]:
    topics = list(enumerate(config.topics, start=1))
    if lesson != "all":
        wanted = [(n, t) for n, t in topics if lesson.strip().lower() in (t.id, str(n))]
        if not wanted:
            known = ", ".join(f"{n} {t.id}" for n, t in topics)
            raise NotFoundError(f"нет занятия {lesson!r}; занятия курса: {known}")
        topics = wanted
    start, end = month_bounds(key, config.tz)
    rows = _month_rows(session, start, end, topics[0][1].id if len(topics) == 1 else None)
    events = session.exec(
        select(LinkEvent).where(col(LinkEvent.at) >= start, col(LinkEvent.at) < end)
        .order_by(col(LinkEvent.at), col(LinkEvent.id))
    ).all()
    link_ids = {ev.link_id for ev in events}
    links = {lk.id: lk for lk in session.exec(select(Link).where(col(Link.id).in_(link_ids)))} if link_ids else {}
    out = []
    for no, topic in topics:
        mine = [r for r in rows if topic.id in r.topic_ids]
        approved = [r for r in mine if r.approved and r.kind != "page_change"]
        changes: list[_Row | SheetItem] = [r for r in mine if r.kind == "page_change"]
        moved_or_broken: list[SheetLink] = []
        for ev in events:
            link = links.get(ev.link_id)
            if link is None or topic.id not in (link.topics or []):
                continue
            if ev.kind == "changed":
                changes.append(SheetItem(link.title or display_url(link.url), link.url, ev.at, "архив ссылок",
                                         _short(ev.summary), False, True))
            elif ev.kind in LINK_KINDS:
                moved_or_broken.append(SheetLink(link.title or display_url(link.url), link.url, ev.kind, ev.at,
                                                 ev.summary, link.proposed_url if ev.kind == "moved" else None))
        changes.sort(key=lambda c: c.when or start)  # stable: items by (date, id), then the archive's
        out.append(_Lists(no, topic, [r for r in approved if r.is_new_service],
                          [r for r in approved if not r.is_new_service], changes, moved_or_broken))
    return out


def lesson_overview(session: Session, config: Config, *, month: str) -> list[LessonCounts]:
    """Every lesson's counts for ``month`` (the overview page): no item text is read."""
    key = parse_month(month)
    return [LessonCounts(x.no, x.topic.id, x.topic.title, key, len(x.services), len(x.news), len(x.changes),
                         len(x.links)) for x in _lesson_lists(session, config, key, "all")]


def _details(session: Session, ids: set[int]) -> dict[int, SheetItem]:
    """The sheet entries of the items ``ids`` (their texts: read for the entries a sheet shows only)."""
    if not ids:
        return {}
    columns: tuple[Any, ...] = (
        Item.id, Item.kind, Item.title, Item.display_title, Item.url, Item.published_at, Item.fetched_at,
        Source.name, Item.explanation, Item.summary_text,
        case((col(Item.kind) == "page_change", Item.diff_text), else_=None),  # only page changes show it
        Item.is_new_service, Item.status,
    )
    q = (
        sa_select(*columns)
        .join(Source, col(Source.id) == col(Item.source_id))
        .where(col(Item.id).in_(ids))
    )
    out = {}
    for (id_, kind, title, display_title, url, published_at, fetched_at, source, explanation, summary_text, diff,
         is_new, status) in session.execute(q):
        text = explanation or summary_text or ""
        if kind == "page_change" and not text:
            text = diff or ""
        out[id_] = SheetItem(display_title or title, url, published_at or fetched_at, source, _short(text),
                             bool(is_new), status == "approved")
    return out


def lesson_sheets(session: Session, config: Config, *, month: str, lesson: str = "all") -> list[LessonSheet]:
    """The sheets of one lesson (topic id or its number 1–11) or of all, for ``month`` (``YYYY-MM``).

    Each list keeps its newest :data:`SHEET_MAX` entries, oldest first; ``more_*`` says how many
    earlier ones were left off (a sheet is read and printed: a month of a busy topic would be tens
    of pages)."""
    key = parse_month(month)
    lists = _lesson_lists(session, config, key, lesson)
    kept = [(x.services[-SHEET_MAX:], x.news[-SHEET_MAX:], x.changes[-SHEET_MAX:]) for x in lists]
    details = _details(session, {r.id for parts in kept for part in parts for r in part if isinstance(r, _Row)})

    def entries(part: list[_Row] | list[_Row | SheetItem]) -> tuple[SheetItem, ...]:
        return tuple(details[r.id] if isinstance(r, _Row) else r for r in part)

    return [LessonSheet(x.no, x.topic.id, x.topic.title, key, month_label(key), entries(services), entries(news),
                        entries(changes), tuple(x.links), more_new_services=len(x.services) - len(services),
                        more_news=len(x.news) - len(news), more_page_changes=len(x.changes) - len(changes))
            for x, (services, news, changes) in zip(lists, kept, strict=True)]


def render_lesson_html(sheet: LessonSheet, config: Config, *, now: datetime) -> str:
    return render("lesson.html", tz=config.tz, sheet=sheet, generated_at=now,
                  programme_name=config.outputs.programme_name, organisation=config.outputs.organisation)


def write_lesson_sheets(session: Session, config: Config, *, month: str, lesson: str = "all", now: datetime,
                        out_dir: Path) -> tuple[list[LessonSheet], list[Path]]:
    """Write ``lesson-<month>-<NN>-<topic>.html`` and ``.pdf`` per lesson; returns the sheets and paths."""
    sheets = lesson_sheets(session, config, month=month, lesson=lesson)
    paths: list[Path] = []
    for sheet in sheets:
        html = render_lesson_html(sheet, config, now=now)
        name = f"lesson-{sheet.month}-{sheet.lesson_no:02d}-{sheet.topic_id}"
        paths.append(write_atomic(out_dir / f"{name}.html", html))
        paths.append(write_atomic(out_dir / f"{name}.pdf", html_to_pdf(html)))
    return sheets, paths

"""«Что изменилось для занятия»: a monthly sheet per course lesson for the teachers (plan item 5).

The 11 lessons of the course are the topics of ``config.yaml`` (in their order). For a lesson and
a month the sheet lists what may need an update in the lesson's texts and hand-outs:

- new online services of the lesson's topic (approved items flagged as new services);
- other approved news of the topic;
- watched pages that changed: page-change items of the topic (not rejected; an unreviewed one is
  marked «ещё не проверено») and link-archive pages of the topic whose text changed noticeably;
- links of the topic that moved or stopped working in the month, with the new address if known.

:func:`lesson_sheets` builds the plain data (one call for a web page), :func:`render_lesson_html`
lays one sheet out, :func:`write_lesson_sheets` writes HTML and PDF per lesson.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

from sqlalchemy import case, func, or_
from sqlalchemy import select as sa_select
from sqlmodel import Session, col, select

from ecitizen.config import Config
from ecitizen.errors import NotFoundError
from ecitizen.files import write_atomic
from ecitizen.programme.months import month_bounds, month_label, parse_month
from ecitizen.programme.render import html_to_pdf, render
from ecitizen.storage import Item, Link, LinkEvent, Source
from ecitizen.urls import display_url

SUMMARY_MAX = 240
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

    @property
    def empty(self) -> bool:
        return not (self.new_services or self.news or self.page_changes or self.links)

    def as_json(self) -> dict[str, Any]:
        return {"lesson": self.lesson_no, "topic": self.topic_id, "title": self.title, "month": self.month,
                "new_services": [i.as_json() for i in self.new_services], "news": [i.as_json() for i in self.news],
                "page_changes": [i.as_json() for i in self.page_changes], "links": [x.as_json() for x in self.links]}


def _short(text: str, limit: int = SUMMARY_MAX) -> str:
    text = re.sub(r"\s+", " ", text or "").strip()
    if len(text) <= limit:
        return text
    cut = text[:limit].rsplit(" ", 1)[0].rstrip(",.;:—-")
    return cut + "…"


@dataclass(frozen=True, slots=True)
class _MonthRow:
    """The columns of an item a lesson sheet reads (a Core select, no ORM objects)."""

    id: int
    kind: str
    title: str
    display_title: str | None
    url: str
    when: datetime
    source: str
    explanation: str | None
    summary_text: str
    diff_text: str | None
    is_new_service: bool
    status: str
    topic_ids: tuple[str, ...]


def _month_rows(session: Session, start: datetime, end: datetime) -> list[_MonthRow]:
    """The month's items that are not rejected, oldest first (by date, then id)."""
    when = func.coalesce(Item.published_at, Item.fetched_at)
    columns: tuple[Any, ...] = (
        Item.id, Item.kind, Item.title, Item.display_title, Item.url, Item.published_at, Item.fetched_at,
        Source.name, Item.explanation, Item.summary_text,
        case((col(Item.kind) == "page_change", Item.diff_text), else_=None),  # only page changes show it
        Item.is_new_service, Item.status, Item.topics, Item.manual_topics,
    )
    q = (
        sa_select(*columns)
        .join(Source, col(Source.id) == col(Item.source_id))
        .where(or_(when >= start, col(Item.fetched_at) >= start), when < end, col(Item.status) != "rejected")
    )
    rows = []
    for (id_, kind, title, display_title, url, published_at, fetched_at, source, explanation, summary_text, diff,
         is_new, status, topics, manual) in session.execute(q):
        at = published_at or fetched_at
        if not start <= at < end:  # also taken: fetched in the month but dated before it
            continue
        ids = tuple(manual) if manual is not None else tuple(t["id"] for t in topics or ())
        rows.append(_MonthRow(id_, kind, title, display_title, url, at, source, explanation, summary_text or "",
                              diff, bool(is_new), status, ids))
    rows.sort(key=lambda r: (r.when, r.id or 0))
    return rows


def _sheet_item(item: _MonthRow) -> SheetItem:
    text = item.explanation or item.summary_text or ""
    if item.kind == "page_change" and not text:
        text = item.diff_text or ""
    return SheetItem(item.display_title or item.title, item.url, item.when, item.source,
                     _short(text), bool(item.is_new_service), item.status == "approved")


def lesson_sheets(session: Session, config: Config, *, month: str, lesson: str = "all") -> list[LessonSheet]:
    """The sheets of one lesson (topic id or its number 1–11) or of all, for ``month`` (``YYYY-MM``)."""
    key = parse_month(month)
    topics = list(enumerate(config.topics, start=1))
    if lesson != "all":
        wanted = [(n, t) for n, t in topics if lesson.strip().lower() in (t.id, str(n))]
        if not wanted:
            known = ", ".join(f"{n} {t.id}" for n, t in topics)
            raise NotFoundError(f"нет занятия {lesson!r}; занятия курса: {known}")
        topics = wanted
    start, end = month_bounds(key, config.tz)
    rows = _month_rows(session, start, end)
    links = {lk.id: lk for lk in session.exec(select(Link))}
    events = session.exec(
        select(LinkEvent).where(col(LinkEvent.at) >= start, col(LinkEvent.at) < end)
        .order_by(col(LinkEvent.at), col(LinkEvent.id))
    ).all()
    sheets = []
    for no, topic in topics:
        mine = [r for r in rows if topic.id in r.topic_ids]
        approved = [r for r in mine if r.status == "approved" and r.kind != "page_change"]
        services = tuple(_sheet_item(r) for r in approved if r.is_new_service)
        news = tuple(_sheet_item(r) for r in approved if not r.is_new_service)
        changes = [_sheet_item(r) for r in mine if r.kind == "page_change"]
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
        sheets.append(LessonSheet(no, topic.id, topic.title, key, month_label(key), services, news, tuple(changes),
                                  tuple(moved_or_broken)))
    return sheets


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

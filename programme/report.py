"""The yearly report on the programme's implementation (plan item 17), as DOCX and PDF.

:func:`build_year_report` reads everything into plain values (:class:`YearReport`);
:func:`render_report_docx` and :func:`render_report_html` (→ PDF) only lay them out;
:func:`write_year_report` writes ``report-<year>.docx`` and ``.pdf`` atomically.

Sections: the indicator table (target, actual, met), the libraries' numbers, the year's new online
services and news by course lesson, the link archive's state, info-zone sheets and media
messages, the course survey.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

from sqlalchemy import func
from sqlalchemy import select as sa_select
from sqlmodel import Session, col, select

from ecitizen.config import Config, Library
from ecitizen.files import write_atomic
from ecitizen.programme import indicators as ind
from ecitizen.programme.counted import MediaNote
from ecitizen.programme.months import check_year, year_bounds
from ecitizen.programme.progress import IndicatorRow, YearData, indicator_rows, load_year
from ecitizen.programme.render import docx_bytes, docx_table, html_to_pdf, new_docx, render
from ecitizen.programme.survey import SurveyResults, survey_results
from ecitizen.queries import in_date_range
from ecitizen.storage import Item, Link, LinkCheck, LinkEvent, Source, TopicIds, topic_text_columns
from ecitizen.urls import display_url

#: highlights per lesson in the report, and new services listed in full up to this many
HIGHLIGHTS_PER_TOPIC = 3
NEW_SERVICES_LISTED = 20


@dataclass(frozen=True)
class ItemLine:
    title: str
    url: str
    when: datetime | None
    source: str
    is_new_service: bool

    @property
    def display_url(self) -> str:
        return display_url(self.url)


@dataclass(frozen=True)
class TopicSummary:
    id: str
    title: str
    items: int
    new_services: int
    highlights: tuple[ItemLine, ...]


@dataclass(frozen=True)
class LinkArchiveState:
    total: int
    #: links checked at least once in the year, and the number of checks
    checked_links: int
    checks: int
    moved: int
    broken: int
    #: links that broke or moved in the year and work now
    repaired: int
    #: pages whose text changed noticeably
    changed: int
    #: links that need a person now (moved, broken…)
    need_attention: int
    #: (Russian status label, links) as they are now
    by_status: tuple[tuple[str, int], ...]


@dataclass(frozen=True)
class LibraryLine:
    library: Library
    #: measure id -> the year's sum
    values: dict[str, int]
    months_entered: int
    zones_produced: int
    zones_confirmed: int
    notes_sent: int


@dataclass(frozen=True)
class YearReport:
    year: int
    generated_at: datetime
    programme_name: str
    organisation: str
    indicators: tuple[IndicatorRow, ...]
    libraries: tuple[LibraryLine, ...]
    items_total: int
    new_services_total: int
    topics: tuple[TopicSummary, ...]
    new_services: tuple[ItemLine, ...]
    links: LinkArchiveState
    zones_produced: int
    zones_confirmed: int
    notes: tuple[MediaNote, ...]
    survey: SurveyResults

    @property
    def met_count(self) -> int:
        return sum(1 for r in self.indicators if r.met)

    @property
    def with_target(self) -> int:
        return sum(1 for r in self.indicators if r.target is not None)

    @property
    def notes_sent(self) -> int:
        return sum(1 for n in self.notes if n.sent)

    def as_json(self) -> dict[str, Any]:
        return {
            "year": self.year,
            "indicators": [r.as_json() for r in self.indicators],
            "libraries": [{"id": ln.library.id, "name": ln.library.name, "values": ln.values,
                           "months_entered": ln.months_entered, "zones_confirmed": ln.zones_confirmed,
                           "notes_sent": ln.notes_sent} for ln in self.libraries],
            "items": self.items_total, "new_services": self.new_services_total,
            "topics": [{"id": t.id, "title": t.title, "items": t.items, "new_services": t.new_services}
                       for t in self.topics],
            "links": {"total": self.links.total, "checked_links": self.links.checked_links,
                      "checks": self.links.checks, "moved": self.links.moved, "broken": self.links.broken,
                      "repaired": self.links.repaired, "changed": self.links.changed,
                      "need_attention": self.links.need_attention},
            "info_zones": {"produced": self.zones_produced, "confirmed": self.zones_confirmed},
            "media_notes": {"produced": len(self.notes), "sent": self.notes_sent},
            "survey": self.survey.as_json(),
        }


# -- reading -------------------------------------------------------------------------------------


def _line(item: _YearRow) -> ItemLine:
    return ItemLine(item.display_title or item.title, item.url, item.when, item.source, item.is_new_service)


@dataclass(frozen=True, slots=True)
class _YearRow:
    """The columns of an approved item the year's figures read (a Core select, no ORM objects)."""

    title: str
    display_title: str | None
    url: str
    when: datetime
    source: str
    is_new_service: bool
    topic_ids: tuple[str, ...]


YearItems = tuple[int, int, tuple["TopicSummary", ...], tuple[ItemLine, ...]]


def load_year_items(session: Session, config: Config, year: int) -> YearItems:
    """Approved items of the year: total, new services, per course lesson (topic), new services listed."""
    start, end = year_bounds(year, config.tz)
    when = func.coalesce(Item.published_at, Item.fetched_at)
    columns: tuple[Any, ...] = (Item.title, Item.display_title, Item.url, Item.published_at, Item.fetched_at,
                                Source.name, Item.is_new_service, *topic_text_columns())
    q = (
        sa_select(*columns)
        .join(Source, col(Source.id) == col(Item.source_id))
        .where(in_date_range(start, end), col(Item.status) == "approved")
        .order_by(when.desc(), col(Item.id).desc())
    )
    rows: list[_YearRow] = []
    topic_ids = TopicIds()
    for title, display_title, url, published_at, fetched_at, source, is_new, topics, manual in session.execute(q):
        rows.append(_YearRow(title, display_title, url, published_at or fetched_at, source, bool(is_new),
                             topic_ids(topics, manual)))
    per_topic: dict[str, list[_YearRow]] = {t.id: [] for t in config.topics}
    for row in rows:
        for tid in row.topic_ids:
            if tid in per_topic:
                per_topic[tid].append(row)
    topics = []
    for t in config.topics:
        members = per_topic[t.id]
        ranked = sorted(members, key=lambda r: (not r.is_new_service, -r.when.timestamp()))
        topics.append(TopicSummary(t.id, t.title, len(members), sum(1 for r in members if r.is_new_service),
                                   tuple(_line(r) for r in ranked[:HIGHLIGHTS_PER_TOPIC])))
    services = [_line(r) for r in rows if r.is_new_service]
    services.sort(key=lambda ln: ln.when.timestamp() if ln.when else 0)
    return len(rows), len(services), tuple(topics), tuple(services[:NEW_SERVICES_LISTED])


def load_link_state(session: Session, config: Config, year: int) -> LinkArchiveState:
    """The link archive in the year (checks and events) and now (statuses)."""
    from ecitizen.archive import FAILURES, NEEDS_PERSON, STATUS_LABELS

    start, end = year_bounds(year, config.tz)
    total = session.exec(select(func.count(col(Link.id)))).one()
    checks, checked = session.exec(
        select(func.count(col(LinkCheck.id)), func.count(func.distinct(LinkCheck.link_id)))
        .where(col(LinkCheck.checked_at) >= start, col(LinkCheck.checked_at) < end)
    ).one()
    events: dict[str, set[int]] = {}
    for kind, link_id in session.exec(
        select(LinkEvent.kind, LinkEvent.link_id).where(col(LinkEvent.at) >= start, col(LinkEvent.at) < end)
    ):
        events.setdefault(kind, set()).add(link_id)
    status_of = dict(session.exec(select(Link.id, Link.status)).all())
    troubled = events.get("moved", set()) | events.get("broken", set())
    repaired = sum(1 for lid in troubled
                   if status_of.get(lid) not in FAILURES | NEEDS_PERSON | {"unchecked", None})
    counts = Counter(status_of.values())
    by_status = tuple((STATUS_LABELS.get(s, s), n) for s, n in sorted(counts.items(), key=lambda p: -p[1]))
    need = sum(n for s, n in counts.items() if s in NEEDS_PERSON)
    return LinkArchiveState(int(total or 0), int(checked or 0), int(checks or 0), len(events.get("moved", ())),
                            len(events.get("broken", ())), repaired, len(events.get("changed", ())), need, by_status)


def library_lines(data: YearData) -> tuple[LibraryLine, ...]:
    lines = []
    for lib in data.libraries:
        zones = [z for z in data.zones if z.library_id == lib.id]
        lines.append(LibraryLine(
            lib, dict(data.entered.get(lib.id, {})), len(data.months_entered.get(lib.id, frozenset())),
            len(zones), sum(1 for z in zones if z.confirmed),
            sum(1 for n in data.notes if n.library_id == lib.id and n.sent)))
    return tuple(lines)


def build_year_report(session: Session, config: Config, *, year: int, now: datetime) -> YearReport:
    check_year(year)
    data = load_year(session, year)
    total, services, topics, listed = load_year_items(session, config, year)
    return YearReport(
        year=year, generated_at=now, programme_name=config.outputs.programme_name,
        organisation=config.outputs.organisation, indicators=indicator_rows(data),
        libraries=library_lines(data), items_total=total, new_services_total=services, topics=topics,
        new_services=listed, links=load_link_state(session, config, year),
        zones_produced=len(data.zones), zones_confirmed=sum(1 for z in data.zones if z.confirmed),
        notes=data.notes, survey=survey_results(session, config.survey, year=year),
    )


# -- laying out ----------------------------------------------------------------------------------

#: the per-library table's number columns: (header, measure ids added up)
LIBRARY_COLUMNS: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("Обучено (2)", ("trained",)),
    ("Посе\u00adщения сайтов (3)", ("site_visits",)),
    ("Госуслуги (4)", ("eservices",)),
    ("Меро\u00adприятия (5)", ("events",)),
    ("Консуль\u00adтации (7)", ("consultations_portal", "consultations_ict")),
)


def library_cells(line: LibraryLine) -> list[str]:
    nums = [sum(line.values.get(m, 0) for m in ms) for _, ms in LIBRARY_COLUMNS]
    return [*(f"{n:,}".replace(",", "\u202f") for n in nums), str(line.zones_confirmed), str(line.months_entered)]


LIBRARY_HEADER = ["Библиотека", "ЦПИ", *(h for h, _ in LIBRARY_COLUMNS), "Инф. зона, мес. (6)", "Месяцев с данными"]


def _n(value: int | None) -> str:
    return "—" if value is None else f"{value:,}".replace(",", "\u202f")


def _date(value: datetime | None, config: Config) -> str:
    from ecitizen.dates import format_ru_date

    return format_ru_date(value.astimezone(config.tz)) if value else ""


def render_report_html(report: YearReport, config: Config) -> str:
    return render("report.html", tz=config.tz, r=report, library_header=LIBRARY_HEADER, library_cells=library_cells,
                  ind=ind)


def render_report_docx(report: YearReport, config: Config) -> bytes:
    from docx.shared import Pt

    title = f"Отчёт о реализации программы «{report.programme_name}» за {report.year} год"
    doc = new_docx(title=title, author=report.organisation)
    head = doc.add_paragraph(report.organisation)
    head.runs[0].font.size = Pt(11)
    doc.add_heading(title, level=1)
    doc.add_paragraph(f"Составлен {_date(report.generated_at, config)} по данным системы «Электронный гражданин: "
                      "мониторинг» (введённые библиотеками цифры и подсчёты системы).")

    doc.add_heading("1. Выполнение целевых показателей", level=2)
    docx_table(doc, ["№", "Показатель", "План", "Факт", "Выполнение"],
               [[str(r.no), r.title + (f" ({r.detail})" if r.detail else ""), r.target_text, _n(r.actual),
                 r.met_text] for r in report.indicators],
               widths_mm=[8, 105, 20, 18, 24], numeric_from=2)
    doc.add_paragraph(f"Выполнено показателей: {report.met_count} из {report.with_target}.")
    counted = [r for r in report.indicators if r.source == ind.COUNTED]
    for r in counted:
        doc.add_paragraph(f"Показатель {r.no} считает система: {ind.indicator(r.id).how_counted}.",
                          style="List Bullet")

    doc.add_heading("2. Показатели библиотек", level=2)
    if report.libraries:
        docx_table(doc, [h.replace("\u00ad", "") for h in LIBRARY_HEADER],
                   [[ln.library.name, "да" if ln.library.is_cpi else "", *library_cells(ln)]
                    for ln in report.libraries],
                   widths_mm=[46, 10, 16, 18, 16, 16, 18, 15, 15], font_pt=9, numeric_from=2)
        doc.add_paragraph("В скобках — номер показателя программы. «Инф. зона, мес.» — сколько месяцев "
                          "лист информационной зоны отмечен «вывешено».")
    else:
        doc.add_paragraph("Список библиотек пуст.")

    doc.add_heading("3. Новые онлайн-услуги и новости по занятиям курса", level=2)
    doc.add_paragraph(f"За год отобрано и одобрено материалов: {report.items_total}, из них о новых "
                      f"онлайн-услугах: {report.new_services_total}.")
    docx_table(doc, ["Занятие курса", "Материалов", "Из них новых услуг"],
               [[t.title, _n(t.items), _n(t.new_services)] for t in report.topics],
               widths_mm=[120, 25, 25], numeric_from=1)
    for t in report.topics:
        if t.highlights:
            p = doc.add_paragraph()
            p.add_run(f"{t.title}: ").bold = True
            p.add_run("; ".join(h.title for h in t.highlights) + ".")
    if report.new_services:
        doc.add_paragraph("Новые онлайн-услуги года:")
        for s in report.new_services:
            doc.add_paragraph(f"{_date(s.when, config)} — {s.title} ({s.display_url})", style="List Bullet")

    doc.add_heading("4. Архив ссылок", level=2)
    lk = report.links
    for text in (f"Ссылок в архиве: {_n(lk.total)}.",
                 f"Проверено за год ссылок: {_n(lk.checked_links)} (всего проверок: {_n(lk.checks)}).",
                 f"Переехали на новый адрес: {_n(lk.moved)}; перестали работать: {_n(lk.broken)}; "
                 f"исправлены и снова работают: {_n(lk.repaired)}.",
                 f"Страниц, где заметно изменился текст: {_n(lk.changed)}.",
                 f"Требуют внимания сейчас: {_n(lk.need_attention)}."):
        doc.add_paragraph(text, style="List Bullet")

    doc.add_heading("5. Информационные зоны и сообщения для СМИ", level=2)
    doc.add_paragraph(f"Листов информационных зон подготовлено: {report.zones_produced}, отмечено "
                      f"библиотеками «вывешено»: {report.zones_confirmed}.", style="List Bullet")
    doc.add_paragraph(f"Сообщений для СМИ подготовлено: {len(report.notes)}, отправлено: {report.notes_sent}.",
                      style="List Bullet")

    doc.add_heading("6. Опрос участников курса", level=2)
    sv = report.survey
    if sv.empty:
        doc.add_paragraph("Ответы анкет за год не введены.")
    else:
        doc.add_paragraph(f"Анкет заполнено: {_n(sv.forms)}; библиотек, приславших ответы: {sv.libraries}.")
        for q in sv.questions:
            doc.add_paragraph(q.text).runs[0].bold = True
            docx_table(doc, ["Ответ", "Человек", "Доля анкет"],
                       [[o.text, _n(o.count), f"{round(o.count * 100 / sv.forms)}%" if sv.forms else "—"]
                        for o in q.options], widths_mm=[110, 30, 30], numeric_from=1)
    return docx_bytes(doc)


def write_year_report(session: Session, config: Config, *, year: int, now: datetime, out_dir: Path) -> list[Path]:
    """Write ``report-<year>.docx`` and ``report-<year>.pdf`` into ``out_dir``; returns the paths."""
    report = build_year_report(session, config, year=year, now=now)
    docx = render_report_docx(report, config)
    pdf = html_to_pdf(render_report_html(report, config))
    return [write_atomic(out_dir / f"report-{year}.docx", docx), write_atomic(out_dir / f"report-{year}.pdf", pdf)]

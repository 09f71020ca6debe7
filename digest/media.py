"""Media notes («информационное сообщение»): monthly or yearly, as HTML, plain text and DOCX."""

from __future__ import annotations

import io
from collections.abc import Sequence
from datetime import datetime
from pathlib import Path

from ecitizen.app import App
from ecitizen.config import Config, Library
from ecitizen.db import session_scope
from ecitizen.digest.data import load_period_items, topics_of
from ecitizen.digest.files import out_dir_for, renderer_for
from ecitizen.digest.periods import Period, month_period, previous_month, year_period
from ecitizen.digest.select import ItemView, MediaNote, clean_print, select_media, short_explanation
from ecitizen.errors import ConfigError
from ecitizen.files import write_atomic

EXPLANATION_MAX = 280


def explain(item: ItemView) -> str:
    return short_explanation(item, EXPLANATION_MAX)


def resolve_period(app: App, month: str | None, year: int | None) -> Period:
    tz = app.config.tz
    if month and year:
        raise ConfigError("--month/--year", "give either a month or a year, not both")
    try:
        if year is not None:
            return year_period(year, tz)
        if month:
            return month_period(month, tz)
    except ValueError as exc:
        raise ConfigError("--year" if year is not None else "--month", str(exc)) from None
    return previous_month(app.now(), tz)


def contacts(config: Config) -> Sequence[Library]:
    """The libraries named in the contact block: the first configured (the central) one."""
    return config.libraries[:1]


def build_note(app: App, period: Period) -> MediaNote:
    with session_scope(app.engine) as session:
        items = load_period_items(session, period, status="approved")
    o = app.config.outputs
    return select_media(items, period=period, topics=topics_of(app.config), programme=o.programme_name,
                        organisation=o.organisation, libraries=max(1, len(app.config.libraries)))


def render_docx(note: MediaNote, config: Config, *, generated_at: datetime) -> bytes:
    from docx import Document
    from docx.shared import Pt

    from ecitizen.dates import format_ru_date

    doc = Document()
    style = doc.styles["Normal"]
    style.font.name = "Liberation Sans"
    style.font.size = Pt(12)
    doc.core_properties.title = clean_print(note.headline)[:250]
    doc.core_properties.author = config.outputs.organisation[:250]
    doc.add_paragraph(f"ИНФОРМАЦИОННОЕ СООБЩЕНИЕ · {format_ru_date(generated_at.astimezone(config.tz))}")
    doc.add_heading(clean_print(note.headline), level=1)
    lead = doc.add_paragraph()
    lead.add_run(clean_print(note.lead)).bold = True

    def section(title: str, lines: Sequence[str]) -> None:
        if not lines:
            return
        doc.add_heading(title, level=2)
        for line in lines:
            doc.add_paragraph(line, style="List Bullet")

    def line(item: ItemView, with_url: bool = True) -> str:
        x = explain(item)
        return clean_print(item.title) + (f". {x}" if x else "") + (f" ({item.url})" if with_url else "")

    section("Новые онлайн-услуги", [line(e.item) for e in note.new_services])
    section("События", [line(e.item, False) for e in note.events])
    section("Главные новости", [clean_print(e.item.title) for e in note.news])
    section("По месяцам", [f"{m.label.capitalize()}: новых услуг — {m.new_services}, новостей — {m.news}"
                           for m in note.month_counts if m.new_services or m.news])
    if note.topic_counts:
        doc.add_paragraph("Больше всего новостей по темам: "
                          + ", ".join(f"«{t}» ({n})" for t, n in note.topic_counts) + ".")
    doc.add_paragraph(
        f"Всего за период отобрано материалов: {note.total}, из них о новых онлайн-услугах: "
        f"{note.total_new_services}. Записаться на бесплатные занятия по программе "
        f"«{config.outputs.programme_name}» можно в любой муниципальной библиотеке Омска."
    )
    doc.add_heading("Контакты для СМИ", level=2)
    for text in filter(None, [config.outputs.media_contact, config.outputs.organisation]):
        doc.add_paragraph(text)
    for lib in contacts(config):
        parts = [f"{lib.name}: {lib.address}"] + [p for p in (lib.phone and f"тел. {lib.phone}", lib.email,
                                                                lib.website) if p]
        doc.add_paragraph(", ".join(parts))
    buf = io.BytesIO()
    doc.save(buf)
    return buf.getvalue()


def make_media_note(
    app: App, *, month: str | None = None, year: int | None = None, out_dir: Path | None = None
) -> list[Path]:
    """Write ``media-<period>.html``, ``.txt`` and ``.docx``; returns the paths."""
    period = resolve_period(app, month, year)
    note = build_note(app, period)
    renderer = renderer_for(app.config)
    now = app.now()
    ctx = {"note": note, "generated_at": now, "contacts": contacts(app.config), "explain": explain}
    html = renderer.render("media.html", **ctx)
    text = renderer.render("media.txt", **ctx)
    docx = render_docx(note, app.config, generated_at=now)
    folder = Path(out_dir) if out_dir is not None else out_dir_for(app.config, None, "media")
    name = f"media-{period.key}"
    return [
        write_atomic(folder / f"{name}.html", html),
        write_atomic(folder / f"{name}.txt", text),
        write_atomic(folder / f"{name}.docx", docx),
    ]

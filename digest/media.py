"""Media notes («информационное сообщение»): monthly or yearly, as HTML, plain text and DOCX.

- The DOCX is what goes to an editor: A4, Times New Roman, the language ``ru-RU`` on the document
  defaults and on every style used (Word checks the Russian spelling), addresses as real links.
- The yearly note takes the programme's results (``ecitizen.programme.results_note``): the
  headline, the lead and one sentence per indicator, beside the year's new services.
- Each note written is recorded for the programme (``record_media_note``, indicator 8).
"""

from __future__ import annotations

import io
from collections.abc import Sequence
from dataclasses import replace
from datetime import datetime
from pathlib import Path
from typing import Any

from sqlmodel import Session

from ecitizen.app import App
from ecitizen.config import Config, Library
from ecitizen.db import session_scope
from ecitizen.digest.data import load_period_items, topics_of
from ecitizen.digest.files import out_dir_for, renderer_for
from ecitizen.digest.periods import Period, month_period, previous_month, year_period
from ecitizen.digest.render import href
from ecitizen.digest.select import ItemView, MediaNote, clean_print, select_media, short_explanation
from ecitizen.errors import ConfigError
from ecitizen.files import write_atomic
from ecitizen.programme import list_libraries, record_media_note, results_note

EXPLANATION_MAX = 280
DOC_FONT = "Times New Roman"
DOC_LANGUAGE = "ru-RU"


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


def contacts(config: Config, libraries: Sequence[Library] = ()) -> Sequence[Library]:
    """The library named in the contact block: the central one (the first in config.yaml), with
    its details as the ``library`` table has them now."""
    if not config.libraries:
        return list(libraries[:1])
    central = config.libraries[0]
    return [next((lib for lib in libraries if lib.id == central.id), central)]


def _libraries(session: Session, config: Config) -> list[Library]:
    return list_libraries(session, active_only=True) or [lib for lib in config.libraries if lib.active]


def build_note(app: App, period: Period) -> tuple[MediaNote, Sequence[Library]]:
    now = app.now()
    with session_scope(app.engine) as session:
        items = load_period_items(session, period, status="approved", bodies=False)
        libraries = _libraries(session, app.config)
        results = (results_note(session, app.config, year=period.first_day.year, now=now)
                   if period.kind == "year" else None)
    o = app.config.outputs
    note = select_media(items, period=period, topics=topics_of(app.config), programme=o.programme_name,
                        organisation=o.organisation, libraries=max(1, len(libraries)))
    if results is not None:
        topics = tuple(results.top_topics) or note.topic_counts
        note = replace(note, headline=results.headline, lead=results.lead, facts=tuple(results.facts),
                       useful_share=results.useful_share, topic_counts=topics)
    return note, contacts(app.config, libraries)


# -- DOCX ---------------------------------------------------------------------------------------

def _set_language(rpr: Any) -> None:
    from docx.oxml import OxmlElement
    from docx.oxml.ns import qn

    lang = rpr.find(qn("w:lang"))
    if lang is None:
        lang = OxmlElement("w:lang")
        rpr.append(lang)
    for attr in ("w:val", "w:eastAsia", "w:bidi"):
        lang.set(qn(attr), DOC_LANGUAGE)


def _set_font(rpr: Any) -> None:
    from docx.oxml import OxmlElement
    from docx.oxml.ns import qn

    fonts = rpr.find(qn("w:rFonts"))
    if fonts is None:
        fonts = OxmlElement("w:rFonts")
        rpr.insert(0, fonts)
    for attr in ("w:ascii", "w:hAnsi", "w:cs", "w:eastAsia"):
        fonts.set(qn(attr), DOC_FONT)
    for theme in ("w:asciiTheme", "w:hAnsiTheme", "w:cstheme", "w:eastAsiaTheme"):
        if fonts.get(qn(theme)) is not None:
            del fonts.attrib[qn(theme)]


STYLES = ("Normal", "Title", "Heading 1", "Heading 2", "List Bullet")


def new_document(*, title: str, author: str) -> Any:
    """An A4 document (2 cm margins, 2.5 cm on the left), Times New Roman 12 pt, ``ru-RU`` on the
    document defaults and on every style the note uses."""
    from docx import Document
    from docx.oxml.ns import qn
    from docx.shared import Mm, Pt

    doc = Document()
    for section in doc.sections:
        section.page_width, section.page_height = Mm(210), Mm(297)
        section.left_margin, section.right_margin = Mm(25), Mm(15)
        section.top_margin, section.bottom_margin = Mm(20), Mm(20)
    defaults = doc.styles.element.find(qn("w:docDefaults")).find(qn("w:rPrDefault")).find(qn("w:rPr"))
    _set_language(defaults)
    _set_font(defaults)
    for name in STYLES:
        style = doc.styles[name]
        rpr = style.element.get_or_add_rPr()
        _set_language(rpr)
        _set_font(rpr)
        style.font.name = DOC_FONT
        if name != "Normal":
            style.font.color.rgb = None
    doc.styles["Normal"].font.size = Pt(12)
    doc.styles["Heading 1"].font.size = Pt(16)
    doc.styles["Heading 2"].font.size = Pt(13)
    doc.core_properties.title = title[:250]
    doc.core_properties.author = author[:250]
    doc.core_properties.language = DOC_LANGUAGE
    return doc


def add_hyperlink(paragraph: Any, url: str, text: str | None = None) -> Any:
    """A real link (``w:hyperlink`` with an external relationship), blue and underlined; a
    non-http(s) address is written as plain text."""
    from docx.opc.constants import RELATIONSHIP_TYPE
    from docx.oxml import OxmlElement
    from docx.oxml.ns import qn

    target = href(url)
    shown = text or url
    if not target:
        return paragraph.add_run(shown)
    rid = paragraph.part.relate_to(target, RELATIONSHIP_TYPE.HYPERLINK, is_external=True)
    link = OxmlElement("w:hyperlink")
    link.set(qn("r:id"), rid)
    run = OxmlElement("w:r")
    rpr = OxmlElement("w:rPr")
    color = OxmlElement("w:color")
    color.set(qn("w:val"), "0563C1")
    underline = OxmlElement("w:u")
    underline.set(qn("w:val"), "single")
    rpr.append(color)
    rpr.append(underline)
    run.append(rpr)
    t = OxmlElement("w:t")
    t.text = shown
    t.set(qn("xml:space"), "preserve")
    run.append(t)
    link.append(run)
    paragraph._p.append(link)
    return link


def _percent(share: float) -> str:
    return f"{round(share * 100)}\u00a0%"


def render_docx(note: MediaNote, config: Config, *, generated_at: datetime,
                libraries: Sequence[Library] = ()) -> bytes:
    from ecitizen.dates import format_ru_date

    doc = new_document(title=clean_print(note.headline), author=config.outputs.organisation)
    doc.add_paragraph(f"ИНФОРМАЦИОННОЕ СООБЩЕНИЕ · {format_ru_date(generated_at.astimezone(config.tz))}")
    doc.add_heading(clean_print(note.headline), level=1)
    lead = doc.add_paragraph()
    lead.add_run(clean_print(note.lead)).bold = True

    def heading(title: str) -> None:
        doc.add_heading(title, level=2)

    if note.facts:
        heading("Итоги года в цифрах")
        for fact in note.facts:
            doc.add_paragraph(clean_print(fact[:1].upper() + fact[1:]) + ".", style="List Bullet")
        if note.useful_share is not None:
            doc.add_paragraph(f"Из опрошенных участников занятий {_percent(note.useful_share)} сказали, что "
                              "полученные знания им пригодились.")

    def item_line(item: ItemView, *, with_link: bool) -> None:
        x = clean_print(explain(item))
        para = doc.add_paragraph(style="List Bullet")
        para.add_run(clean_print(item.title) + (f". {x}" if x else ""))
        if with_link and href(item.url):
            para.add_run(" Подробнее: ")
            add_hyperlink(para, item.url)

    if note.new_services:
        heading("Новые онлайн-услуги")
        for e in note.new_services:
            item_line(e.item, with_link=True)
    if note.events:
        heading("События")
        for e in note.events:
            item_line(e.item, with_link=False)
    if note.news:
        heading("Главные новости")
        for e in note.news:
            add_hyperlink(doc.add_paragraph(style="List Bullet"), e.item.url, clean_print(e.item.title))
    months = [m for m in note.month_counts if m.new_services or m.news]
    if months:
        heading("По месяцам")
        for m in months:
            doc.add_paragraph(f"{m.label.capitalize()}: новых услуг — {m.new_services}, новостей — {m.news}",
                              style="List Bullet")
    if note.topic_counts:
        doc.add_paragraph("Больше всего новостей по темам: "
                          + ", ".join(f"«{t}» ({n})" for t, n in note.topic_counts) + ".")
    doc.add_paragraph(
        f"Всего за период отобрано материалов: {note.total}, из них о новых онлайн-услугах: "
        f"{note.total_new_services}. Записаться на бесплатные занятия по программе "
        f"«{config.outputs.programme_name}» можно в любой муниципальной библиотеке Омска."
    )
    heading("Контакты для СМИ")
    for text in filter(None, [config.outputs.media_contact, config.outputs.organisation]):
        doc.add_paragraph(text)
    for lib in libraries:
        para = doc.add_paragraph(", ".join(p for p in (lib.name, lib.address) if p))
        for part in (lib.phone and f"тел. {lib.phone}", lib.email):
            if part:
                para.add_run(f", {part}")
        if lib.website:
            para.add_run(", ")
            add_hyperlink(para, lib.website)
    buf = io.BytesIO()
    doc.save(buf)
    return buf.getvalue()


def make_media_note(
    app: App, *, month: str | None = None, year: int | None = None, out_dir: Path | None = None
) -> list[Path]:
    """Write ``media-<period>.html``, ``.txt`` and ``.docx``, record the note for the programme
    (indicator 8); returns the paths."""
    period = resolve_period(app, month, year)
    note, libraries = build_note(app, period)
    renderer = renderer_for(app.config)
    now = app.now()
    ctx = {"note": note, "generated_at": now, "contacts": libraries, "explain": explain}
    html = renderer.render("media.html", **ctx)
    text = renderer.render("media.txt", **ctx)
    docx = render_docx(note, app.config, generated_at=now, libraries=libraries)
    folder = Path(out_dir) if out_dir is not None else out_dir_for(app.config, None, "media")
    name = f"media-{period.key}"
    paths = [
        write_atomic(folder / f"{name}.html", html),
        write_atomic(folder / f"{name}.txt", text),
        write_atomic(folder / f"{name}.docx", docx),
    ]
    with session_scope(app.engine) as session:
        record_media_note(session, period=period.key, path=paths[2], now=now)
    return paths

"""Rendering the programme's documents: Jinja2 templates (``programme/templates/``) to HTML, HTML to
an A4 PDF (WeasyPrint), and the DOCX helpers (python-docx: A4, Russian language, plain styles).

Templates are built in (the report, the lesson sheet, the questionnaire, the results page);
autoescape on, ``StrictUndefined``. WeasyPrint may read ``data:`` URLs only — never the network
or local files. A template failure becomes :class:`~ecitizen.errors.TemplateError`.
"""

from __future__ import annotations

from datetime import date, datetime
from functools import lru_cache
from pathlib import Path
from typing import Any

import jinja2

from ecitizen.dates import format_ru_date
from ecitizen.errors import TemplateError
from ecitizen.russian import plural

TEMPLATES = Path(__file__).parent / "templates"


def _number(value: int | None) -> str:
    """``12 345`` (a narrow no-break space between thousands, as Russian texts write it)."""
    if value is None:
        return "—"
    return f"{value:,}".replace(",", "\u202f")


@lru_cache(maxsize=1)
def _env() -> jinja2.Environment:
    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader(str(TEMPLATES)),
        autoescape=jinja2.select_autoescape(enabled_extensions=("html", "svg"), default=True),
        undefined=jinja2.StrictUndefined, trim_blocks=True, lstrip_blocks=True, keep_trailing_newline=True,
    )
    env.filters["number"] = _number
    env.globals["plural"] = plural
    return env


def render(name: str, *, tz: Any, **context: Any) -> str:
    def ru_date(value: date | datetime | None) -> str:
        if value is None:
            return ""
        if isinstance(value, datetime):
            value = value.astimezone(tz)
        return format_ru_date(value)

    try:
        return _env().get_template(name).render(ru_date=ru_date, **context)
    except jinja2.TemplateError as exc:
        raise TemplateError(f"built-in template {name}: {exc}") from exc


def _data_only_fetcher() -> Any:
    from weasyprint.urls import URLFetcher

    return URLFetcher(allowed_protocols=("data",), allow_redirects=False, timeout=5)


def html_to_pdf(html: str) -> bytes:
    from weasyprint import HTML

    pdf = HTML(string=html, url_fetcher=_data_only_fetcher()).write_pdf()
    assert pdf is not None
    return bytes(pdf)


# -- DOCX --------------------------------------------------------------------------------------


def new_docx(*, title: str, author: str) -> Any:
    """A python-docx Document: A4, 2 cm margins, Times New Roman 12 pt, language ru-RU everywhere."""
    from docx import Document
    from docx.oxml import OxmlElement
    from docx.oxml.ns import qn
    from docx.shared import Mm, Pt

    doc = Document()
    for section in doc.sections:
        section.page_width, section.page_height = Mm(210), Mm(297)
        section.left_margin, section.right_margin = Mm(25), Mm(15)
        section.top_margin, section.bottom_margin = Mm(20), Mm(20)
    normal = doc.styles["Normal"]
    normal.font.name = "Times New Roman"
    normal.font.size = Pt(12)
    # the document default run properties: language and the font for Cyrillic text
    rpr = doc.styles.element.find(qn("w:docDefaults")).find(qn("w:rPrDefault")).find(qn("w:rPr"))
    lang = rpr.find(qn("w:lang"))
    if lang is None:
        lang = OxmlElement("w:lang")
        rpr.append(lang)
    lang.set(qn("w:val"), "ru-RU")
    lang.set(qn("w:eastAsia"), "ru-RU")
    fonts = rpr.find(qn("w:rFonts"))
    if fonts is None:
        fonts = OxmlElement("w:rFonts")
        rpr.insert(0, fonts)
    for attr in ("w:ascii", "w:hAnsi", "w:cs", "w:eastAsia"):
        fonts.set(qn(attr), "Times New Roman")
    for theme_attr in ("w:asciiTheme", "w:hAnsiTheme", "w:cstheme", "w:eastAsiaTheme"):
        if fonts.get(qn(theme_attr)) is not None:
            del fonts.attrib[qn(theme_attr)]
    for name in ("Heading 1", "Heading 2", "Heading 3", "Title"):
        style = doc.styles[name]
        style.font.name = "Times New Roman"
        style.font.color.rgb = None
        srpr = style.element.get_or_add_rPr()
        sfonts = srpr.find(qn("w:rFonts"))
        if sfonts is not None:
            for theme_attr in ("w:asciiTheme", "w:hAnsiTheme", "w:cstheme", "w:eastAsiaTheme"):
                if sfonts.get(qn(theme_attr)) is not None:
                    del sfonts.attrib[qn(theme_attr)]
    doc.styles["Heading 1"].font.size = Pt(15)
    doc.styles["Heading 2"].font.size = Pt(13)
    doc.core_properties.title = title[:250]
    doc.core_properties.author = author[:250]
    doc.core_properties.language = "ru-RU"
    return doc


def docx_table(doc: Any, header: list[str], rows: list[list[str]], *, widths_mm: list[float] | None = None,
               font_pt: float = 10, numeric_from: int | None = None) -> Any:
    """A grid table with a bold, repeated header row; columns from ``numeric_from`` right-aligned."""
    from docx.enum.table import WD_TABLE_ALIGNMENT
    from docx.enum.text import WD_ALIGN_PARAGRAPH
    from docx.oxml import OxmlElement
    from docx.oxml.ns import qn
    from docx.shared import Mm, Pt

    table = doc.add_table(rows=1, cols=len(header))
    table.style = "Table Grid"
    table.alignment = WD_TABLE_ALIGNMENT.CENTER

    def fill(cells: Any, values: list[str], bold: bool) -> None:
        for i, (cell, value) in enumerate(zip(cells, values, strict=True)):
            cell.text = ""
            para = cell.paragraphs[0]
            run = para.add_run(value)
            run.bold = bold
            run.font.size = Pt(font_pt)
            if numeric_from is not None and i >= numeric_from and not bold:
                para.alignment = WD_ALIGN_PARAGRAPH.RIGHT

    fill(table.rows[0].cells, header, True)
    trpr = table.rows[0]._tr.get_or_add_trPr()
    repeat = OxmlElement("w:tblHeader")
    repeat.set(qn("w:val"), "true")
    trpr.append(repeat)
    for values in rows:
        fill(table.add_row().cells, values, False)
    if widths_mm:
        for row in table.rows:
            for cell, width in zip(row.cells, widths_mm, strict=False):
                cell.width = Mm(width)
    return table


def docx_bytes(doc: Any) -> bytes:
    import io

    buf = io.BytesIO()
    doc.save(buf)
    return buf.getvalue()

"""Fixtures for the programme's tests: an app whose libraries are seeded, items through the real
pipeline, link-archive rows, and readers for the documents (DOCX tables, PDF text)."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from sqlmodel import select

from ecitizen.app import App
from ecitizen.db import session_scope
from ecitizen.pipeline import EntryData, prepare_entries
from ecitizen.programme import (
    Actor,
    confirm_info_zone,
    import_figures,
    mark_media_note_sent,
    record_info_zone_produced,
    record_media_note,
    seed_libraries,
    set_figures,
    set_targets,
)
from ecitizen.storage import Item, Link, LinkEvent, Source
from ecitizen.store import store_items

#: three libraries of the programme in the tests (two with a Legal Information Centre)
LIBRARIES = [
    {"id": "cgb", "name": "Центральная городская библиотека", "phone": "+7 (3812) 300-427", "is_cpi": True},
    {"id": "lib-a", "name": "Библиотека «Академическая»", "address": "г. Омск, ул. Тестовая, 1",
     "hours": "Вт–Сб 10:00–18:00", "is_cpi": True},
    {"id": "lib-b", "name": "Библиотека «Берёзка»", "is_cpi": False},
]

MANAGER = Actor.cli("manager")


@pytest.fixture
def papp(make_app: Callable[..., App]) -> App:
    """An app with three libraries seeded into the table (clock: 25 November 2026)."""
    app = make_app(libraries=LIBRARIES)
    with session_scope(app.engine) as session:
        seed_libraries(session, app.config.libraries, now=app.now())
    return app


def add_items(app: App, source: str, entries: Sequence[EntryData], *, status: str = "approved",
              **fields: Any) -> list[int]:
    prepared = prepare_entries(entries, app.rules)
    assert not prepared.rejected, prepared.rejected
    with session_scope(app.engine) as session:
        src = session.exec(select(Source).where(Source.name == source)).first()
        if src is None:
            src = Source(name=source, url=f"https://{source}.example.org/rss")
            session.add(src)
            session.flush()
        result = store_items(session, src, prepared.items, now=app.now())
        for item_id in result.added:
            item = session.get(Item, item_id)
            assert item is not None
            item.status = status
            for k, v in fields.items():
                setattr(item, k, v)
            session.add(item)
        return list(result.added)


def add_link(app: App, url: str, *, title: str, topics: list[str], status: str = "ok",
             proposed_url: str | None = None) -> int:
    with session_scope(app.engine) as session:
        link = Link(url=url, title=title, topics=topics, status=status, proposed_url=proposed_url)
        session.add(link)
        session.flush()
        assert link.id is not None
        return link.id


def add_event(app: App, link_id: int, kind: str, at: datetime, summary: str = "") -> None:
    with session_scope(app.engine) as session:
        session.add(LinkEvent(link_id=link_id, kind=kind, at=at, summary=summary or kind))


def utc(year: int, month: int, day: int, hour: int = 9) -> datetime:
    return datetime(year, month, day, hour, tzinfo=UTC)


def docx_tables(path: Path) -> list[list[list[str]]]:
    from docx import Document

    doc = Document(str(path))
    return [[[c.text for c in row.cells] for row in t.rows] for t in doc.tables]


def pdf_pages(path: Path) -> list[str]:
    import pypdfium2 as pdfium

    pdf = pdfium.PdfDocument(str(path))
    try:
        out = []
        for i in range(len(pdf)):
            page = pdf[i]
            tp = page.get_textpage()
            out.append(tp.get_text_range())
            tp.close()
            page.close()
        return out
    finally:
        pdf.close()


def pdf_size(path: Path) -> tuple[float, float]:
    import pypdfium2 as pdfium

    pdf = pdfium.PdfDocument(str(path))
    try:
        return tuple(round(x) for x in pdf[0].get_size())  # type: ignore[return-value]
    finally:
        pdf.close()


def squash(text: str) -> str:
    """PDF text with line breaks and hyphenation joined, spaces squeezed."""
    import re

    text = text.replace("\u00ad", "").replace("\ufffe", "").replace("\x02", "")
    text = re.sub(r"-\r?\n", "", text)
    return re.sub(r"\s+", " ", text)


# -- a year of the programme (entered figures, sheets, notes) -----------------------------------

TARGETS_2026 = {"1": 41, "2": 20, "3": 120, "4": 35, "5": 10, "6": 1, "7": 40, "8": 4}


def enter_year(app: App) -> None:
    """Ten months of the central library, six of «Академическая», one CSV line of «Берёзка»."""
    tz, now = app.config.tz, app.now()
    with session_scope(app.engine) as s:
        set_targets(s, year=2026, values=TARGETS_2026, actor=MANAGER, now=now)
        for m in range(1, 11):
            set_figures(s, library_id="cgb", month=f"2026-{m:02d}", actor=MANAGER, now=now, tz=tz,
                        values={"trained": m, "site_visits": 10, "eservices": 3, "events": 1,
                                "consultations_portal": 4, "consultations_ict": 2})
        for m in range(1, 7):
            set_figures(s, library_id="lib-a", month=f"2026-{m:02d}", actor=MANAGER, now=now, tz=tz,
                        values={"2": "2", "3": "5", "4": "1", "5": "0", "consultations_portal": "1",
                                "consultations_ict": "0"})
        # the year before does not count in 2026
        set_figures(s, library_id="cgb", month="2025-12", values={"trained": 100}, actor=MANAGER, now=now, tz=tz)
        result = import_figures(s, "библиотека;месяц;обучено\nБиблиотека «Берёзка»;03.2026;7\n", actor=MANAGER,
                                now=now, tz=tz)
        assert not result.skipped and result.changed_count == 1


def record_outputs(app: App) -> None:
    """What digest.make_posters / make_media_note record, and the librarians' confirmations."""
    tz, now = app.config.tz, app.now()
    with session_scope(app.engine) as s:
        for lib, month in (("cgb", "2026-09"), ("cgb", "2026-10"), ("lib-a", "2026-10"), ("lib-b", "2026-10")):
            record_info_zone_produced(s, lib, month, f"/out/posters/{month}/poster-{month}-{lib}.pdf", now)
        record_info_zone_produced(s, "cgb", "2026-10", "/out/posters/2026-10/again.pdf", now)  # made again
        assert record_info_zone_produced(s, "not-in-table", "2026-10", "/x.pdf", now) is None
        for lib in ("cgb", "lib-b"):
            librarian = Actor(f"библиотекарь-{lib}", role="librarian", library_id=lib, via="web")
            confirm_info_zone(s, library_id=lib, month="2026-10", actor=librarian, now=now, tz=tz)
        notes = {p: record_media_note(s, period=p, path=f"/out/media/media-{p}.docx", now=now)
                 for p in ("2026-03", "2026-06", "2026-09", "2026", "2025-12")}
        own = record_media_note(s, period="2026-05", path="/out/media/lib-a.docx", now=now, library_id="lib-a")
        for p in ("2026-03", "2026-06", "2026", "2025-12"):
            mark_media_note_sent(s, notes[p].id, actor=MANAGER, now=now, sent_to="«Вечерний Омск»")
        mark_media_note_sent(s, own.id, actor=Actor("a", role="librarian", library_id="lib-a"), now=now)


@pytest.fixture
def year_app(papp: App) -> App:
    enter_year(papp)
    record_outputs(papp)
    return papp

"""What the service counts by itself: info-zone sheets (indicator 6) and media notes (indicator 8).

- The digest calls :func:`record_info_zone_produced` for each library's poster sheet it writes,
  and :func:`record_media_note` for each media note; a librarian then confirms the sheet
  «вывешено» (:func:`confirm_info_zone`) and the manager marks a note sent (:func:`mark_media_note_sent`).
- Making a sheet again for the same library and month updates its path and time and keeps a
  confirmation already given (the zone was put up); the same for a note of the same period.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime, tzinfo
from os import PathLike
from typing import Any

from sqlmodel import Session, col, select

from ecitizen.errors import NotFoundError
from ecitizen.programme.actor import Actor
from ecitizen.programme.errors import refuse
from ecitizen.programme.figures import check_entry
from ecitizen.programme.months import month_label, parse_month
from ecitizen.storage import InfoZoneSheet, LibraryRecord, MediaNoteRecord

log = logging.getLogger("ecitizen.programme")


@dataclass(frozen=True)
class ZoneSheet:
    id: int
    library_id: str
    month: str
    path: str
    produced_at: datetime
    confirmed_at: datetime | None
    confirmed_by: str | None

    @property
    def confirmed(self) -> bool:
        return self.confirmed_at is not None

    def as_json(self) -> dict[str, Any]:
        return {"id": self.id, "library": self.library_id, "month": self.month, "path": self.path,
                "produced_at": self.produced_at.isoformat(),
                "confirmed_at": self.confirmed_at.isoformat() if self.confirmed_at else None,
                "confirmed_by": self.confirmed_by}


def _zone(row: InfoZoneSheet) -> ZoneSheet:
    assert row.id is not None
    return ZoneSheet(row.id, row.library_id, row.month, row.path, row.produced_at, row.confirmed_at, row.confirmed_by)


def record_info_zone_produced(session: Session, library_id: str, month: str, path: str | PathLike[str],
                              now: datetime) -> ZoneSheet | None:
    """The digest wrote ``library_id``'s info-zone sheet for ``month`` (``YYYY-MM``) to ``path``.

    Returns ``None`` (and logs a warning) for a library the ``library`` table does not have — a
    poster is never lost over the count; seed the libraries (``seed_libraries``) to count it.
    """
    key = parse_month(month)
    if session.get(LibraryRecord, library_id) is None:
        log.warning("info-zone sheet %s for %s not counted: no library %r in the table", key, path, library_id)
        return None
    row = session.exec(select(InfoZoneSheet).where(InfoZoneSheet.library_id == library_id,
                                                   InfoZoneSheet.month == key)).first()
    if row is None:
        row = InfoZoneSheet(library_id=library_id, month=key)
    row.path, row.produced_at = str(path), now
    session.add(row)
    session.flush()
    return _zone(row)


def confirm_info_zone(session: Session, *, library_id: str, month: str, actor: Actor, now: datetime,
                      tz: tzinfo) -> ZoneSheet:
    """The library's librarian (or the manager) says the month's sheet is put up («вывешено»)."""
    _lib, key = check_entry(session, library_id, month, actor=actor, now=now, tz=tz)
    row = session.exec(select(InfoZoneSheet).where(InfoZoneSheet.library_id == library_id,
                                                   InfoZoneSheet.month == key)).first()
    if row is None:
        raise refuse("месяц", f"лист информационной зоны за {month_label(key)} ещё не подготовлен — "
                              "сначала его делает руководитель проекта (плакаты за месяц)")
    if row.confirmed_at is None:
        row.confirmed_at, row.confirmed_by = now, actor.name
        session.add(row)
        session.flush()
    return _zone(row)


def info_zone_sheets(session: Session, *, year: int | None = None, month: str | None = None,
                     library_id: str | None = None) -> list[ZoneSheet]:
    q = select(InfoZoneSheet)
    if year is not None:
        q = q.where(col(InfoZoneSheet.month).startswith(f"{year:04d}-"))
    if month is not None:
        q = q.where(InfoZoneSheet.month == parse_month(month))
    if library_id is not None:
        q = q.where(InfoZoneSheet.library_id == library_id)
    return [_zone(r) for r in session.exec(q.order_by(col(InfoZoneSheet.month), col(InfoZoneSheet.library_id)))]


# -- media notes -------------------------------------------------------------------------------


@dataclass(frozen=True)
class MediaNote:
    id: int
    period: str
    library_id: str | None
    path: str
    produced_at: datetime
    sent_at: datetime | None
    sent_by: str | None
    sent_to: str

    @property
    def sent(self) -> bool:
        return self.sent_at is not None

    @property
    def year(self) -> int:
        return int(self.period[:4])

    def as_json(self) -> dict[str, Any]:
        return {"id": self.id, "period": self.period, "library": self.library_id, "path": self.path,
                "produced_at": self.produced_at.isoformat(),
                "sent_at": self.sent_at.isoformat() if self.sent_at else None, "sent_by": self.sent_by,
                "sent_to": self.sent_to}


def _note(row: MediaNoteRecord) -> MediaNote:
    assert row.id is not None
    return MediaNote(row.id, row.period, row.library_id, row.path, row.produced_at, row.sent_at, row.sent_by,
                     row.sent_to)


def _period(period: str) -> str:
    p = period.strip()
    if p.isdigit() and len(p) == 4:
        return p
    return parse_month(p, where="период")


def record_media_note(session: Session, *, period: str, path: str | PathLike[str], now: datetime,
                      library_id: str | None = None) -> MediaNote:
    """The digest wrote a media note for ``period`` (``YYYY-MM`` or ``YYYY``); ``library_id``:
    a library's own note (``None``: the programme's). A note made again for the same period and
    library is the same message: its path and time are updated, a "sent" mark kept."""
    key = _period(period)
    if library_id is not None and session.get(LibraryRecord, library_id) is None:
        raise NotFoundError(f"нет библиотеки с кодом {library_id!r}")
    q = select(MediaNoteRecord).where(MediaNoteRecord.period == key)
    q = q.where(col(MediaNoteRecord.library_id).is_(None) if library_id is None
                else MediaNoteRecord.library_id == library_id)
    row = session.exec(q).first()
    if row is None:
        row = MediaNoteRecord(period=key, library_id=library_id)
    row.path, row.produced_at = str(path), now
    session.add(row)
    session.flush()
    return _note(row)


def mark_media_note_sent(session: Session, note_id: int, *, actor: Actor, now: datetime,
                         sent_to: str = "") -> MediaNote:
    """The note went to the media (``sent_to``: where). A library's note: its librarian or the
    manager; the programme's note: the manager."""
    row = session.get(MediaNoteRecord, note_id)
    if row is None:
        raise NotFoundError(f"нет сообщения для СМИ №{note_id}")
    if row.library_id is None:
        actor.check_manager("сообщение для СМИ")
    else:
        actor.check_library(row.library_id)
    if row.sent_at is None:
        row.sent_at, row.sent_by = now, actor.name
    if sent_to.strip():
        row.sent_to = sent_to.strip()[:300]
    session.add(row)
    session.flush()
    return _note(row)


def media_notes(session: Session, *, year: int | None = None) -> list[MediaNote]:
    q = select(MediaNoteRecord)
    if year is not None:
        q = q.where(col(MediaNoteRecord.period).startswith(f"{year:04d}"))
    return [_note(r) for r in session.exec(q.order_by(col(MediaNoteRecord.period), col(MediaNoteRecord.id)))]

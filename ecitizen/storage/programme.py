"""The programme's tables: libraries, indicator targets, entered figures and their history,
info-zone sheets and media notes (``ecitizen.programme`` owns what they mean).

- ``library``: the programme's libraries (seeded from ``config.yaml``, kept by the manager).
- ``indicator_target``: a yearly target per indicator of section VII (2020–2022 seeded by migration 0700).
- ``programme_figure``: one entered number per library, month and measure (an entered indicator,
  a part of one, or a survey answer ``survey:<question>:<option>`` / ``survey:forms``).
- ``programme_figure_change``: every change of an entered number: old and new value, who, when, how.
- ``info_zone_sheet``: a library's info-zone poster sheet produced for a month, and its
  «вывешено» confirmation.
- ``media_note_record``: a media note produced for a period, and when it was sent to the media.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import UniqueConstraint
from sqlmodel import Field, SQLModel

from ecitizen.storage.types import UTCDateTime, utcnow


class LibraryRecord(SQLModel, table=True):
    __tablename__ = "library"

    #: a lowercase slug (``cgb``), the same as in ``config.yaml``
    id: str = Field(primary_key=True)
    name: str
    address: str = ""
    hours: str = ""
    phone: str = ""
    email: str = ""
    website: str = ""
    #: the library has a Legal Information Centre (Центр правовой информации)
    is_cpi: bool = False
    active: bool = Field(default=True, index=True)
    #: config | manager: config seeding updates only rows nobody has edited since
    origin: str = "config"
    updated_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    updated_by: str = ""


class IndicatorTarget(SQLModel, table=True):
    __tablename__ = "indicator_target"

    indicator_id: str = Field(primary_key=True)
    year: int = Field(primary_key=True)
    value: int
    set_by: str = ""
    set_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)


class ProgrammeFigure(SQLModel, table=True):
    __tablename__ = "programme_figure"
    __table_args__ = (UniqueConstraint("library_id", "month", "measure", name="uq_programme_figure"),)

    id: int | None = Field(default=None, primary_key=True)
    library_id: str = Field(foreign_key="library.id", index=True)
    #: ``YYYY-MM``
    month: str = Field(index=True)
    measure: str
    value: int
    updated_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    updated_by: str = ""


class ProgrammeFigureChange(SQLModel, table=True):
    __tablename__ = "programme_figure_change"

    id: int | None = Field(default=None, primary_key=True)
    library_id: str = Field(foreign_key="library.id", index=True)
    month: str
    measure: str
    #: ``None``: the first entry of this number
    old_value: int | None = None
    new_value: int
    changed_by: str = ""
    changed_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime, index=True)
    #: cli | import | web
    via: str = ""


class InfoZoneSheet(SQLModel, table=True):
    __tablename__ = "info_zone_sheet"
    __table_args__ = (UniqueConstraint("library_id", "month", name="uq_info_zone_sheet"),)

    id: int | None = Field(default=None, primary_key=True)
    library_id: str = Field(foreign_key="library.id", index=True)
    month: str
    path: str = ""
    produced_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    confirmed_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    confirmed_by: str | None = None


class MediaNoteRecord(SQLModel, table=True):
    __tablename__ = "media_note_record"

    id: int | None = Field(default=None, primary_key=True)
    #: ``YYYY-MM`` or ``YYYY``
    period: str = Field(index=True)
    #: ``None``: a note of the whole programme (the digest's monthly/yearly note)
    library_id: str | None = Field(default=None, foreign_key="library.id", index=True)
    path: str = ""
    produced_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    sent_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    sent_by: str | None = None
    #: where it went (newspaper, site, radio), as the person wrote it
    sent_to: str = ""

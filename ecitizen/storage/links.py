"""The link archive tables: ``link``, ``link_check``, ``snapshot``, ``link_event``."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON, Column
from sqlmodel import Field, SQLModel

from ecitizen.storage.types import UTCDateTime, utcnow


class Link(SQLModel, table=True):
    __tablename__ = "link"

    id: int | None = Field(default=None, primary_key=True)
    #: canonical URL (punycode host); shown to people with a Cyrillic host
    url: str = Field(index=True, unique=True)
    title: str = ""
    description: str = ""
    category: str = ""
    tags: list[str] = Field(default_factory=list, sa_column=Column(JSON, nullable=False))
    topics: list[str] = Field(default_factory=list, sa_column=Column(JSON, nullable=False))
    audience: str = ""
    added_by: str = ""
    added_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    reviewed_at: datetime | None = Field(default=None, sa_type=UTCDateTime)

    # -- state from checks ----------------------------------------------------------------------
    #: unchecked | ok | redirected | moved | broken | soft_404 | server_error | blocked | timeout |
    #: dns_error | connection_error | tls_error
    status: str = Field(default="unchecked", index=True)
    status_since: datetime | None = Field(default=None, sa_type=UTCDateTime)
    status_detail: str = ""
    http_status: int | None = None
    final_url: str | None = None
    proposed_url: str | None = None
    consecutive_failures: int = 0
    last_checked_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    next_check_at: datetime | None = Field(default=None, sa_type=UTCDateTime, index=True)
    #: hash and text of the main content at the last comparison (change detection)
    content_hash: str | None = None
    main_text: str | None = None
    changed_at: datetime | None = Field(default=None, sa_type=UTCDateTime)


class LinkCheck(SQLModel, table=True):
    __tablename__ = "link_check"

    id: int | None = Field(default=None, primary_key=True)
    link_id: int = Field(foreign_key="link.id", index=True, ondelete="CASCADE")
    checked_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    #: the raw outcome of this one check (before the N-consecutive-failures rule)
    outcome: str
    http_status: int | None = None
    final_url: str | None = None
    method: str = "HEAD"
    elapsed_ms: int | None = None
    error: str | None = None


class Snapshot(SQLModel, table=True):
    __tablename__ = "snapshot"

    id: int | None = Field(default=None, primary_key=True)
    link_id: int | None = Field(default=None, foreign_key="link.id", index=True, ondelete="SET NULL")
    url: str
    taken_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    http_status: int | None = None
    content_type: str = ""
    #: paths relative to the data folder
    html_path: str = ""
    text_path: str = ""
    warc_path: str | None = None
    sha256: str = ""
    text_length: int = 0


class LinkEvent(SQLModel, table=True):
    """Something a person should see: a page changed, a link moved or broke."""

    __tablename__ = "link_event"

    id: int | None = Field(default=None, primary_key=True)
    link_id: int = Field(foreign_key="link.id", index=True, ondelete="CASCADE")
    at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime, index=True)
    #: changed | moved | broken | recovered
    kind: str
    summary: str = ""
    diff_text: str | None = None
    acknowledged: bool = False

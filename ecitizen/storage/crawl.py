"""Crawler state: catalogue entries, watched page regions, sitemap URLs seen."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import UniqueConstraint
from sqlmodel import Field, SQLModel

from ecitizen.storage.types import UTCDateTime, utcnow


class CatalogEntry(SQLModel, table=True):
    __tablename__ = "catalog_entry"
    __table_args__ = (UniqueConstraint("source_id", "entry_key", name="uq_catalog_source_key"),)

    id: int | None = Field(default=None, primary_key=True)
    source_id: int = Field(foreign_key="source.id", index=True, ondelete="CASCADE")
    entry_key: str
    title: str
    url: str
    category: str = ""
    first_seen: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    last_seen: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    removed_at: datetime | None = Field(default=None, sa_type=UTCDateTime)


class PageState(SQLModel, table=True):
    __tablename__ = "page_state"

    id: int | None = Field(default=None, primary_key=True)
    source_id: int = Field(foreign_key="source.id", index=True, unique=True, ondelete="CASCADE")
    content_hash: str
    text: str
    updated_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)


class SeenUrl(SQLModel, table=True):
    __tablename__ = "seen_url"
    __table_args__ = (UniqueConstraint("source_id", "url", name="uq_seen_source_url"),)

    id: int | None = Field(default=None, primary_key=True)
    source_id: int = Field(foreign_key="source.id", index=True, ondelete="CASCADE")
    url: str
    first_seen: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)

"""The ``source`` table: what we watch (feeds and crawler sources) and its health."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Column
from sqlmodel import Field, SQLModel

from ecitizen.storage.types import UTCDateTime, utcnow


class Source(SQLModel, table=True):
    __tablename__ = "source"

    id: int | None = Field(default=None, primary_key=True)
    name: str = Field(index=True, unique=True)
    #: feed | listing | sitemap | json | page | catalog | telegram
    kind: str = "feed"
    url: str
    #: the feed URL discovered from an HTML page given as ``url``
    feed_url: str | None = None
    topics: list[str] = Field(default_factory=list, sa_column=Column(JSON, nullable=False))
    settings: dict[str, Any] = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))
    interval_minutes: int | None = None
    timezone: str | None = None
    enabled: bool = True
    #: "config" when seeded from config.yaml, "cli"/"web"/"opml" otherwise
    origin: str = "config"
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)

    # -- health --------------------------------------------------------------------------------
    last_attempt_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    last_success_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    #: ok | not_modified | <SourceError.code>
    last_outcome: str | None = None
    last_status: int | None = None
    last_error: str | None = None
    consecutive_failures: int = 0
    failing_since: datetime | None = Field(default=None, sa_type=UTCDateTime)
    etag: str | None = None
    last_modified: str | None = None
    next_due_at: datetime | None = Field(default=None, sa_type=UTCDateTime, index=True)
    last_item_count: int | None = None

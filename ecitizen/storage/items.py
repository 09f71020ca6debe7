"""The ``item`` table: news, new online services, page changes and catalogue events."""

from __future__ import annotations

import json
from datetime import datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import JSON, Column, Index, String, UniqueConstraint, cast, text
from sqlmodel import Field, SQLModel

from ecitizen.storage.types import UTCDateTime, utcnow


class ItemStatus(StrEnum):
    NEW = "new"
    APPROVED = "approved"
    REJECTED = "rejected"


#: the condition of the partial indexes over undated items
UNDATED = text("published_at IS NULL")
#: the condition of the index over dated items (migration 1110: a full index on published_at made
#: SQLite read every undated item through it instead of using the undated items' own indexes)
DATED = text("published_at IS NOT NULL")


class Item(SQLModel, table=True):
    __tablename__ = "item"
    __table_args__ = (
        UniqueConstraint("source_id", "guid", name="uq_item_source_guid"),
        # keyset pages in list order (ecitizen.queries.page_items, migration 0900): dated items by
        # published_at, undated ones (partial indexes: only those rows) by fetched_at, with and
        # without a status filter
        Index("ix_item_status_published_at", "status", "published_at", "id"),
        Index("ix_item_undated_status", "status", "fetched_at", "id", sqlite_where=UNDATED, postgresql_where=UNDATED),
        Index("ix_item_undated", "fetched_at", "id", sqlite_where=UNDATED, postgresql_where=UNDATED),
        Index("ix_item_dated", "published_at", sqlite_where=DATED, postgresql_where=DATED),
        # the review queue of one source, and the queue's counts (all, new services) from the index alone
        Index("ix_item_source_published_at", "source_id", "published_at", "id"),
        Index("ix_item_status_new_service", "status", "is_new_service"),
    )

    id: int | None = Field(default=None, primary_key=True)
    #: no index of its own: uq_item_source_guid and ix_item_source_published_at start with it
    source_id: int = Field(foreign_key="source.id", ondelete="CASCADE")
    #: news | service | page_change | catalog_event
    kind: str = "news"
    guid: str
    url: str = Field(index=True)
    title: str
    summary_html: str = ""
    summary_text: str = ""
    #: indexed by ix_item_dated (dated items only) and the composite indexes above
    published_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    fetched_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime, index=True)
    #: [{"id": "pensions", "keywords": ["пенсия"], "matched": ["пенсионный"]}, ...]
    topics: list[dict[str, Any]] = Field(default_factory=list, sa_column=Column(JSON, nullable=False))
    is_new_service: bool = Field(default=False, index=True)
    new_service_rule: str | None = None
    #: normalised title used for clustering
    title_key: str = ""
    cluster_id: int | None = Field(default=None, index=True)
    content_hash: str = ""
    #: readable diff for page changes
    diff_text: str | None = None
    #: no index of its own: ix_item_status_published_at and ix_item_status_new_service start with it
    status: str = ItemStatus.NEW.value
    reviewed_by: str | None = None
    reviewed_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    #: edited by a person for print: title and the short explanation shown on posters
    display_title: str | None = None
    explanation: str | None = None
    #: topic ids assigned by a person (override the automatic ones when not None)
    manual_topics: list[str] | None = Field(default=None, sa_column=Column(JSON, nullable=True))

    def topic_ids(self) -> list[str]:
        if self.manual_topics is not None:
            return list(self.manual_topics)
        return [t["id"] for t in self.topics]


def topic_text_columns() -> tuple[Any, Any]:
    """The automatic and manual topics as their stored JSON text, for a Core select whose rows
    :class:`TopicIds` turns into topic ids (the JSON type would decode every row's lists)."""
    return cast(Item.topics, String), cast(Item.manual_topics, String)


class TopicIds:
    """``Item.topic_ids()`` from the two texts of :func:`topic_text_columns`.

    Items share a few topic lists, so each distinct pair is decoded once: reading a year of items
    decoded 435,000 JSON values before (3.7 s of a 9 s ``media-note --year``)."""

    def __init__(self) -> None:
        self._known: dict[tuple[str | None, str | None], tuple[str, ...]] = {}

    def __call__(self, topics: str | None, manual: str | None) -> tuple[str, ...]:
        ids = self._known.get((topics, manual))
        if ids is None:
            chosen = json.loads(manual) if manual else None  # SQL NULL or JSON null: the automatic ones
            if chosen is not None:
                ids = tuple(chosen)
            else:
                ids = tuple(t["id"] for t in json.loads(topics or "[]") or ())
            self._known[(topics, manual)] = ids
        return ids

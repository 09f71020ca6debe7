"""The ``item`` table: news, new online services, page changes and catalogue events."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import JSON, Column, Index, UniqueConstraint, text
from sqlmodel import Field, SQLModel

from ecitizen.storage.types import UTCDateTime, utcnow


class ItemStatus(StrEnum):
    NEW = "new"
    APPROVED = "approved"
    REJECTED = "rejected"


#: the condition of the partial indexes over undated items
UNDATED = text("published_at IS NULL")


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
    published_at: datetime | None = Field(default=None, sa_type=UTCDateTime, index=True)
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

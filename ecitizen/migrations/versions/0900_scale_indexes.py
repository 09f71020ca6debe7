"""items: indexes for keyset pages and the public cache's version (cost flat as the archive grows)

Item lists are ordered by the item's date (published, else fetched) and id, newest first;
``ecitizen.queries.page_items`` reads them as two index-ordered streams (dated items by
``published_at``, undated ones by ``fetched_at``), with or without a status filter, and one
source's items by ``published_at``; the public cache's version walks the same indexes (the newest
approved items); the review queue's counts (waiting, of them new services) come from the
``(status, is_new_service)`` index alone.

Revision ID: 0900_scale_indexes
Revises: 0800_web_session
"""
from __future__ import annotations

from alembic import op

revision = "0900_scale_indexes"
down_revision = "0800_web_session"
branch_labels = None
depends_on = None

INDEXES = {
    "ix_item_status_published_at": ["status", "published_at", "id"],
    "ix_item_status_undated": ["status", "published_at", "fetched_at", "id"],
    "ix_item_undated": ["published_at", "fetched_at", "id"],
    "ix_item_source_published_at": ["source_id", "published_at", "id"],
    "ix_item_status_new_service": ["status", "is_new_service"],
}


def upgrade() -> None:
    for name, columns in INDEXES.items():
        op.create_index(name, "item", columns, unique=False)


def downgrade() -> None:
    for name in reversed(INDEXES):
        op.drop_index(name, table_name="item")

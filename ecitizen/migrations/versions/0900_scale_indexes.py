"""items: indexes for keyset pages and the public cache's version (cost flat as the archive grows)

Item lists are ordered by the item's date (published, else fetched) and id, newest first;
``ecitizen.queries.page_items`` reads them as two index-ordered streams (dated items by
``published_at``; undated ones by ``fetched_at``, from partial indexes over those rows only, so
PostgreSQL's planner never prefers sorting all undated rows), with or without a status filter, and one
source's items by ``published_at``; the public cache's version walks the same indexes (the newest
approved items); the review queue's counts (waiting, of them new services) come from the
``(status, is_new_service)`` index alone.

Revision ID: 0900_scale_indexes
Revises: 0800_web_session
"""
from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0900_scale_indexes"
down_revision = "0800_web_session"
branch_labels = None
depends_on = None

UNDATED = sa.text("published_at IS NULL")
#: name → (columns, only undated rows)
INDEXES = {
    "ix_item_status_published_at": (["status", "published_at", "id"], False),
    "ix_item_undated_status": (["status", "fetched_at", "id"], True),
    "ix_item_undated": (["fetched_at", "id"], True),
    "ix_item_source_published_at": (["source_id", "published_at", "id"], False),
    "ix_item_status_new_service": (["status", "is_new_service"], False),
}


def upgrade() -> None:
    for name, (columns, undated) in INDEXES.items():
        where = {"sqlite_where": UNDATED, "postgresql_where": UNDATED} if undated else {}
        op.create_index(name, "item", columns, unique=False, **where)


def downgrade() -> None:
    for name in reversed(INDEXES):
        op.drop_index(name, table_name="item")

"""items: the index on ``published_at`` keeps dated items only (SQLite then finds undated ones)

SQLite's planner, with or without ``ANALYZE``, took ``published_at IS NULL`` as an equality on
``ix_item_published_at`` and read every undated item of the archive, then sorted them, for the
undated half of a list (``ecitizen.queries``) or a month (the lesson sheets): the partial indexes
over undated items of migration 0900 were never used. With the dated index partial
(``published_at IS NOT NULL``, which every range or order on ``published_at`` implies), the
undated stream walks ``ix_item_undated``: 14 ms → under 1 ms at 300,000 items, and flat as the
archive grows. One column, as before: with ``(published_at, id)`` PostgreSQL's planner chose a
sequential scan for a topic's list (87 ms against 6 ms).

On PostgreSQL 14 and newer, statistics on the topic lists as text (``CREATE STATISTICS`` on an
expression): a topic filter is a ``LIKE`` on that text (``ecitizen.queries.maybe_of_topic``), and
without them the planner guessed that 24 of 300,000 items match (52,000 do), so an approved
topic's page read the whole table (86 ms, growing with the archive) instead of walking the
status index backwards (0.4 ms). ``ANALYZE`` (autovacuum) fills them.

Revision ID: 1110_item_dated_index
Revises: 1100_item_write_indexes
"""
from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "1110_item_dated_index"
down_revision = "1100_item_write_indexes"
branch_labels = None
depends_on = None

DATED = sa.text("published_at IS NOT NULL")


#: PostgreSQL 14+: statistics on the topic lists as text, which a topic filter reads with LIKE
STATISTICS = {"st_item_topics_text": "(topics)::varchar", "st_item_manual_topics_text": "(manual_topics)::varchar"}


def _expression_statistics() -> bool:
    bind = op.get_bind()
    return bind.dialect.name == "postgresql" and (bind.dialect.server_version_info or (0,)) >= (14,)


def upgrade() -> None:
    op.drop_index("ix_item_published_at", table_name="item")
    op.create_index("ix_item_dated", "item", ["published_at"], unique=False,
                    sqlite_where=DATED, postgresql_where=DATED)
    if _expression_statistics():
        for name, expression in STATISTICS.items():
            op.execute(f"CREATE STATISTICS IF NOT EXISTS {name} ON ({expression}) FROM item")


def downgrade() -> None:
    if _expression_statistics():
        for name in STATISTICS:
            op.execute(f"DROP STATISTICS IF EXISTS {name}")
    op.drop_index("ix_item_dated", table_name="item")
    op.create_index("ix_item_published_at", "item", ["published_at"], unique=False)

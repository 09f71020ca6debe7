"""service: server-side sign-in sessions (``web_session``), so logout and password changes end them

Revision ID: 0800_web_session
Revises: 0700_programme
"""
from __future__ import annotations

import sqlalchemy as sa
import sqlmodel
from alembic import op

import ecitizen.storage.types

revision = "0800_web_session"
down_revision = "0700_programme"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "web_session",
        sa.Column("token_hash", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("created_at", ecitizen.storage.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("last_seen_at", ecitizen.storage.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("expires_at", ecitizen.storage.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("address", sqlmodel.sql.sqltypes.AutoString(), nullable=False),
        sa.ForeignKeyConstraint(["user_id"], ["user_account.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("token_hash"),
    )
    with op.batch_alter_table("web_session") as batch:
        batch.create_index(batch.f("ix_web_session_user_id"), ["user_id"], unique=False)
        batch.create_index(batch.f("ix_web_session_expires_at"), ["expires_at"], unique=False)


def downgrade() -> None:
    op.drop_table("web_session")

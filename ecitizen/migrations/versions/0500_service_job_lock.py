"""service: job_lock table (one row per job, claimed atomically so no job overlaps itself)

Revision ID: 0500_service_job_lock
Revises: 0001
"""
from __future__ import annotations

import sqlalchemy as sa
import sqlmodel
from alembic import op

import ecitizen.storage.types

revision = "0500_service_job_lock"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "job_lock",
        sa.Column("job", sqlmodel.sql.sqltypes.AutoString(), nullable=False),
        sa.Column("holder", sqlmodel.sql.sqltypes.AutoString(), nullable=True),
        sa.Column("run_id", sa.Integer(), nullable=True),
        sa.Column("acquired_at", ecitizen.storage.types.UTCDateTime(timezone=True), nullable=True),
        sa.Column("expires_at", ecitizen.storage.types.UTCDateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("job"),
    )


def downgrade() -> None:
    op.drop_table("job_lock")

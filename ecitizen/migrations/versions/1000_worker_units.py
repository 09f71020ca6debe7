"""service: which worker ran each job run (``job_run.worker``); the host gate's tables
(``host_slot``, ``host_pace``) for per-host politeness shared by queue workers on PostgreSQL

Revision ID: 1000_worker_units
Revises: 0900_scale_indexes
"""
from __future__ import annotations

import sqlalchemy as sa
import sqlmodel
from alembic import op

import ecitizen.storage.types

revision = "1000_worker_units"
down_revision = "0900_scale_indexes"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("job_run") as batch:
        batch.add_column(sa.Column("worker", sqlmodel.sql.sqltypes.AutoString(), nullable=True))
    op.create_table(
        "host_slot",
        sa.Column("host", sqlmodel.sql.sqltypes.AutoString(), nullable=False),
        sa.Column("slot", sa.Integer(), nullable=False),
        sa.Column("holder", sqlmodel.sql.sqltypes.AutoString(), nullable=True),
        sa.Column("expires_at", ecitizen.storage.types.UTCDateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("host", "slot"),
    )
    op.create_table(
        "host_pace",
        sa.Column("host", sqlmodel.sql.sqltypes.AutoString(), nullable=False),
        sa.Column("next_start_at", ecitizen.storage.types.UTCDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("host"),
    )


def downgrade() -> None:
    op.drop_table("host_pace")
    op.drop_table("host_slot")
    with op.batch_alter_table("job_run") as batch:
        batch.drop_column("worker")

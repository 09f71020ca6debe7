"""service: the scheduler's job store table (``apscheduler_jobs``), created here, not by APScheduler

Two ``ecitizen run`` started together on a fresh database both let APScheduler create its table at
start-up, and one of them failed with "table apscheduler_jobs already exists". Created by the
migration (which runs under the migration lock), APScheduler finds it and creates nothing. The
columns are APScheduler 3's ``SQLAlchemyJobStore`` table; a database where APScheduler already
made it is left as it is.

Revision ID: 0600_scheduler_job_store
Revises: 0500_service_job_lock
"""
from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0600_scheduler_job_store"
down_revision = "0500_service_job_lock"
branch_labels = None
depends_on = None

TABLE = "apscheduler_jobs"


def upgrade() -> None:
    if sa.inspect(op.get_bind()).has_table(TABLE):
        return
    op.create_table(
        TABLE,
        sa.Column("id", sa.Unicode(191), nullable=False),
        sa.Column("next_run_time", sa.Float(25), nullable=True),
        sa.Column("job_state", sa.LargeBinary(), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index(f"ix_{TABLE}_next_run_time", TABLE, ["next_run_time"])


def downgrade() -> None:
    op.drop_table(TABLE)

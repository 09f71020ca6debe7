"""programme: libraries, indicator targets (2020–2022 seeded), entered figures with their history,
info-zone sheets, media notes; ``user_account.library_id`` (a librarian's library)

The targets of section VII of the programme «Компетентный е-гражданин» for 2020–2022 are inserted
as data here (later years are set by the manager: ``ecitizen indicators target``).

Revision ID: 0700_programme
Revises: 0600_scheduler_job_store
"""
from __future__ import annotations

from datetime import UTC, datetime

import sqlalchemy as sa
import sqlmodel
from alembic import op

import ecitizen.storage.types

revision = "0700_programme"
down_revision = "0600_scheduler_job_store"
branch_labels = None
depends_on = None

#: indicator id -> (2020, 2021, 2022) from the programme's plan, section VII
DEFAULT_TARGETS = {
    "libraries": (41, 41, 41),
    "trained": (20, 20, 20),
    "site_visits": (100, 110, 120),
    "eservices": (30, 35, 35),
    "events": (10, 10, 10),
    "info_zones": (1, 1, 1),
    "consultations": (40, 40, 40),
    "media_messages": (4, 4, 4),
}

_str = sqlmodel.sql.sqltypes.AutoString
_time = ecitizen.storage.types.UTCDateTime


def upgrade() -> None:
    op.create_table(
        "library",
        sa.Column("id", _str(), nullable=False),
        sa.Column("name", _str(), nullable=False),
        sa.Column("address", _str(), nullable=False),
        sa.Column("hours", _str(), nullable=False),
        sa.Column("phone", _str(), nullable=False),
        sa.Column("email", _str(), nullable=False),
        sa.Column("website", _str(), nullable=False),
        sa.Column("is_cpi", sa.Boolean(), nullable=False),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.Column("origin", _str(), nullable=False),
        sa.Column("updated_at", _time(timezone=True), nullable=False),
        sa.Column("updated_by", _str(), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("library", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_library_active"), ["active"], unique=False)

    target = op.create_table(
        "indicator_target",
        sa.Column("indicator_id", _str(), nullable=False),
        sa.Column("year", sa.Integer(), nullable=False),
        sa.Column("value", sa.Integer(), nullable=False),
        sa.Column("set_by", _str(), nullable=False),
        sa.Column("set_at", _time(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("indicator_id", "year"),
    )
    seeded_at = datetime(2020, 1, 1, tzinfo=UTC)
    op.bulk_insert(target, [
        {"indicator_id": ind, "year": 2020 + i, "value": value, "set_by": "программа 2020–2022",
         "set_at": seeded_at}
        for ind, values in DEFAULT_TARGETS.items() for i, value in enumerate(values)
    ])

    op.create_table(
        "info_zone_sheet",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("library_id", _str(), nullable=False),
        sa.Column("month", _str(), nullable=False),
        sa.Column("path", _str(), nullable=False),
        sa.Column("produced_at", _time(timezone=True), nullable=False),
        sa.Column("confirmed_at", _time(timezone=True), nullable=True),
        sa.Column("confirmed_by", _str(), nullable=True),
        sa.ForeignKeyConstraint(["library_id"], ["library.id"]),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("library_id", "month", name="uq_info_zone_sheet"),
    )
    with op.batch_alter_table("info_zone_sheet", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_info_zone_sheet_library_id"), ["library_id"], unique=False)

    op.create_table(
        "media_note_record",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("period", _str(), nullable=False),
        sa.Column("library_id", _str(), nullable=True),
        sa.Column("path", _str(), nullable=False),
        sa.Column("produced_at", _time(timezone=True), nullable=False),
        sa.Column("sent_at", _time(timezone=True), nullable=True),
        sa.Column("sent_by", _str(), nullable=True),
        sa.Column("sent_to", _str(), nullable=False),
        sa.ForeignKeyConstraint(["library_id"], ["library.id"]),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("media_note_record", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_media_note_record_library_id"), ["library_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_media_note_record_period"), ["period"], unique=False)

    op.create_table(
        "programme_figure",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("library_id", _str(), nullable=False),
        sa.Column("month", _str(), nullable=False),
        sa.Column("measure", _str(), nullable=False),
        sa.Column("value", sa.Integer(), nullable=False),
        sa.Column("updated_at", _time(timezone=True), nullable=False),
        sa.Column("updated_by", _str(), nullable=False),
        sa.ForeignKeyConstraint(["library_id"], ["library.id"]),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("library_id", "month", "measure", name="uq_programme_figure"),
    )
    with op.batch_alter_table("programme_figure", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_programme_figure_library_id"), ["library_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_programme_figure_month"), ["month"], unique=False)

    op.create_table(
        "programme_figure_change",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("library_id", _str(), nullable=False),
        sa.Column("month", _str(), nullable=False),
        sa.Column("measure", _str(), nullable=False),
        sa.Column("old_value", sa.Integer(), nullable=True),
        sa.Column("new_value", sa.Integer(), nullable=False),
        sa.Column("changed_by", _str(), nullable=False),
        sa.Column("changed_at", _time(timezone=True), nullable=False),
        sa.Column("via", _str(), nullable=False),
        sa.ForeignKeyConstraint(["library_id"], ["library.id"]),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("programme_figure_change", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_programme_figure_change_changed_at"), ["changed_at"], unique=False)
        batch_op.create_index(batch_op.f("ix_programme_figure_change_library_id"), ["library_id"], unique=False)

    with op.batch_alter_table("user_account", schema=None) as batch_op:
        batch_op.add_column(sa.Column("library_id", _str(), nullable=True))
        batch_op.create_index(batch_op.f("ix_user_account_library_id"), ["library_id"], unique=False)
        batch_op.create_foreign_key("fk_user_account_library_id_library", "library", ["library_id"], ["id"],
                                    ondelete="SET NULL")


def downgrade() -> None:
    with op.batch_alter_table("user_account", schema=None) as batch_op:
        batch_op.drop_constraint("fk_user_account_library_id_library", type_="foreignkey")
        batch_op.drop_index(batch_op.f("ix_user_account_library_id"))
        batch_op.drop_column("library_id")
    for table in ("programme_figure_change", "programme_figure", "media_note_record", "info_zone_sheet",
                  "indicator_target", "library"):
        op.drop_table(table)

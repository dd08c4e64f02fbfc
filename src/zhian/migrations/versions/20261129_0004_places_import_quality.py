"""Places import jobs, their rejected rows, and field verification records (data quality).

Reviewed by hand after autogenerate: nothing PostgreSQL-only; keys and indexes named by the
convention; rejected rows keep the raw row as JSON text so nothing of a bad row is lost.

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-29 05:04:58.200651
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import zhian.core.db

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "place_import_job",
        sa.Column("kind", sa.String(), nullable=False),
        sa.Column("filename", sa.String(), nullable=False),
        sa.Column("division", sa.String(), nullable=False),
        sa.Column("status", sa.String(), nullable=False),
        sa.Column("total_rows", sa.Integer(), nullable=False),
        sa.Column("processed", sa.Integer(), nullable=False),
        sa.Column("accepted", sa.Integer(), nullable=False),
        sa.Column("unchanged", sa.Integer(), nullable=False),
        sa.Column("rejected", sa.Integer(), nullable=False),
        sa.Column("created_by", sa.String(), nullable=False),
        sa.Column("started_at", zhian.core.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("finished_at", zhian.core.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("created_at", zhian.core.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("updated_at", zhian.core.db.UTCDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_place_import_job")),
    )
    with op.batch_alter_table("place_import_job", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_place_import_job_division"), ["division"], unique=False
        )

    op.create_table(
        "place_import_rejected_row",
        sa.Column("job_id", sa.Integer(), nullable=False),
        sa.Column("row_number", sa.Integer(), nullable=False),
        sa.Column("raw", sa.Text(), nullable=False),
        sa.Column("reasons", sa.Text(), nullable=False),
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("created_at", zhian.core.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("updated_at", zhian.core.db.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["job_id"],
            ["place_import_job.id"],
            name=op.f("fk_place_import_rejected_row_job_id_place_import_job"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_place_import_rejected_row")),
    )
    with op.batch_alter_table("place_import_rejected_row", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_place_import_rejected_row_job_id"), ["job_id"], unique=False
        )

    op.create_table(
        "place_verification",
        sa.Column("house_id", sa.Integer(), nullable=False),
        sa.Column("outcome", sa.String(), nullable=False),
        sa.Column("verifier", sa.String(), nullable=False),
        sa.Column("verified_at", zhian.core.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("division", sa.String(), nullable=False),
        sa.Column("note", sa.String(), nullable=False),
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("created_at", zhian.core.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("updated_at", zhian.core.db.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["division"],
            ["place_division.adcode"],
            name=op.f("fk_place_verification_division_place_division"),
        ),
        sa.ForeignKeyConstraint(
            ["house_id"],
            ["place_house.id"],
            name=op.f("fk_place_verification_house_id_place_house"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_place_verification")),
    )
    with op.batch_alter_table("place_verification", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_place_verification_division"), ["division"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_place_verification_house_id"), ["house_id"], unique=False
        )


def downgrade() -> None:
    with op.batch_alter_table("place_verification", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_place_verification_house_id"))
        batch_op.drop_index(batch_op.f("ix_place_verification_division"))

    op.drop_table("place_verification")
    with op.batch_alter_table("place_import_rejected_row", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_place_import_rejected_row_job_id"))

    op.drop_table("place_import_rejected_row")
    with op.batch_alter_table("place_import_job", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_place_import_job_division"))

    op.drop_table("place_import_job")

"""Import jobs say why they failed: place_import_job.error.

Written by hand: one nullable column, added in batch mode for SQLite.

Revision ID: 0012
Revises: 0011
Create Date: 2026-11-29 08:40:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0012"
down_revision = "0011"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("place_import_job", schema=None) as batch_op:
        batch_op.add_column(sa.Column("error", sa.String(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("place_import_job", schema=None) as batch_op:
        batch_op.drop_column("error")

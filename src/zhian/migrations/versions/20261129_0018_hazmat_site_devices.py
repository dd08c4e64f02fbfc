"""A storage site's devices by reference: its intrusion panel's SIA DC-09 account and the
GB/T 28181 ids of the cameras covering it. Batch mode for SQLite's ALTERs.

Revision ID: 0018
Revises: 0016
Create Date: 2026-11-29 12:00:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0018"
down_revision = "0016"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("hazmat_site", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("alarm_account", sa.String(), nullable=False, server_default="")
        )
        batch_op.add_column(sa.Column("camera_ids", sa.Text(), nullable=False, server_default="[]"))
    # The defaults filled the existing rows; new ones get theirs from the application.
    with op.batch_alter_table("hazmat_site", schema=None) as batch_op:
        batch_op.alter_column("alarm_account", server_default=None)
        batch_op.alter_column("camera_ids", server_default=None)


def downgrade() -> None:
    with op.batch_alter_table("hazmat_site", schema=None) as batch_op:
        batch_op.drop_column("camera_ids")
        batch_op.drop_column("alarm_account")

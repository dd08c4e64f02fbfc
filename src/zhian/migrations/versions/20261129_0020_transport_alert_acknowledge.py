"""Transport alerts are acknowledged before they are resolved; the terminal's confirmation.

Revision ID: 0020
Revises: 0018
Create Date: 2026-11-29 12:20:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from zhian.core.db import UTCDateTime

revision = "0020"
down_revision = "0018"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("transport_alert") as batch:
        batch.add_column(sa.Column("acknowledged_at", UTCDateTime(timezone=True), nullable=True))
        batch.add_column(sa.Column("acknowledged_by", sa.String(), nullable=True))
        batch.add_column(sa.Column("terminal_confirmation", sa.String(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("transport_alert") as batch:
        batch.drop_column("terminal_confirmation")
        batch.drop_column("acknowledged_by")
        batch.drop_column("acknowledged_at")

"""Index transport_position.located_at: the retention purge finds expired fixes by time.

Without it every purge batch, and the last one that finds nothing left, scans the table.
Written by hand: one plain index, valid on SQLite and PostgreSQL.

Revision ID: 0010
Revises: 0009
Create Date: 2026-11-29 08:55:00
"""

from __future__ import annotations

from alembic import op

revision = "0010"
down_revision = "0009"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_index("ix_transport_position_located_at", "transport_position", ["located_at"])


def downgrade() -> None:
    op.drop_index("ix_transport_position_located_at", table_name="transport_position")

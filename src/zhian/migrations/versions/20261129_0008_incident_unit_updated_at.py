"""Index incident_unit.updated_at: the dispatch unit index reads max(updated_at) per call.

Written by hand: one plain index, valid on SQLite and PostgreSQL.

Revision ID: 0008
Revises: 0007
Create Date: 2026-11-29 06:20:00
"""

from __future__ import annotations

from alembic import op

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_index("ix_incident_unit_updated_at", "incident_unit", ["updated_at"])


def downgrade() -> None:
    op.drop_index("ix_incident_unit_updated_at", table_name="incident_unit")

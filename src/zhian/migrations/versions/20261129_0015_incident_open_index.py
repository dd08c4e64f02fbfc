"""The live board's index: open incidents by id, a partial index that holds only the few
incidents not yet cleared or cancelled, however many closed ones the table keeps.

Revision ID: 0015
Revises: 0014
Create Date: 2026-11-29 10:35:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0015"
down_revision = "0014"
branch_labels = None
depends_on = None

# Must stay identical to models.OPEN_INCIDENT and the board's status filter.
OPEN = "status IN ('received', 'dispatched', 'en_route', 'on_scene')"


def upgrade() -> None:
    op.create_index(
        "ix_incident_incident_open",
        "incident_incident",
        ["id"],
        sqlite_where=sa.text(OPEN),
        postgresql_where=sa.text(OPEN),
    )


def downgrade() -> None:
    op.drop_index("ix_incident_incident_open", table_name="incident_incident")

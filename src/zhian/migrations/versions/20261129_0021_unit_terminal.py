"""A police unit's JT/T 808 terminal: the gateway's fixes become the unit's position (AVL).

Revision ID: 0021
Revises: 0020
Create Date: 2026-11-29 12:20:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0021"
down_revision = "0020"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("incident_unit") as batch:
        batch.add_column(sa.Column("terminal_phone", sa.String(), nullable=True))
        batch.create_unique_constraint("uq_incident_unit_terminal_phone", ["terminal_phone"])


def downgrade() -> None:
    with op.batch_alter_table("incident_unit") as batch:
        batch.drop_constraint("uq_incident_unit_terminal_phone", type_="unique")
        batch.drop_column("terminal_phone")

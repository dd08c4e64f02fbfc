"""What an item's code marks (a detonator, a box, a case) and a chemical's CAS number.

Revision ID: 0022
Revises: 0021
Create Date: 2026-11-29 13:00:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0022"
down_revision = "0021"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("hazmat_item") as batch:
        batch.add_column(sa.Column("cas", sa.String(), nullable=True))
        batch.add_column(sa.Column("code_type", sa.String(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("hazmat_item") as batch:
        batch.drop_column("code_type")
        batch.drop_column("cas")

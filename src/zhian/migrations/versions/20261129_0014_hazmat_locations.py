"""Where enterprises and storage sites are: the standard address their text matched and a
point, so dispatch can flag them as premise hazards. Batch mode for SQLite's ALTERs.

Revision ID: 0014
Revises: 0013
Create Date: 2026-11-29 09:55:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0014"
down_revision = "0013"
branch_labels = None
depends_on = None

TABLES = ("hazmat_enterprise", "hazmat_site")


def upgrade() -> None:
    for table in TABLES:
        with op.batch_alter_table(table, schema=None) as batch_op:
            if table == "hazmat_site":
                batch_op.add_column(
                    sa.Column("address", sa.String(), nullable=False, server_default="")
                )
            batch_op.add_column(sa.Column("address_id", sa.Integer(), nullable=True))
            batch_op.add_column(sa.Column("lon", sa.Double(), nullable=True))
            batch_op.add_column(sa.Column("lat", sa.Double(), nullable=True))
            batch_op.create_foreign_key(
                batch_op.f(f"fk_{table}_address_id_place_house"),
                "place_house",
                ["address_id"],
                ["id"],
            )
            batch_op.create_index(batch_op.f(f"ix_{table}_address_id"), ["address_id"])
            batch_op.create_index(batch_op.f(f"ix_{table}_lat"), ["lat"])
    with op.batch_alter_table("hazmat_site", schema=None) as batch_op:
        batch_op.alter_column("address", server_default=None)


def downgrade() -> None:
    for table in TABLES:
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.drop_index(batch_op.f(f"ix_{table}_lat"))
            batch_op.drop_index(batch_op.f(f"ix_{table}_address_id"))
            batch_op.drop_constraint(
                batch_op.f(f"fk_{table}_address_id_place_house"), type_="foreignkey"
            )
            batch_op.drop_column("lat")
            batch_op.drop_column("lon")
            batch_op.drop_column("address_id")
            if table == "hazmat_site":
                batch_op.drop_column("address")

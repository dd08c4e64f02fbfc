"""Motion rules and road classes: the vehicle's motion state, permit waypoints and approved
stops, where an alert began, and the expressway layer (its own speed limit).

Written by hand: added nullable columns (and two with a server default), batch mode so that
SQLite rebuilds the tables.

Revision ID: 0009
Revises: 0008
Create Date: 2026-11-29 09:00:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from zhian.core.db import UTCDateTime

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None

VEHICLE_COLUMNS = ("last_lon", "last_lat", "stint_started_at", "halt_since", "halt_lon", "halt_lat")


def upgrade() -> None:
    op.create_table(
        "transport_expressway",
        sa.Column("name", sa.String(), nullable=False),
        sa.Column("code", sa.String(), nullable=False),
        sa.Column("centreline", sa.Text(), nullable=False),
        sa.Column("width_m", sa.Double(), nullable=False),
        sa.Column("area", sa.Text(), nullable=False),
        sa.Column("division", sa.String(), nullable=False),
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("created_at", UTCDateTime(timezone=True), nullable=False),
        sa.Column("updated_at", UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["division"],
            ["place_division.adcode"],
            name=op.f("fk_transport_expressway_division_place_division"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_transport_expressway")),
    )
    op.create_index(op.f("ix_transport_expressway_division"), "transport_expressway", ["division"])
    with op.batch_alter_table("transport_vehicle") as batch:
        batch.add_column(sa.Column("last_lon", sa.Double(), nullable=True))
        batch.add_column(sa.Column("last_lat", sa.Double(), nullable=True))
        batch.add_column(sa.Column("stint_started_at", UTCDateTime(timezone=True), nullable=True))
        batch.add_column(sa.Column("halt_since", UTCDateTime(timezone=True), nullable=True))
        batch.add_column(sa.Column("halt_lon", sa.Double(), nullable=True))
        batch.add_column(sa.Column("halt_lat", sa.Double(), nullable=True))
    with op.batch_alter_table("transport_permit") as batch:
        batch.add_column(sa.Column("waypoints", sa.Text(), nullable=False, server_default="[]"))
        batch.add_column(
            sa.Column("approved_stops", sa.Text(), nullable=False, server_default="[]")
        )
    with op.batch_alter_table("transport_alert") as batch:
        batch.add_column(sa.Column("lon", sa.Double(), nullable=True))
        batch.add_column(sa.Column("lat", sa.Double(), nullable=True))


def downgrade() -> None:
    op.drop_index(op.f("ix_transport_expressway_division"), table_name="transport_expressway")
    op.drop_table("transport_expressway")
    with op.batch_alter_table("transport_alert") as batch:
        batch.drop_column("lat")
        batch.drop_column("lon")
    with op.batch_alter_table("transport_permit") as batch:
        batch.drop_column("approved_stops")
        batch.drop_column("waypoints")
    with op.batch_alter_table("transport_vehicle") as batch:
        for name in reversed(VEHICLE_COLUMNS):
            batch.drop_column(name)

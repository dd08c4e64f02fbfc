"""Motion rules: the vehicle's motion state, permit waypoints and approved stops, alert place.

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
    with op.batch_alter_table("transport_vehicle") as batch:
        batch.add_column(sa.Column("last_lon", sa.Float(), nullable=True))
        batch.add_column(sa.Column("last_lat", sa.Float(), nullable=True))
        batch.add_column(sa.Column("stint_started_at", UTCDateTime(timezone=True), nullable=True))
        batch.add_column(sa.Column("halt_since", UTCDateTime(timezone=True), nullable=True))
        batch.add_column(sa.Column("halt_lon", sa.Float(), nullable=True))
        batch.add_column(sa.Column("halt_lat", sa.Float(), nullable=True))
    with op.batch_alter_table("transport_permit") as batch:
        batch.add_column(sa.Column("waypoints", sa.Text(), nullable=False, server_default="[]"))
        batch.add_column(
            sa.Column("approved_stops", sa.Text(), nullable=False, server_default="[]")
        )
    with op.batch_alter_table("transport_alert") as batch:
        batch.add_column(sa.Column("lon", sa.Float(), nullable=True))
        batch.add_column(sa.Column("lat", sa.Float(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("transport_alert") as batch:
        batch.drop_column("lat")
        batch.drop_column("lon")
    with op.batch_alter_table("transport_permit") as batch:
        batch.drop_column("approved_stops")
        batch.drop_column("waypoints")
    with op.batch_alter_table("transport_vehicle") as batch:
        for name in reversed(VEHICLE_COLUMNS):
            batch.drop_column(name)

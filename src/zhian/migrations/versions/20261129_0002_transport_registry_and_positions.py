"""Transport: carriers, monitored vehicles and their terminals, positions, alerts.

Positions get a 64-bit id on PostgreSQL (a city's fleet outgrows 2^31 fixes) and 64-bit
alarm/status words (JT/T 808 sends u32; bit 31 does not fit a signed int4). Reviewed by
hand after autogenerate: nothing PostgreSQL-only, every FK and unique key named by the
convention, the (vehicle_id, located_at) index serving track reads and the FK at once.

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-29 04:31:15.399842
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import zhian.core.db

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "transport_carrier",
        sa.Column("name", sa.String(), nullable=False),
        sa.Column("licence_no", sa.String(), nullable=False),
        sa.Column("division", sa.String(), nullable=False),
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("created_at", zhian.core.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("updated_at", zhian.core.db.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["division"],
            ["place_division.adcode"],
            name=op.f("fk_transport_carrier_division_place_division"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_transport_carrier")),
        sa.UniqueConstraint("licence_no", name=op.f("uq_transport_carrier_licence_no")),
    )
    with op.batch_alter_table("transport_carrier", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_transport_carrier_division"), ["division"], unique=False
        )

    op.create_table(
        "transport_vehicle",
        sa.Column("plate", sa.String(), nullable=False),
        sa.Column("plate_color", sa.Integer(), nullable=False),
        sa.Column("terminal_phone", sa.String(), nullable=False),
        sa.Column("division", sa.String(), nullable=False),
        sa.Column("carrier_id", sa.Integer(), nullable=True),
        sa.Column("hazard_classes", sa.String(), nullable=False),
        sa.Column("body_type", sa.String(), nullable=True),
        sa.Column("is_police_unit", sa.Boolean(), nullable=False),
        sa.Column("auth_code_hash", sa.String(), nullable=True),
        sa.Column("registered_at", zhian.core.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("last_position_at", zhian.core.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("created_at", zhian.core.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("updated_at", zhian.core.db.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["carrier_id"],
            ["transport_carrier.id"],
            name=op.f("fk_transport_vehicle_carrier_id_transport_carrier"),
        ),
        sa.ForeignKeyConstraint(
            ["division"],
            ["place_division.adcode"],
            name=op.f("fk_transport_vehicle_division_place_division"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_transport_vehicle")),
        sa.UniqueConstraint(
            "plate", "plate_color", name=op.f("uq_transport_vehicle_plate_plate_color")
        ),
        sa.UniqueConstraint("terminal_phone", name=op.f("uq_transport_vehicle_terminal_phone")),
    )
    with op.batch_alter_table("transport_vehicle", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_transport_vehicle_carrier_id"), ["carrier_id"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_transport_vehicle_division"), ["division"], unique=False
        )

    op.create_table(
        "transport_alert",
        sa.Column("vehicle_id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(), nullable=False),
        sa.Column("status", sa.String(), nullable=False),
        sa.Column("division", sa.String(), nullable=False),
        sa.Column("opened_at", zhian.core.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("last_seen_at", zhian.core.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.Column("ended_at", zhian.core.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("calm_count", sa.Integer(), nullable=False),
        sa.Column("peak_speed_kmh", sa.Double(), nullable=True),
        sa.Column("resolved_at", zhian.core.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("resolved_by", sa.String(), nullable=True),
        sa.Column("note", sa.Text(), nullable=True),
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("created_at", zhian.core.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("updated_at", zhian.core.db.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["division"],
            ["place_division.adcode"],
            name=op.f("fk_transport_alert_division_place_division"),
        ),
        sa.ForeignKeyConstraint(
            ["vehicle_id"],
            ["transport_vehicle.id"],
            name=op.f("fk_transport_alert_vehicle_id_transport_vehicle"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_transport_alert")),
    )
    with op.batch_alter_table("transport_alert", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_transport_alert_division"), ["division"], unique=False)
        batch_op.create_index(batch_op.f("ix_transport_alert_status"), ["status"], unique=False)
        batch_op.create_index(
            "ix_transport_alert_vehicle_kind", ["vehicle_id", "kind", "active"], unique=False
        )

    op.create_table(
        "transport_position",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("vehicle_id", sa.Integer(), nullable=False),
        sa.Column("located_at", zhian.core.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("lon", sa.Double(), nullable=False),
        sa.Column("lat", sa.Double(), nullable=False),
        sa.Column("speed_kmh", sa.Double(), nullable=False),
        sa.Column("heading", sa.Integer(), nullable=False),
        sa.Column("altitude_m", sa.Integer(), nullable=False),
        sa.Column("alarm", sa.BigInteger(), nullable=False),
        sa.Column("status", sa.BigInteger(), nullable=False),
        sa.Column("event_id", sa.String(), nullable=False),
        sa.Column("created_at", zhian.core.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("updated_at", zhian.core.db.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["vehicle_id"],
            ["transport_vehicle.id"],
            name=op.f("fk_transport_position_vehicle_id_transport_vehicle"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_transport_position")),
        sa.UniqueConstraint("event_id", name=op.f("uq_transport_position_event_id")),
    )
    with op.batch_alter_table("transport_position", schema=None) as batch_op:
        batch_op.create_index(
            "ix_transport_position_vehicle_time", ["vehicle_id", "located_at"], unique=False
        )


def downgrade() -> None:
    with op.batch_alter_table("transport_position", schema=None) as batch_op:
        batch_op.drop_index("ix_transport_position_vehicle_time")

    op.drop_table("transport_position")
    with op.batch_alter_table("transport_alert", schema=None) as batch_op:
        batch_op.drop_index("ix_transport_alert_vehicle_kind")
        batch_op.drop_index(batch_op.f("ix_transport_alert_status"))
        batch_op.drop_index(batch_op.f("ix_transport_alert_division"))

    op.drop_table("transport_alert")
    with op.batch_alter_table("transport_vehicle", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_transport_vehicle_division"))
        batch_op.drop_index(batch_op.f("ix_transport_vehicle_carrier_id"))

    op.drop_table("transport_vehicle")
    with op.batch_alter_table("transport_carrier", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_transport_carrier_division"))

    op.drop_table("transport_carrier")

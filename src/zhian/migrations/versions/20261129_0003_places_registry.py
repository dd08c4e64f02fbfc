"""Places registry: roads, house numbers (门牌), buildings, rooms and organizations (实有单位).

Townships and communities need no table: they are place_division rows. Reviewed by hand after
autogenerate: nothing PostgreSQL-only; every FK and unique key named by the convention; the
unique keys (division, name), (road_id, number, suffix), (house_id, number) and
(building_id, unit, number) also serve the FK lookups; the updated_at indexes keep the
geocoder's "has the registry changed" check to index reads.

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-29 04:52:49.467915
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import zhian.core.db

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "place_road",
        sa.Column("name", sa.String(), nullable=False),
        sa.Column("division", sa.String(), nullable=False),
        sa.Column("serial", sa.Integer(), nullable=False),
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("created_at", zhian.core.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("updated_at", zhian.core.db.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["division"],
            ["place_division.adcode"],
            name=op.f("fk_place_road_division_place_division"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_place_road")),
        sa.UniqueConstraint("division", "name", name=op.f("uq_place_road_division_name")),
        sa.UniqueConstraint("division", "serial", name=op.f("uq_place_road_division_serial")),
    )
    with op.batch_alter_table("place_road", schema=None) as batch_op:
        batch_op.create_index("ix_place_road_updated_at", ["updated_at"], unique=False)

    op.create_table(
        "place_house",
        sa.Column("road_id", sa.Integer(), nullable=False),
        sa.Column("number", sa.Integer(), nullable=False),
        sa.Column("suffix", sa.String(), nullable=False),
        sa.Column("code", sa.String(), nullable=False),
        sa.Column("division", sa.String(), nullable=False),
        sa.Column("lon", sa.Double(), nullable=False),
        sa.Column("lat", sa.Double(), nullable=False),
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("created_at", zhian.core.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("updated_at", zhian.core.db.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["division"],
            ["place_division.adcode"],
            name=op.f("fk_place_house_division_place_division"),
        ),
        sa.ForeignKeyConstraint(
            ["road_id"], ["place_road.id"], name=op.f("fk_place_house_road_id_place_road")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_place_house")),
        sa.UniqueConstraint("code", name=op.f("uq_place_house_code")),
        sa.UniqueConstraint(
            "road_id", "number", "suffix", name=op.f("uq_place_house_road_id_number_suffix")
        ),
    )
    with op.batch_alter_table("place_house", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_place_house_division"), ["division"], unique=False)
        batch_op.create_index("ix_place_house_updated_at", ["updated_at"], unique=False)

    op.create_table(
        "place_building",
        sa.Column("house_id", sa.Integer(), nullable=False),
        sa.Column("number", sa.String(), nullable=False),
        sa.Column("division", sa.String(), nullable=False),
        sa.Column("lon", sa.Double(), nullable=True),
        sa.Column("lat", sa.Double(), nullable=True),
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("created_at", zhian.core.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("updated_at", zhian.core.db.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["division"],
            ["place_division.adcode"],
            name=op.f("fk_place_building_division_place_division"),
        ),
        sa.ForeignKeyConstraint(
            ["house_id"], ["place_house.id"], name=op.f("fk_place_building_house_id_place_house")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_place_building")),
        sa.UniqueConstraint("house_id", "number", name=op.f("uq_place_building_house_id_number")),
    )
    with op.batch_alter_table("place_building", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_place_building_division"), ["division"], unique=False)
        batch_op.create_index("ix_place_building_updated_at", ["updated_at"], unique=False)

    op.create_table(
        "place_organization",
        sa.Column("name", sa.String(), nullable=False),
        sa.Column("category", sa.String(), nullable=False),
        sa.Column("licence_no", sa.String(), nullable=True),
        sa.Column("contact_name", sa.String(), nullable=True),
        sa.Column("contact_phone", sa.String(), nullable=True),
        sa.Column("house_id", sa.Integer(), nullable=False),
        sa.Column("division", sa.String(), nullable=False),
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("created_at", zhian.core.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("updated_at", zhian.core.db.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["division"],
            ["place_division.adcode"],
            name=op.f("fk_place_organization_division_place_division"),
        ),
        sa.ForeignKeyConstraint(
            ["house_id"],
            ["place_house.id"],
            name=op.f("fk_place_organization_house_id_place_house"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_place_organization")),
    )
    with op.batch_alter_table("place_organization", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_place_organization_category"), ["category"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_place_organization_division"), ["division"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_place_organization_house_id"), ["house_id"], unique=False
        )

    op.create_table(
        "place_room",
        sa.Column("building_id", sa.Integer(), nullable=False),
        sa.Column("unit", sa.String(), nullable=False),
        sa.Column("number", sa.String(), nullable=False),
        sa.Column("division", sa.String(), nullable=False),
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("created_at", zhian.core.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("updated_at", zhian.core.db.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["building_id"],
            ["place_building.id"],
            name=op.f("fk_place_room_building_id_place_building"),
        ),
        sa.ForeignKeyConstraint(
            ["division"],
            ["place_division.adcode"],
            name=op.f("fk_place_room_division_place_division"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_place_room")),
        sa.UniqueConstraint(
            "building_id", "unit", "number", name=op.f("uq_place_room_building_id_unit_number")
        ),
    )
    with op.batch_alter_table("place_room", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_place_room_division"), ["division"], unique=False)
        batch_op.create_index("ix_place_room_updated_at", ["updated_at"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("place_room", schema=None) as batch_op:
        batch_op.drop_index("ix_place_room_updated_at")
        batch_op.drop_index(batch_op.f("ix_place_room_division"))

    op.drop_table("place_room")
    with op.batch_alter_table("place_organization", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_place_organization_house_id"))
        batch_op.drop_index(batch_op.f("ix_place_organization_division"))
        batch_op.drop_index(batch_op.f("ix_place_organization_category"))

    op.drop_table("place_organization")
    with op.batch_alter_table("place_building", schema=None) as batch_op:
        batch_op.drop_index("ix_place_building_updated_at")
        batch_op.drop_index(batch_op.f("ix_place_building_division"))

    op.drop_table("place_building")
    with op.batch_alter_table("place_house", schema=None) as batch_op:
        batch_op.drop_index("ix_place_house_updated_at")
        batch_op.drop_index(batch_op.f("ix_place_house_division"))

    op.drop_table("place_house")
    with op.batch_alter_table("place_road", schema=None) as batch_op:
        batch_op.drop_index("ix_place_road_updated_at")

    op.drop_table("place_road")

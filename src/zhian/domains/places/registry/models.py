"""Tables of the address registry: roads, house numbers (门牌), buildings, rooms, organizations.

Each row carries the division it lies in: a road its county; a house, building, room or
organization the deepest division known (community, else township, else county), so the
jurisdiction scope's prefix test covers them all.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Index, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from zhian.core.db import Base


class Road(Base):
    """A named road, street or lane of one county; ``serial`` numbers it in the address code."""

    __tablename__ = "place_road"
    __table_args__ = (
        UniqueConstraint("division", "name"),
        UniqueConstraint("division", "serial"),
        Index("ix_place_road_updated_at", "updated_at"),
    )

    name: Mapped[str] = mapped_column()
    division: Mapped[str] = mapped_column(ForeignKey("place_division.adcode"))
    serial: Mapped[int] = mapped_column()


class House(Base):
    """A house number (门牌) on a road: the standard address, with its WGS-84 position."""

    __tablename__ = "place_house"
    __table_args__ = (
        UniqueConstraint("road_id", "number", "suffix"),
        Index("ix_place_house_updated_at", "updated_at"),
    )

    road_id: Mapped[int] = mapped_column(ForeignKey("place_road.id"))
    number: Mapped[int] = mapped_column()
    # What follows the number on the plate (附1, 甲, A); empty for a plain number.
    suffix: Mapped[str] = mapped_column(default="")
    # Standard address code: county (6) + township (3) + road serial (4) + number (5) + suffix (2).
    code: Mapped[str] = mapped_column(unique=True)
    division: Mapped[str] = mapped_column(ForeignKey("place_division.adcode"), index=True)
    lon: Mapped[float] = mapped_column()
    lat: Mapped[float] = mapped_column()

    road: Mapped[Road] = relationship(lazy="raise")


class Building(Base):
    """A building (楼/栋/幢) at a house number."""

    __tablename__ = "place_building"
    __table_args__ = (
        UniqueConstraint("house_id", "number"),
        Index("ix_place_building_updated_at", "updated_at"),
    )

    house_id: Mapped[int] = mapped_column(ForeignKey("place_house.id"))
    number: Mapped[str] = mapped_column()
    division: Mapped[str] = mapped_column(ForeignKey("place_division.adcode"), index=True)
    lon: Mapped[float | None] = mapped_column()
    lat: Mapped[float | None] = mapped_column()


class Room(Base):
    """A room (室) of a building, in a unit (单元) or none (empty ``unit``)."""

    __tablename__ = "place_room"
    __table_args__ = (
        UniqueConstraint("building_id", "unit", "number"),
        Index("ix_place_room_updated_at", "updated_at"),
    )

    building_id: Mapped[int] = mapped_column(ForeignKey("place_building.id"))
    unit: Mapped[str] = mapped_column(default="")
    number: Mapped[str] = mapped_column()
    division: Mapped[str] = mapped_column(ForeignKey("place_division.adcode"), index=True)


class Organization(Base):
    """An organization at an address (实有单位), with its licence and responsible contact."""

    __tablename__ = "place_organization"

    name: Mapped[str] = mapped_column()
    category: Mapped[str] = mapped_column(index=True)
    licence_no: Mapped[str | None] = mapped_column()
    contact_name: Mapped[str | None] = mapped_column()
    contact_phone: Mapped[str | None] = mapped_column()
    house_id: Mapped[int] = mapped_column(ForeignKey("place_house.id"), index=True)
    division: Mapped[str] = mapped_column(ForeignKey("place_division.adcode"), index=True)

    house: Mapped[House] = relationship(lazy="raise")


class Verification(Base):
    """A field check of a house number: verified as recorded, corrected, or not found."""

    __tablename__ = "place_verification"

    house_id: Mapped[int] = mapped_column(ForeignKey("place_house.id"), index=True)
    outcome: Mapped[str] = mapped_column()
    verifier: Mapped[str] = mapped_column()
    verified_at: Mapped[datetime] = mapped_column()
    division: Mapped[str] = mapped_column(ForeignKey("place_division.adcode"), index=True)
    note: Mapped[str] = mapped_column(default="")

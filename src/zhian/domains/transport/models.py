"""Tables of the transport domain: carriers, monitored vehicles, their positions and alerts.

Only registered dangerous-goods vehicles and police units are monitored (DESIGN.md): a
position row always belongs to a provisioned vehicle, never to a person.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import BigInteger, ForeignKey, Index, Integer, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from zhian.core.db import Base

# Positions outgrow a 32-bit id within a year or two for a city's fleet; SQLite needs its
# plain INTEGER PRIMARY KEY (which is 64-bit there anyway).
BigId = BigInteger().with_variant(Integer(), "sqlite")


class Carrier(Base):
    """A licensed dangerous-goods road transport enterprise."""

    __tablename__ = "transport_carrier"

    name: Mapped[str] = mapped_column()
    licence_no: Mapped[str] = mapped_column(unique=True)
    division: Mapped[str] = mapped_column(ForeignKey("place_division.adcode"), index=True)


class Vehicle(Base):
    """A monitored vehicle and the JT/T 808 terminal fitted to it."""

    __tablename__ = "transport_vehicle"
    __table_args__ = (UniqueConstraint("plate", "plate_color"),)

    plate: Mapped[str] = mapped_column()
    plate_color: Mapped[int] = mapped_column()
    # Canonical terminal number: the BCD digits without leading zeros (gateway terminal_key).
    terminal_phone: Mapped[str] = mapped_column(unique=True)
    division: Mapped[str] = mapped_column(ForeignKey("place_division.adcode"), index=True)
    carrier_id: Mapped[int | None] = mapped_column(ForeignKey("transport_carrier.id"), index=True)
    # Permitted GB 6944 classes, comma-separated in canonical order ("2.1,3"); empty for police.
    hazard_classes: Mapped[str] = mapped_column(default="")
    body_type: Mapped[str | None] = mapped_column()
    is_police_unit: Mapped[bool] = mapped_column(default=False)
    # The terminal's auth code (0x8100), kept only as a SHA-256 digest.
    auth_code_hash: Mapped[str | None] = mapped_column()
    registered_at: Mapped[datetime | None] = mapped_column()
    # The newest fix the alert rules have seen: older fixes (blind-area batches) are stored
    # for playback but do not move episodes back in time.
    last_position_at: Mapped[datetime | None] = mapped_column()
    last_lon: Mapped[float | None] = mapped_column()
    last_lat: Mapped[float | None] = mapped_column()
    # Motion state of the fatigue and stop rules (motion_rules.Motion): the current stretch
    # of continuous driving and the current halt. Written with every fix: on PostgreSQL the
    # table keeps room on its pages for those updates (fillfactor, migration 0024).
    stint_started_at: Mapped[datetime | None] = mapped_column()
    halt_since: Mapped[datetime | None] = mapped_column()
    halt_lon: Mapped[float | None] = mapped_column()
    halt_lat: Mapped[float | None] = mapped_column()

    carrier: Mapped[Carrier | None] = relationship(lazy="raise")


class Position(Base):
    """One GNSS fix of a vehicle, WGS-84, as its terminal reported it."""

    __tablename__ = "transport_position"
    __table_args__ = (
        # A fix is stored once: its event id is unique for its vehicle and time. The index
        # also serves a vehicle's track by time. An index on the event id alone would be
        # written at a random place for every fix, over the whole retention period.
        UniqueConstraint("vehicle_id", "located_at", "event_id"),
        # The retention purge deletes the oldest fixes first, across all vehicles.
        Index("ix_transport_position_located_at", "located_at"),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    vehicle_id: Mapped[int] = mapped_column(ForeignKey("transport_vehicle.id"))
    located_at: Mapped[datetime] = mapped_column()
    lon: Mapped[float] = mapped_column()
    lat: Mapped[float] = mapped_column()
    speed_kmh: Mapped[float] = mapped_column()
    heading: Mapped[int] = mapped_column()
    altitude_m: Mapped[int] = mapped_column()
    # JT/T 808 alarm and status words are u32: bit 31 does not fit a signed 32-bit column.
    alarm: Mapped[int] = mapped_column(BigInteger)
    status: Mapped[int] = mapped_column(BigInteger)
    # The bus event id: a redelivered or resent fix is stored once (the unique index above).
    event_id: Mapped[str] = mapped_column()


class Alert(Base):
    """One episode of a monitoring rule on one vehicle, and its handling.

    ``active`` says whether the episode is still going on (the button still pressed, the
    vehicle still too fast); ``status`` whether a person still has to handle it. The two are
    independent: an alert may be resolved while its episode goes on, and stays open after
    the episode ended until someone resolves it with a note.
    """

    __tablename__ = "transport_alert"
    __table_args__ = (Index("ix_transport_alert_vehicle_kind", "vehicle_id", "kind", "active"),)

    vehicle_id: Mapped[int] = mapped_column(ForeignKey("transport_vehicle.id"))
    kind: Mapped[str] = mapped_column()
    status: Mapped[str] = mapped_column(index=True)
    division: Mapped[str] = mapped_column(ForeignKey("place_division.adcode"), index=True)
    opened_at: Mapped[datetime] = mapped_column()
    last_seen_at: Mapped[datetime] = mapped_column()
    active: Mapped[bool] = mapped_column(default=True)
    ended_at: Mapped[datetime | None] = mapped_column()
    # Consecutive fixes back under the limit (overspeed hysteresis).
    calm_count: Mapped[int] = mapped_column(default=0)
    peak_speed_kmh: Mapped[float | None] = mapped_column()
    # The permit (corridor deviation) or the no-go zone the episode is about.
    permit_id: Mapped[int | None] = mapped_column(ForeignKey("transport_permit.id"))
    zone_id: Mapped[int | None] = mapped_column(ForeignKey("transport_no_go_zone.id"))
    # Where the episode began (the map shows it there).
    lon: Mapped[float | None] = mapped_column()
    lat: Mapped[float | None] = mapped_column()
    # Taken up by an operator (seen, being handled); still open until resolved.
    acknowledged_at: Mapped[datetime | None] = mapped_column()
    acknowledged_by: Mapped[str | None] = mapped_column()
    resolved_at: Mapped[datetime | None] = mapped_column()
    resolved_by: Mapped[str | None] = mapped_column()
    note: Mapped[str | None] = mapped_column(Text)
    # For an alarm the terminal latches (emergency): what became of the platform's last
    # confirmation to it (0x8203), so that the resolve sends one only if none got through.
    terminal_confirmation: Mapped[str | None] = mapped_column()

    vehicle: Mapped[Vehicle] = relationship(lazy="raise")


class Permit(Base):
    """A dangerous-goods transport permit: one trip of one vehicle along a route corridor.

    The corridor is the centreline buffered by ``corridor_width_m`` on EACH side: a vehicle
    is inside while it is at most that many metres from the line (the band is twice as wide).
    ``outside_since`` and ``inside_count`` keep the deviation episode between fixes.
    """

    __tablename__ = "transport_permit"
    __table_args__ = (Index("ix_transport_permit_vehicle_status", "vehicle_id", "status"),)

    vehicle_id: Mapped[int] = mapped_column(ForeignKey("transport_vehicle.id"))
    un_number: Mapped[str] = mapped_column()
    hazard_class: Mapped[str] = mapped_column()
    quantity: Mapped[float] = mapped_column()
    unit: Mapped[str] = mapped_column()
    origin: Mapped[str] = mapped_column()
    destination: Mapped[str] = mapped_column()
    valid_from: Mapped[datetime] = mapped_column()
    valid_until: Mapped[datetime] = mapped_column()
    # GeoJSON LineString, WGS-84 [lon, lat] pairs, as JSON text.
    corridor: Mapped[str] = mapped_column(Text)
    corridor_width_m: Mapped[float] = mapped_column()
    status: Mapped[str] = mapped_column(index=True)
    division: Mapped[str] = mapped_column(ForeignKey("place_division.adcode"), index=True)
    hazmat_shipment_ref: Mapped[str | None] = mapped_column()
    # JSON lists of {"name", "lon", "lat"}: named points the route passes, and the places
    # where the vehicle may halt (rest areas, the loading bay) without an unscheduled stop.
    waypoints: Mapped[str] = mapped_column(Text, default="[]")
    approved_stops: Mapped[str] = mapped_column(Text, default="[]")
    closed_at: Mapped[datetime | None] = mapped_column()
    outside_since: Mapped[datetime | None] = mapped_column()
    inside_count: Mapped[int] = mapped_column(default=0)

    vehicle: Mapped[Vehicle] = relationship(lazy="raise")


class NoGoZone(Base):
    """An area dangerous-goods vehicles must not enter (at its restricted hours, if any)."""

    __tablename__ = "transport_no_go_zone"

    name: Mapped[str] = mapped_column()
    kind: Mapped[str] = mapped_column()
    # GeoJSON Polygon, WGS-84, as JSON text.
    area: Mapped[str] = mapped_column(Text)
    # "HH:MM-HH:MM" in Asia/Shanghai (may wrap midnight); None: restricted at all hours.
    restricted_hours: Mapped[str | None] = mapped_column()
    division: Mapped[str] = mapped_column(ForeignKey("place_division.adcode"), index=True)


class Expressway(Base):
    """A stretch of expressway: where the higher dangerous-goods speed limit applies.

    The band is the centreline buffered by ``width_m`` on each side (carriageways, ramps and
    GNSS error); a fix inside any band is on an expressway, anywhere else on an ordinary road.
    """

    __tablename__ = "transport_expressway"

    name: Mapped[str] = mapped_column()
    # The national or provincial route code, e.g. G30, G5, S107.
    code: Mapped[str] = mapped_column()
    # GeoJSON LineString (centreline) and Polygon (the band), WGS-84, as JSON text.
    centreline: Mapped[str] = mapped_column(Text)
    width_m: Mapped[float] = mapped_column()
    area: Mapped[str] = mapped_column(Text)
    division: Mapped[str] = mapped_column(ForeignKey("place_division.adcode"), index=True)

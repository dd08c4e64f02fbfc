"""Tables of the incidents domain: incidents, police units and their status changes, the
board's alerts, patrol zones and duty levels, and premise hazards added by hand.

Units are police units (DESIGN.md): their positions are the only ones kept here. A caller's
phone is stored for call-back, masked in every list and audited when shown.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Index, Text, UniqueConstraint, text
from sqlalchemy.orm import Mapped, mapped_column

from zhian.core.db import Base

# Incidents still being handled; the board reads them through a partial index on this
# predicate, which its query repeats word for word (migration 0015 too).
OPEN_INCIDENT = "status IN ('received', 'dispatched', 'en_route', 'on_scene')"


class Incident(Base):
    """One call for police service (接警) and its handling timers."""

    __tablename__ = "incident_incident"
    __table_args__ = (
        Index("ix_incident_incident_type_received", "type", "received_at"),
        Index(
            "ix_incident_incident_open",
            "id",
            sqlite_where=text(OPEN_INCIDENT),
            postgresql_where=text(OPEN_INCIDENT),
        ),
    )

    type: Mapped[str] = mapped_column()
    priority: Mapped[int] = mapped_column()
    status: Mapped[str] = mapped_column(index=True)
    division: Mapped[str] = mapped_column(ForeignKey("place_division.adcode"), index=True)
    lon: Mapped[float] = mapped_column()
    lat: Mapped[float] = mapped_column()
    location_text: Mapped[str | None] = mapped_column()
    # How the location was found: a geocoder match level, or "point" for given coordinates.
    location_level: Mapped[str | None] = mapped_column()
    # The standard address (门牌) the geocoder resolved the call to, when it got that far.
    address_id: Mapped[int | None] = mapped_column(ForeignKey("place_house.id"))
    narrative: Mapped[str | None] = mapped_column(Text)
    caller_phone: Mapped[str | None] = mapped_column()
    received_at: Mapped[datetime] = mapped_column()
    dispatched_at: Mapped[datetime | None] = mapped_column()
    arrived_at: Mapped[datetime | None] = mapped_column()
    cleared_at: Mapped[datetime | None] = mapped_column()
    cancelled_at: Mapped[datetime | None] = mapped_column()


class Unit(Base):
    """A police patrol unit: a car, a motorcycle, a foot patrol or community police."""

    __tablename__ = "incident_unit"
    # The dispatch unit index's change stamp reads max(updated_at) on every recommendation.
    __table_args__ = (Index("ix_incident_unit_updated_at", "updated_at"),)

    callsign: Mapped[str] = mapped_column(unique=True)
    kind: Mapped[str] = mapped_column()
    crew_size: Mapped[int] = mapped_column(default=2)
    # Capabilities, comma-separated and sorted ("first_aid,k9"); empty for none.
    capabilities: Mapped[str] = mapped_column(default="")
    home_station: Mapped[str | None] = mapped_column()
    division: Mapped[str] = mapped_column(ForeignKey("place_division.adcode"), index=True)
    lon: Mapped[float | None] = mapped_column()
    lat: Mapped[float | None] = mapped_column()
    position_at: Mapped[datetime | None] = mapped_column()
    # The JT/T 808 terminal in the unit's car (canonical digits), whose fixes move the unit.
    terminal_phone: Mapped[str | None] = mapped_column(unique=True)
    status: Mapped[str] = mapped_column(index=True)
    status_at: Mapped[datetime] = mapped_column()
    # The incident the unit is committed to, while it is.
    incident_id: Mapped[int | None] = mapped_column(ForeignKey("incident_incident.id"))


class UnitStatusChange(Base):
    """One timestamped change of a unit's status (and the incident it concerned)."""

    __tablename__ = "incident_unit_status_change"
    __table_args__ = (Index("ix_incident_unit_status_change_unit", "unit_id", "changed_at"),)

    unit_id: Mapped[int] = mapped_column(ForeignKey("incident_unit.id"))
    from_status: Mapped[str | None] = mapped_column()
    to_status: Mapped[str] = mapped_column()
    changed_at: Mapped[datetime] = mapped_column()
    incident_id: Mapped[int | None] = mapped_column(ForeignKey("incident_incident.id"))
    changed_by: Mapped[str] = mapped_column()


class Alert(Base):
    """An alert on the board: an incident overdue for dispatch, or a zone short of units.

    An overdue alert is raised once per incident (unique kind and incident); a zone alert is
    open while the zone is short and closed when it no longer is.
    """

    __tablename__ = "incident_alert"
    __table_args__ = (
        UniqueConstraint("kind", "incident_id"),
        Index("ix_incident_alert_open", "closed_at", "division"),
        # At most one open alert per zone, whichever process raises it first.
        Index(
            "uq_incident_alert_open_zone",
            "zone_id",
            unique=True,
            sqlite_where=text("closed_at IS NULL AND zone_id IS NOT NULL"),
            postgresql_where=text("closed_at IS NULL AND zone_id IS NOT NULL"),
        ),
    )

    kind: Mapped[str] = mapped_column()
    division: Mapped[str] = mapped_column(ForeignKey("place_division.adcode"), index=True)
    incident_id: Mapped[int | None] = mapped_column(ForeignKey("incident_incident.id"))
    zone_id: Mapped[int | None] = mapped_column(ForeignKey("incident_patrol_zone.id"), index=True)
    message: Mapped[str] = mapped_column()
    opened_at: Mapped[datetime] = mapped_column()
    closed_at: Mapped[datetime | None] = mapped_column()


class PatrolZone(Base):
    """A patrol zone (巡区): a polygon within one division and the units it needs per level."""

    __tablename__ = "incident_patrol_zone"

    name: Mapped[str] = mapped_column(unique=True)
    division: Mapped[str] = mapped_column(ForeignKey("place_division.adcode"), index=True)
    # GeoJSON Polygon or MultiPolygon, WGS-84.
    geometry: Mapped[str] = mapped_column(Text)
    # Units that must be available inside the zone at duty level 1 (the highest) to 4.
    units_level_1: Mapped[int] = mapped_column()
    units_level_2: Mapped[int] = mapped_column()
    units_level_3: Mapped[int] = mapped_column()
    units_level_4: Mapped[int] = mapped_column()


class DutyLevelSwitch(Base):
    """A switch of the city or of one county to a duty level (等级勤务); the latest one that
    covers a county is the county's level."""

    __tablename__ = "incident_duty_level"
    __table_args__ = (Index("ix_incident_duty_level_division", "division", "switched_at"),)

    division: Mapped[str] = mapped_column(ForeignKey("place_division.adcode"))
    level: Mapped[int] = mapped_column()
    switched_at: Mapped[datetime] = mapped_column()
    switched_by: Mapped[str] = mapped_column()
    reason: Mapped[str | None] = mapped_column()


class PremiseHazard(Base):
    """A hazard a dispatcher flagged by hand on a standard address, until it expires."""

    __tablename__ = "incident_premise_hazard"
    __table_args__ = (Index("ix_incident_premise_hazard_address", "address_id", "expires_at"),)

    address_id: Mapped[int] = mapped_column(ForeignKey("place_house.id"))
    division: Mapped[str] = mapped_column(ForeignKey("place_division.adcode"), index=True)
    kind: Mapped[str] = mapped_column()
    note: Mapped[str | None] = mapped_column(Text)
    expires_at: Mapped[datetime] = mapped_column()
    revoked_at: Mapped[datetime | None] = mapped_column()
    created_by: Mapped[str] = mapped_column()

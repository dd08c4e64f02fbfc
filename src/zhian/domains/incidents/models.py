"""Tables of the incidents domain: incidents, police units and their status changes.

Units are police units (DESIGN.md): their positions are the only ones kept here. A caller's
phone is stored for call-back, masked in every list and audited when shown.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Index, Text
from sqlalchemy.orm import Mapped, mapped_column

from zhian.core.db import Base


class Incident(Base):
    """One call for police service (接警) and its handling timers."""

    __tablename__ = "incident_incident"
    __table_args__ = (Index("ix_incident_incident_type_received", "type", "received_at"),)

    type: Mapped[str] = mapped_column()
    priority: Mapped[int] = mapped_column()
    status: Mapped[str] = mapped_column(index=True)
    division: Mapped[str] = mapped_column(ForeignKey("place_division.adcode"), index=True)
    lon: Mapped[float] = mapped_column()
    lat: Mapped[float] = mapped_column()
    location_text: Mapped[str | None] = mapped_column()
    # How the location was found: a geocoder match level, or "point" for given coordinates.
    location_level: Mapped[str | None] = mapped_column()
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

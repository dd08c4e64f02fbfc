"""Builders shared by the incidents tests: actors, units and incidents near a county seat."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from zhian.core.scope import Actor
from zhian.domains.incidents import service, units, zones
from zhian.domains.incidents.choices import UnitStatus
from zhian.domains.incidents.models import Incident, PatrolZone, Unit
from zhian.domains.incidents.schemas import IncidentCreate, PatrolZoneCreate, UnitCreate
from zhian.domains.places.models import Division

HOME = "610502"  # 临渭区
OTHER = "610581"  # 韩城市
CITY = "610500"


def actor(role: str = "dispatcher", division: str = HOME, name: str = "disp") -> Actor:
    """An acting user without a users row (audit entries only keep the id)."""
    return Actor(user_id=1, username=name, role=role, division=division)


CITY_DISPATCHER = actor(division=CITY, name="city_disp")
CITY_COMMANDER = actor(role="commander", division=CITY, name="city_cmd")


def seat(session: Session, county: str = HOME) -> tuple[float, float]:
    """The county's seat, which lies inside its boundary."""
    lon, lat = session.execute(
        select(Division.seat_lon, Division.seat_lat).where(Division.adcode == county)
    ).one()
    return float(lon), float(lat)


def make_unit(
    session: Session,
    n: int,
    *,
    division: str = HOME,
    at: tuple[float, float] | None = None,
    status: UnitStatus | None = UnitStatus.AVAILABLE,
    **extra: Any,
) -> Unit:
    """A unit ``n`` registered by the city dispatcher, optionally put on duty."""
    data: dict[str, Any] = {"callsign": f"渭巡{n:03d}", "kind": "patrol_car", "division": division}
    if at is not None:
        data["lon"], data["lat"] = at
    data.update(extra)
    unit = units.create_unit(session, actor=CITY_DISPATCHER, data=UnitCreate.model_validate(data))
    if status is not None and status != UnitStatus.OFF_DUTY:
        units.set_status(
            session, actor=CITY_DISPATCHER, unit_id=unit.id, status=UnitStatus.AVAILABLE
        )
        if status != UnitStatus.AVAILABLE:
            units.set_status(session, actor=CITY_DISPATCHER, unit_id=unit.id, status=status)
    return unit


def make_incident(
    session: Session,
    *,
    division: str = HOME,
    offset: tuple[float, float] = (0.0, 0.0),
    by: Actor = CITY_DISPATCHER,
    **extra: Any,
) -> Incident:
    """An incident at the county seat (plus ``offset`` degrees)."""
    lon, lat = seat(session, division)
    data: dict[str, Any] = {"type": "dispute", "lon": lon + offset[0], "lat": lat + offset[1]}
    data.update(extra)
    incident, _, _ = service.create_incident(
        session, actor=by, data=IncidentCreate.model_validate(data)
    )
    return incident


def square(lon: float, lat: float, half: float = 0.01) -> dict[str, Any]:
    """A GeoJSON square of ``half`` degrees either side of a point."""
    ring = [
        [lon - half, lat - half],
        [lon + half, lat - half],
        [lon + half, lat + half],
        [lon - half, lat + half],
        [lon - half, lat - half],
    ]
    return {"type": "Polygon", "coordinates": [ring]}


def make_zone(
    session: Session,
    name: str,
    *,
    division: str = HOME,
    units_per_level: tuple[int, int, int, int] = (4, 3, 2, 1),
    half: float = 0.01,
    by: Actor = CITY_COMMANDER,
) -> PatrolZone:
    """A square patrol zone around the county seat."""
    data = PatrolZoneCreate(
        name=name,
        division=division,
        geometry=square(*seat(session, division), half),
        units_per_level=list(units_per_level),
    )
    return zones.create_zone(session, actor=by, data=data)

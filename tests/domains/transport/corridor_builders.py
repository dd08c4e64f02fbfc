"""Builders for the corridor tests: places given in metres around Weinan, permits, zones."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from shapely.geometry import Point
from sqlalchemy.orm import Session

from tests.domains.transport.builders import START, actor
from zhian.domains.transport import corridor as geo
from zhian.domains.transport import permits
from zhian.domains.transport.models import NoGoZone, Permit, Vehicle
from zhian.domains.transport.permit_schemas import PermitCreate, ZoneCreate

LENGTH_M = 9_000.0  # the test corridor runs east from the projection's origin


def at_m(x: float, y: float) -> tuple[float, float]:
    """WGS-84 (lon, lat) of the point ``x`` m east and ``y`` m north of the local origin."""
    point = geo.to_wgs84(Point(x, y))
    return float(point.x), float(point.y)


def line_geojson(*xs: float) -> dict[str, Any]:
    """A GeoJSON LineString along y = 0 through the given eastings (metres)."""
    return {"type": "LineString", "coordinates": [list(at_m(x, 0.0)) for x in xs]}


def square_geojson(cx: float, cy: float, half: float) -> dict[str, Any]:
    """A GeoJSON Polygon: the square of side ``2 * half`` m around (cx, cy)."""
    corners = [(-1, -1), (1, -1), (1, 1), (-1, 1), (-1, -1)]
    ring = [list(at_m(cx + dx * half, cy + dy * half)) for dx, dy in corners]
    return {"type": "Polygon", "coordinates": [ring]}


def permit_data(vehicle_id: int, **overrides: Any) -> PermitCreate:
    """A valid permit for class 3 along the test corridor, 50 m each side."""
    data: dict[str, Any] = {
        "vehicle_id": vehicle_id,
        "un_number": "1203",
        "hazard_class": "3",
        "quantity": 30.0,
        "unit": "t",
        "origin": "渭南市临渭区油库",
        "destination": "渭南市华州区加油站",
        "valid_from": (START - timedelta(hours=1)).isoformat(),
        "valid_until": (START + timedelta(days=1)).isoformat(),
        "corridor": line_geojson(0.0, LENGTH_M),
        "corridor_width_m": 50.0,
    }
    data.update(overrides)
    return PermitCreate.model_validate(data)


def issue(session: Session, vehicle: Vehicle, **overrides: Any) -> Permit:
    """Issue a permit for ``vehicle`` as the city's regulator."""
    city = actor(division="610500", name="city_reg")
    return permits.issue_permit(session, actor=city, data=permit_data(vehicle.id, **overrides))


def zone(session: Session, hours: str | None = None, division: str = "610502") -> NoGoZone:
    """A 200 m square no-go zone 3 km east and 2 km north of the origin."""
    data = ZoneCreate.model_validate(
        {
            "name": "渭南市实验小学",
            "kind": "school",
            "area": square_geojson(3_000.0, 2_000.0, 100.0),
            "restricted_hours": hours,
            "division": division,
        }
    )
    return permits.create_zone(session, actor=actor(division="610500"), data=data)

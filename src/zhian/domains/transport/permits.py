"""Transport permits with route corridors, and no-go zones: issuing, reading, and geometry.

A permit belongs to its vehicle's division, and only a user whose jurisdiction holds the
vehicle may issue or read it. No-go zones apply to every vehicle that enters them, whatever
its division. Prepared polygons are cached in memory, keyed by the row's id and
``updated_at``, so a changed permit or zone is rebuilt on its next use.
"""

from __future__ import annotations

import json
import time
from collections.abc import Collection
from datetime import datetime
from typing import Any

import numpy as np
from numpy.typing import NDArray
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from zhian.core import scope as scoping
from zhian.core.audit import service as audit
from zhian.core.db import one_of
from zhian.core.errors import InvalidInput
from zhian.core.identity.roles import require
from zhian.core.pagination import Page, paginate
from zhian.core.records import visible_or_404
from zhian.core.scope import Actor
from zhian.core.time import as_utc
from zhian.domains.transport import corridor as geo
from zhian.domains.transport.choices import PermitStatus
from zhian.domains.transport.corridor_rules import ZoneIndex
from zhian.domains.transport.models import Expressway, NoGoZone, Permit, Vehicle
from zhian.domains.transport.permit_schemas import (
    ExpresswayCreate,
    ExpresswayOut,
    NamedPoint,
    PermitCreate,
    PermitOut,
    ZoneCreate,
    ZoneOut,
)

_corridors: dict[int, tuple[datetime, Any, tuple[float, float], list[tuple[float, float]]]] = {}
AREAS_TTL_S = 5.0
_indexes: dict[str, tuple[tuple[Any, ...], ZoneIndex, float]] = {}


def _trip(permit: Permit) -> tuple[Any, tuple[float, float], list[tuple[float, float]]]:
    cached = _corridors.get(permit.id)
    if cached is not None and cached[0] == permit.updated_at:
        return cached[1], cached[2], cached[3]
    line = geo.load(permit.corridor)
    poly = geo.prepared(geo.buffer_corridor(line, permit.corridor_width_m))
    start, end = line.coords[0], line.coords[-1]
    stops = [(float(p["lon"]), float(p["lat"])) for p in json.loads(permit.approved_stops)]
    halts = [(start[0], start[1]), (end[0], end[1]), *stops]
    _corridors[permit.id] = (permit.updated_at, poly, (end[0], end[1]), halts)
    return poly, (end[0], end[1]), halts


def corridor_of(permit: Permit) -> tuple[Any, tuple[float, float]]:
    """The prepared WGS-84 corridor polygon of a permit and its destination (last vertex)."""
    poly, end, _ = _trip(permit)
    return poly, end


def allowed_halts(permit: Permit) -> list[tuple[float, float]]:
    """Where the permit's vehicle may halt: the route's two ends and its approved stops."""
    return _trip(permit)[2]


def forget_corridor(permit_id: int) -> None:
    """Drop a permit's cached corridor (it was closed or changed)."""
    _corridors.pop(permit_id, None)


def _points_json(points: list[NamedPoint]) -> str:
    return json.dumps([p.model_dump() for p in points], ensure_ascii=False)


def forget_areas() -> None:
    """Drop the cached zone and expressway indexes (this process changed one)."""
    _indexes.clear()


def _index(session: Session, model: type[NoGoZone] | type[Expressway]) -> ZoneIndex:
    """Every row's area in a prepared spatial index, rebuilt when the table changes.

    Whether it changed is asked at most every ``AREAS_TTL_S`` seconds, so a fix costs no
    query for it; a change made in this process drops the cache at once (``forget_areas``),
    one made by another process is seen within the TTL.
    """
    cached = _indexes.get(model.__tablename__)
    now = time.monotonic()
    if cached is not None and now - cached[2] < AREAS_TTL_S:
        return cached[1]
    key = tuple(
        session.execute(
            select(func.count(model.id), func.max(model.id), func.max(model.updated_at))
        ).one()
    )
    if cached is not None and cached[0] == key:
        _indexes[model.__tablename__] = (key, cached[1], now)
        return cached[1]
    rows: list[NoGoZone | Expressway] = list(session.scalars(select(model).order_by(model.id)))
    # Only no-go zones have restricted hours; an expressway's band is one at all hours.
    hours = {row.id: getattr(row, "restricted_hours", None) for row in rows}
    index = ZoneIndex({row.id: geo.load(row.area) for row in rows}, hours)
    _indexes[model.__tablename__] = (key, index, now)
    return index


def zones(session: Session) -> ZoneIndex:
    """Every no-go zone in a prepared spatial index (with its hours), rebuilt on change."""
    return _index(session, NoGoZone)


def on_expressways(
    session: Session, lon: NDArray[np.float64], lat: NDArray[np.float64]
) -> NDArray[np.bool_]:
    """For each point, whether it lies on a registered expressway (inside its band)."""
    index = _index(session, Expressway)
    fixes, _ = index.hits(lon, lat)
    out = np.zeros(len(lon), dtype=np.bool_)
    out[fixes] = True
    return out


_ACTIVE = (
    select(Permit)
    .where(
        one_of(Permit.vehicle_id, "ids"),
        Permit.status == PermitStatus.ACTIVE,
    )
    .order_by(Permit.id.desc())
)


def active_permits(session: Session, vehicle_ids: Collection[int]) -> dict[int, list[Permit]]:
    """The active permits of each vehicle, newest first, in one query (``permit_at`` picks)."""
    found: dict[int, list[Permit]] = {vid: [] for vid in vehicle_ids}
    if found:
        for permit in session.scalars(_ACTIVE, {"ids": sorted(found)}):
            found[permit.vehicle_id].append(permit)
    return found


def permit_at(candidates: list[Permit], at: datetime) -> Permit | None:
    """The newest of a vehicle's permits that is active and valid at ``at``.

    The status is checked again because an earlier fix of the same batch may have closed
    the permit (arrival).
    """
    for permit in candidates:
        if permit.status == PermitStatus.ACTIVE and permit.valid_from <= at < permit.valid_until:
            return permit
    return None


# --- permits --------------------------------------------------------------------------------


def issue_permit(session: Session, *, actor: Actor, data: PermitCreate) -> Permit:
    """Issue a permit for a vehicle of the actor's jurisdiction, its corridor checked."""
    require(actor, "transport.manage")
    vehicle = session.get(Vehicle, data.vehicle_id)
    if vehicle is None or not scoping.can_see(actor, vehicle.division):
        raise InvalidInput(f"车辆不存在：{data.vehicle_id}", field="vehicle_id")
    if vehicle.is_police_unit:
        raise InvalidInput("警用车辆不办理危险货物运输许可", field="vehicle_id")
    classes = [c for c in vehicle.hazard_classes.split(",") if c]
    if data.hazard_class not in classes:
        raise InvalidInput(f"该车辆未获准运输第 {data.hazard_class} 类", field="hazard_class")
    if as_utc(data.valid_from) >= as_utc(data.valid_until):
        raise InvalidInput("有效期起始须早于截止", field="valid_until")
    if (data.corridor is None) == (data.corridor_gpx is None):
        raise InvalidInput("须提供 corridor（GeoJSON）或 corridor_gpx 之一", field="corridor")
    if data.corridor is not None:
        line = geo.parse_geojson_line(data.corridor, "corridor")
    else:
        line = geo.parse_gpx_line(data.corridor_gpx or "", "corridor_gpx")
    geo.buffer_corridor(line, data.corridor_width_m)  # refuses a width it cannot buffer
    permit = Permit(
        vehicle_id=vehicle.id,
        un_number=data.un_number,
        hazard_class=data.hazard_class,
        quantity=data.quantity,
        unit=data.unit,
        origin=data.origin,
        destination=data.destination,
        valid_from=as_utc(data.valid_from),
        valid_until=as_utc(data.valid_until),
        corridor=geo.line_json(line),
        corridor_width_m=data.corridor_width_m,
        status=PermitStatus.ACTIVE,
        division=vehicle.division,
        hazmat_shipment_ref=data.hazmat_shipment_ref,
        waypoints=_points_json(data.waypoints),
        approved_stops=_points_json(data.approved_stops),
        inside_count=0,
    )
    session.add(permit)
    session.flush()
    audit.record(
        session,
        actor=actor,
        action="create",
        record_type="transport_permit",
        record_id=str(permit.id),
        division=permit.division,
        detail={"vehicle_id": vehicle.id, "un_number": permit.un_number},
    )
    return permit


def permit_out(permit: Permit) -> PermitOut:
    """The public shape of a permit."""
    return PermitOut(
        id=permit.id,
        vehicle_id=permit.vehicle_id,
        un_number=permit.un_number,
        hazard_class=permit.hazard_class,
        quantity=permit.quantity,
        unit=permit.unit,
        origin=permit.origin,
        destination=permit.destination,
        valid_from=permit.valid_from,
        valid_until=permit.valid_until,
        corridor=json.loads(permit.corridor),
        corridor_width_m=permit.corridor_width_m,
        status=permit.status,
        division=permit.division,
        hazmat_shipment_ref=permit.hazmat_shipment_ref,
        waypoints=[NamedPoint(**p) for p in json.loads(permit.waypoints)],
        approved_stops=[NamedPoint(**p) for p in json.loads(permit.approved_stops)],
        closed_at=permit.closed_at,
        created_at=permit.created_at,
    )


def list_permits(
    session: Session,
    *,
    actor: Actor,
    status: str | None = None,
    vehicle_id: int | None = None,
    page: int = 1,
    per_page: int = 50,
) -> Page[Permit]:
    """Permits of the actor's jurisdiction, newest first."""
    require(actor, "transport.read")
    stmt = select(Permit).where(scoping.scope_clause(actor, Permit.division))
    if status is not None:
        if status not in PermitStatus.__members__.values():
            raise InvalidInput(f"未知状态：{status}", field="status")
        stmt = stmt.where(Permit.status == status)
    if vehicle_id is not None:
        stmt = stmt.where(Permit.vehicle_id == vehicle_id)
    return paginate(session, stmt.order_by(Permit.id.desc()), page, per_page)


def get_permit(session: Session, *, actor: Actor, permit_id: int) -> Permit:
    """One permit of the actor's jurisdiction; another's is not found (and audited)."""
    require(actor, "transport.read")
    permit = session.get(Permit, permit_id)
    permit = visible_or_404(
        actor, permit, record_type="transport_permit", record_id=permit_id, label="运输许可"
    )
    return permit


# --- no-go zones and expressways: areas the rules test every fix against -------------------


def _check_area_division(session: Session, *, actor: Actor, division: str) -> None:
    require(actor, "transport.manage")
    if not scoping.can_see(actor, division):
        raise InvalidInput("只能在本人管辖范围内登记", field="division")
    from zhian.domains.places import service as places

    if places.find_division(session, division) is None:
        raise InvalidInput(f"行政区划代码不存在：{division}", field="division")


def _add_area(
    session: Session,
    actor: Actor,
    row: NoGoZone | Expressway,
    record_type: str,
    detail: dict[str, Any],
) -> None:
    session.add(row)
    session.flush()
    forget_areas()  # the rules see the new area from the next fix on
    audit.record(
        session,
        actor=actor,
        action="create",
        record_type=record_type,
        record_id=str(row.id),
        division=row.division,
        detail=detail,
    )


def create_zone(session: Session, *, actor: Actor, data: ZoneCreate) -> NoGoZone:
    """Draw a no-go zone inside the actor's jurisdiction."""
    _check_area_division(session, actor=actor, division=data.division)
    poly = geo.parse_geojson_polygon(data.area, "area")
    zone = NoGoZone(
        name=data.name,
        kind=data.kind.value,
        area=geo.polygon_json(poly),
        restricted_hours=data.restricted_hours,
        division=data.division,
    )
    _add_area(session, actor, zone, "transport_no_go_zone", {"name": zone.name, "kind": zone.kind})
    return zone


def zone_out(zone: NoGoZone) -> ZoneOut:
    """The public shape of a no-go zone."""
    return ZoneOut(
        id=zone.id,
        name=zone.name,
        kind=zone.kind,
        area=json.loads(zone.area),
        restricted_hours=zone.restricted_hours,
        division=zone.division,
        created_at=zone.created_at,
    )


def list_zones(
    session: Session, *, actor: Actor, page: int = 1, per_page: int = 50
) -> Page[NoGoZone]:
    """No-go zones of the actor's jurisdiction."""
    require(actor, "transport.read")
    stmt = select(NoGoZone).where(scoping.scope_clause(actor, NoGoZone.division))
    return paginate(session, stmt.order_by(NoGoZone.id), page, per_page)


def create_expressway(session: Session, *, actor: Actor, data: ExpresswayCreate) -> Expressway:
    """Register a stretch of expressway inside the actor's jurisdiction."""
    _check_area_division(session, actor=actor, division=data.division)
    line = geo.parse_geojson_line(data.centreline, "centreline")
    band = geo.buffer_corridor(line, data.width_m)
    road = Expressway(
        name=data.name,
        code=data.code,
        centreline=geo.line_json(line),
        width_m=data.width_m,
        area=geo.polygon_json(band),
        division=data.division,
    )
    _add_area(session, actor, road, "transport_expressway", {"name": road.name, "code": road.code})
    return road


def expressway_out(road: Expressway) -> ExpresswayOut:
    """The public shape of an expressway stretch."""
    return ExpresswayOut(
        id=road.id,
        name=road.name,
        code=road.code,
        centreline=json.loads(road.centreline),
        width_m=road.width_m,
        division=road.division,
        created_at=road.created_at,
    )


def list_expressways(
    session: Session, *, actor: Actor, page: int = 1, per_page: int = 50
) -> Page[Expressway]:
    """Expressway stretches of the actor's jurisdiction."""
    require(actor, "transport.read")
    stmt = select(Expressway).where(scoping.scope_clause(actor, Expressway.division))
    return paginate(session, stmt.order_by(Expressway.id), page, per_page)

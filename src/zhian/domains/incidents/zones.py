"""Patrol zones (巡区) and duty levels (等级勤务): how many units each zone needs on patrol.

A zone is a polygon inside one division with the units it needs available inside it at each
duty level (1 the highest readiness, 4 the everyday one). The city or a county is switched to
a level; a county's level is the latest switch on the county or on the city, whichever came
last (so a city-wide switch overrides earlier county switches, and a county can then go its
own way again). A county user switches only their county; the city's users switch the city
or any county. A zone is short when fewer available, positioned units are inside it than
its county's level requires; ``check_zones`` keeps one open alert per short zone.

Counting uses the dispatch unit index (``unit_index``) for the available units' positions and
each zone's prepared Shapely geometry (cached per zone version) with ``contains_xy``.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import numpy as np
import shapely
from shapely.geometry import shape
from shapely.geometry.base import BaseGeometry
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from zhian.core import scope as scoping
from zhian.core.audit import service as audit
from zhian.core.errors import Conflict, InvalidInput
from zhian.core.identity.roles import require
from zhian.core.pagination import Page, paginate
from zhian.core.records import visible_or_404
from zhian.core.scope import Actor
from zhian.core.time import utcnow
from zhian.domains.incidents import alerts, unit_index
from zhian.domains.incidents.choices import DEFAULT_DUTY_LEVEL, AlertKind
from zhian.domains.incidents.models import Alert, DutyLevelSwitch, PatrolZone
from zhian.domains.incidents.schemas import DutyLevelIn, PatrolZoneCreate

SWITCHABLE = frozenset({"city", "district", "county", "county_city"})
# Drawn zones may share an edge with the division's boundary: allow ~10 m of slack.
BOUNDARY_SLACK_DEG = 1e-4


@dataclass(frozen=True)
class ZoneStatus:
    """A zone, its county's level now, the units it needs and the units inside it."""

    zone: PatrolZone
    level: int
    required: int
    available: int

    @property
    def short(self) -> bool:
        """Whether fewer units are inside than the level requires."""
        return self.available < self.required


@dataclass(frozen=True)
class Level:
    """A division's duty level and the switch that set it (None: the default level)."""

    division: str
    level: int
    switch: DutyLevelSwitch | None


def units_needed(zone: PatrolZone, level: int) -> int:
    """The units ``zone`` needs at duty ``level``."""
    return int(getattr(zone, f"units_level_{level}"))


def _geometry(data: dict[str, Any]) -> BaseGeometry:
    try:
        geom = shape(data)
    except (KeyError, TypeError, ValueError, AttributeError, shapely.errors.GEOSException):
        raise InvalidInput("巡区范围须为 GeoJSON 多边形", field="geometry") from None
    if geom.geom_type not in ("Polygon", "MultiPolygon") or geom.is_empty:
        raise InvalidInput("巡区范围须为 GeoJSON 多边形", field="geometry")
    if not geom.is_valid:
        raise InvalidInput(f"巡区多边形无效：{shapely.is_valid_reason(geom)}", field="geometry")
    return geom


def create_zone(session: Session, *, actor: Actor, data: PatrolZoneCreate) -> PatrolZone:
    """Draw a patrol zone inside a division of the actor's jurisdiction (audited)."""
    require(actor, "incidents.zones.manage")
    from zhian.domains.incidents.units import check_division
    from zhian.domains.places import service as places

    check_division(session, actor, data.division)
    geom = _geometry(data.geometry)
    division = places.find_division(session, data.division)
    if division is not None and division.boundary:
        boundary = shape(json.loads(division.boundary))
        if not boundary.buffer(BOUNDARY_SLACK_DEG).contains(geom):
            raise InvalidInput("巡区须位于所属行政区划之内", field="geometry")
    levels = data.units_per_level
    zone = PatrolZone(
        name=data.name,
        division=data.division,
        geometry=json.dumps(shapely.geometry.mapping(geom), ensure_ascii=False),
        units_level_1=levels[0],
        units_level_2=levels[1],
        units_level_3=levels[2],
        units_level_4=levels[3],
    )
    try:
        with session.begin_nested():
            session.add(zone)
            session.flush()
    except IntegrityError:
        raise Conflict(f"巡区名称已存在：{data.name}", field="name") from None
    audit.record(
        session,
        actor=actor,
        action="create",
        record_type="incident_patrol_zone",
        record_id=str(zone.id),
        division=zone.division,
        detail={"name": zone.name, "units_per_level": list(levels)},
    )
    return zone


def get_zone(session: Session, *, actor: Actor, zone_id: int) -> PatrolZone:
    """One zone of the actor's jurisdiction; another's is not found (audited)."""
    require(actor, "incidents.read")
    return visible_or_404(
        actor,
        session.get(PatrolZone, zone_id),
        record_type="incident_patrol_zone",
        record_id=zone_id,
        label="巡区",
    )


def list_zones(
    session: Session, *, actor: Actor, page: int = 1, per_page: int = 50
) -> Page[PatrolZone]:
    """Zones of the actor's jurisdiction, by name."""
    require(actor, "incidents.read")
    stmt = select(PatrolZone).where(scoping.scope_clause(actor, PatrolZone.division))
    return paginate(session, stmt.order_by(PatrolZone.name, PatrolZone.id), page, per_page)


def _county_of(session: Session, adcode: str) -> tuple[str, str | None]:
    """The county-level code a division belongs to, and that county's city."""
    from zhian.domains.places import service as places

    county = places.find_division(session, adcode[:6])
    if county is None:
        return adcode[:6], None
    if county.level == "city":
        return county.adcode, None
    return county.adcode, county.parent_adcode


def _latest(session: Session, codes: set[str]) -> dict[str, DutyLevelSwitch]:
    if not codes:
        return {}
    rows = session.scalars(
        select(DutyLevelSwitch)
        .where(DutyLevelSwitch.division.in_(sorted(codes)))
        .order_by(DutyLevelSwitch.switched_at, DutyLevelSwitch.id)
    )
    return {row.division: row for row in rows}  # the last of each division wins


def levels_of(session: Session, divisions: set[str]) -> dict[str, Level]:
    """The duty level now of each division's county (a city-level code: the city's)."""
    homes = {d: _county_of(session, d) for d in divisions}
    latest = _latest(session, {c for c, _ in homes.values()} | {p for _, p in homes.values() if p})
    out: dict[str, Level] = {}
    for division, (county, city) in homes.items():
        found = [s for s in (latest.get(county), latest.get(city or "")) if s is not None]
        switch = max(found, key=lambda s: (s.switched_at, s.id), default=None)
        out[division] = Level(division, switch.level if switch else DEFAULT_DUTY_LEVEL, switch)
    return out


def division_levels(session: Session, *, actor: Actor) -> list[Level]:
    """The level now of the city and of each county the actor may see, by code."""
    require(actor, "incidents.read")
    from zhian.domains.places.models import Division

    codes = session.scalars(
        select(Division.adcode)
        .where(
            Division.level.in_(sorted(SWITCHABLE)),
            scoping.scope_clause(actor, Division.adcode),
        )
        .order_by(Division.adcode)
    ).all()
    levels = levels_of(session, set(codes))
    return [levels[c] for c in codes]


def switch_level(session: Session, *, actor: Actor, data: DutyLevelIn) -> Level:
    """Switch the city or a county to a duty level: the actor's own jurisdiction only."""
    require(actor, "incidents.duty.switch")
    from zhian.domains.places import service as places

    division = places.find_division(session, data.division)
    if division is None or division.level not in SWITCHABLE:
        raise InvalidInput("只能对全市或区县切换勤务等级", field="division")
    if not scoping.can_see(actor, division.adcode):
        raise InvalidInput("只能切换本人管辖范围的勤务等级", field="division")
    switch = DutyLevelSwitch(
        division=division.adcode,
        level=data.level,
        switched_at=utcnow(),
        switched_by=actor.username,
        reason=data.reason,
    )
    session.add(switch)
    session.flush()
    audit.record(
        session,
        actor=actor,
        action="duty_level",
        record_type="incident_duty_level",
        record_id=str(switch.id),
        division=division.adcode,
        detail={"level": data.level, "reason": data.reason},
    )
    return levels_of(session, {division.adcode})[division.adcode]


_shapes: dict[tuple[int, datetime], BaseGeometry] = {}


def _prepared(zone: PatrolZone) -> BaseGeometry:
    key = (zone.id, zone.updated_at)
    geom = _shapes.get(key)
    if geom is None:
        geom = shape(json.loads(zone.geometry))
        shapely.prepare(geom)
        _shapes[key] = geom
    return geom


def status_of(session: Session, zones: list[PatrolZone]) -> list[ZoneStatus]:
    """How each zone stands now: its level, the units it needs and the available units in it."""
    if not zones:
        return []
    levels = levels_of(session, {z.division for z in zones})
    units = unit_index.index(session)
    lon, lat = units.lon[units.ready], units.lat[units.ready]
    out = []
    for zone in zones:
        level = levels[zone.division].level
        inside = int(np.count_nonzero(shapely.contains_xy(_prepared(zone), lon, lat)))
        out.append(ZoneStatus(zone, level, units_needed(zone, level), inside))
    return out


def check_zones(session: Session, *, now: datetime) -> tuple[list[Alert], list[Alert]]:
    """Open an alert for each newly short zone and close those of zones no longer short."""
    zones = list(session.scalars(select(PatrolZone).order_by(PatrolZone.id)))
    statuses = {s.zone.id: s for s in status_of(session, zones)}
    open_alerts = {
        a.zone_id: a
        for a in session.scalars(
            select(Alert).where(Alert.kind == AlertKind.ZONE_SHORT.value, Alert.closed_at.is_(None))
        )
    }
    opened = []
    for zone_id, st in statuses.items():
        if st.short and zone_id not in open_alerts:
            alert = Alert(
                kind=AlertKind.ZONE_SHORT.value,
                division=st.zone.division,
                zone_id=zone_id,
                message=(
                    f"{st.zone.name}：{st.level}级勤务需 {st.required} 组警力，"
                    f"现有 {st.available} 组"
                ),
                opened_at=now,
            )
            if alerts.open_alert(session, alert):
                opened.append(alert)
    recovered = [
        a for zid, a in open_alerts.items() if zid not in statuses or not statuses[zid].short
    ]
    alerts.close(session, recovered, now=now, why="staffed")
    return opened, recovered

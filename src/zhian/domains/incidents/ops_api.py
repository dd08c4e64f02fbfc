"""JSON routes of incident operations: board alerts, patrol zones, duty levels, hazards."""

from __future__ import annotations

import json
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query
from sqlalchemy.orm import Session

from zhian.core.identity.roles import require
from zhian.core.scope import Actor
from zhian.domains.incidents import alerts, hazards, zones
from zhian.domains.incidents.models import PatrolZone
from zhian.domains.incidents.schemas import (
    AlertOut,
    AlertPage,
    DutyLevelIn,
    DutyLevelOut,
    HazardCreate,
    HazardOut,
    Lat,
    Lon,
    PatrolZoneCreate,
    PatrolZoneOut,
    PatrolZonePage,
    PremiseHazardOut,
    PremiseHazardPage,
)
from zhian.web.deps import api_actor, db

router = APIRouter(prefix="/api/v1", tags=["incidents"])

ActorDep = Annotated[Actor, Depends(api_actor)]
DbDep = Annotated[Session, Depends(db)]
PageQ = Annotated[int, Query(ge=1)]
PerPageQ = Annotated[int, Query(ge=1, le=500)]


@router.get("/incident-alerts", response_model=AlertPage)
def list_alerts(
    actor: ActorDep,
    session: DbDep,
    open_only: Annotated[bool, Query(alias="open")] = True,
    page: PageQ = 1,
    per_page: PerPageQ = 50,
) -> Any:
    """Board alerts of the caller's jurisdiction (the open ones unless ``open=false``)."""
    found = alerts.list_alerts(
        session, actor=actor, open_only=open_only, page=page, per_page=per_page
    )
    return AlertPage(
        items=[AlertOut.model_validate(a) for a in found.items],
        total=found.total,
        page=found.page,
        per_page=found.per_page,
    )


@router.get("/incident-alerts/{alert_id}", response_model=AlertOut)
def get_alert(actor: ActorDep, session: DbDep, alert_id: int) -> Any:
    """One alert; another jurisdiction's is a 404."""
    return alerts.get_alert(session, actor=actor, alert_id=alert_id)


def _zone_out(session: Session, items: list[PatrolZone]) -> list[PatrolZoneOut]:
    return [
        PatrolZoneOut(
            id=st.zone.id,
            name=st.zone.name,
            division=st.zone.division,
            geometry=json.loads(st.zone.geometry),
            units_per_level=[zones.units_needed(st.zone, level) for level in (1, 2, 3, 4)],
            level=st.level,
            required=st.required,
            available=st.available,
            short=st.short,
        )
        for st in zones.status_of(session, items)
    ]


@router.post("/patrol-zones", response_model=PatrolZoneOut, status_code=201)
def create_zone(actor: ActorDep, session: DbDep, data: PatrolZoneCreate) -> Any:
    """Draw a patrol zone (a GeoJSON polygon inside a division of the caller's)."""
    return _zone_out(session, [zones.create_zone(session, actor=actor, data=data)])[0]


@router.get("/patrol-zones", response_model=PatrolZonePage)
def list_zones(actor: ActorDep, session: DbDep, page: PageQ = 1, per_page: PerPageQ = 50) -> Any:
    """Zones of the caller's jurisdiction with their level, units needed and units inside."""
    found = zones.list_zones(session, actor=actor, page=page, per_page=per_page)
    return PatrolZonePage(
        items=_zone_out(session, list(found.items)),
        total=found.total,
        page=found.page,
        per_page=found.per_page,
    )


@router.get("/patrol-zones/{zone_id}", response_model=PatrolZoneOut)
def get_zone(actor: ActorDep, session: DbDep, zone_id: int) -> Any:
    """One zone and how it stands now; another jurisdiction's is a 404."""
    return _zone_out(session, [zones.get_zone(session, actor=actor, zone_id=zone_id)])[0]


def _level_out(level: zones.Level) -> DutyLevelOut:
    switch = level.switch
    return DutyLevelOut(
        division=level.division,
        level=level.level,
        set_on=switch.division if switch else None,
        switched_at=switch.switched_at if switch else None,
        switched_by=switch.switched_by if switch else None,
    )


@router.get("/duty-levels", response_model=list[DutyLevelOut])
def duty_levels(actor: ActorDep, session: DbDep) -> Any:
    """The duty level now of each county (and the city) in the caller's jurisdiction."""
    return [_level_out(level) for level in zones.division_levels(session, actor=actor)]


@router.post("/duty-levels", response_model=DutyLevelOut, status_code=201)
def switch_level(actor: ActorDep, session: DbDep, data: DutyLevelIn) -> Any:
    """Switch the city or a county to a duty level (audited; one's own jurisdiction only)."""
    return _level_out(zones.switch_level(session, actor=actor, data=data))


@router.get("/hazards", response_model=list[HazardOut])
def hazards_here(
    actor: ActorDep,
    session: DbDep,
    lon: Lon,
    lat: Lat,
    address_id: int | None = None,
) -> Any:
    """Hazard flags at a location, from every registered provider (for the call-taker)."""
    require(actor, "incidents.intake")
    return [
        HazardOut(
            kind=f.kind,
            label=f.label,
            source=f.source,
            detail=f.detail,
            address_id=f.address_id,
            expires_at=f.expires_at,
        )
        for f in hazards.hazards_at(session, address_id=address_id, lon=lon, lat=lat)
    ]


@router.post("/premise-hazards", response_model=PremiseHazardOut, status_code=201)
def create_hazard(actor: ActorDep, session: DbDep, data: HazardCreate) -> Any:
    """Flag a hazard on a standard address until it expires (audited)."""
    return hazards.create_hazard(session, actor=actor, data=data)


@router.get("/premise-hazards", response_model=PremiseHazardPage)
def list_hazards(
    actor: ActorDep,
    session: DbDep,
    address_id: int | None = None,
    active: bool = True,
    page: PageQ = 1,
    per_page: PerPageQ = 50,
) -> Any:
    """Hand-flagged hazards of the caller's jurisdiction (the active ones by default)."""
    found = hazards.list_hazards(
        session,
        actor=actor,
        address_id=address_id,
        active_only=active,
        page=page,
        per_page=per_page,
    )
    return PremiseHazardPage(
        items=[PremiseHazardOut.model_validate(h) for h in found.items],
        total=found.total,
        page=found.page,
        per_page=found.per_page,
    )


@router.get("/premise-hazards/{hazard_id}", response_model=PremiseHazardOut)
def get_hazard(actor: ActorDep, session: DbDep, hazard_id: int) -> Any:
    """One hand-flagged hazard; another jurisdiction's is a 404."""
    return hazards.get_hazard(session, actor=actor, hazard_id=hazard_id)


@router.delete("/premise-hazards/{hazard_id}", response_model=PremiseHazardOut)
def revoke_hazard(actor: ActorDep, session: DbDep, hazard_id: int) -> Any:
    """End a hand-flagged hazard before its expiry (audited)."""
    return hazards.revoke_hazard(session, actor=actor, hazard_id=hazard_id)

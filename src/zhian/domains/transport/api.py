"""JSON routes of the transport domain: carriers, vehicles, tracks, alerts, permits, zones."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query, Request, Response
from sqlalchemy.orm import Session

from zhian.core.scope import Actor
from zhian.domains.transport import alarm_confirm, live, permits, playback, service, tracking
from zhian.domains.transport.choices import AlertKind, AlertStatus, PermitStatus
from zhian.domains.transport.permit_schemas import (
    ExpresswayCreate,
    ExpresswayOut,
    ExpresswayPage,
    PermitCreate,
    PermitOut,
    PermitPage,
    ZoneCreate,
    ZoneOut,
    ZonePage,
)
from zhian.domains.transport.schemas import (
    AlertPage,
    AlertResolve,
    AlertResolved,
    CarrierCreate,
    CarrierOut,
    CarrierPage,
    PositionOut,
    VehicleCreate,
    VehicleOut,
    VehiclePage,
)
from zhian.domains.transport.track_schemas import TrackOut
from zhian.web.deps import api_actor, commit_now, db

router = APIRouter(prefix="/api/v1/transport", tags=["transport"])

ActorDep = Annotated[Actor, Depends(api_actor)]
DbDep = Annotated[Session, Depends(db)]
PageQ = Annotated[int, Query(ge=1)]
PerPageQ = Annotated[int, Query(ge=1, le=500)]
TRUNCATED_HEADER = "X-Zhian-Truncated"
MaxPointsQ = Annotated[
    int,
    Query(
        ge=2,
        le=playback.MAX_POINTS,
        description="A longer track is thinned to about this many fixes (see stride)",
    ),
]


@router.post("/carriers", response_model=CarrierOut, status_code=201)
def create_carrier(actor: ActorDep, session: DbDep, data: CarrierCreate) -> Any:
    """Register a licensed carrier in the caller's jurisdiction."""
    return service.create_carrier(session, actor=actor, data=data)


@router.get("/carriers", response_model=CarrierPage)
def list_carriers(actor: ActorDep, session: DbDep, page: PageQ = 1, per_page: PerPageQ = 50) -> Any:
    """Carriers of the caller's jurisdiction."""
    return service.list_carriers(session, actor=actor, page=page, per_page=per_page)


@router.get("/carriers/{carrier_id}", response_model=CarrierOut)
def get_carrier(actor: ActorDep, session: DbDep, carrier_id: int) -> Any:
    """One carrier; another jurisdiction's is a 404."""
    return service.get_carrier(session, actor=actor, carrier_id=carrier_id)


@router.post("/vehicles", response_model=VehicleOut, status_code=201)
def provision_vehicle(actor: ActorDep, session: DbDep, data: VehicleCreate) -> Any:
    """Provision a vehicle and its terminal in the caller's jurisdiction."""
    return service.vehicle_out(service.provision_vehicle(session, actor=actor, data=data))


@router.get("/vehicles", response_model=VehiclePage)
def list_vehicles(
    actor: ActorDep,
    session: DbDep,
    page: PageQ = 1,
    per_page: PerPageQ = 50,
    plate: Annotated[str | None, Query(max_length=16)] = None,
    police: bool | None = None,
) -> Any:
    """Vehicles of the caller's jurisdiction, optionally by part of the plate."""
    found = service.list_vehicles(
        session, actor=actor, page=page, per_page=per_page, plate=plate, police=police
    )
    return VehiclePage(
        items=[service.vehicle_out(v) for v in found.items],
        total=found.total,
        page=found.page,
        per_page=found.per_page,
    )


@router.get("/vehicles/latest.geojson")
def latest_positions(actor: ActorDep, session: DbDep) -> dict[str, Any]:
    """The caller's vehicles at their newest fix, GeoJSON Points (kind "alarm" if alerted)."""
    return live.latest_geojson(session, actor=actor)


@router.get("/vehicles/{vehicle_id}", response_model=VehicleOut)
def get_vehicle(actor: ActorDep, session: DbDep, vehicle_id: int) -> Any:
    """One vehicle; another jurisdiction's is a 404."""
    return service.vehicle_out(service.get_vehicle(session, actor=actor, vehicle_id=vehicle_id))


@router.get("/vehicles/{vehicle_id}/positions", response_model=list[PositionOut])
def vehicle_positions(
    actor: ActorDep,
    session: DbDep,
    response: Response,
    vehicle_id: int,
    since: Annotated[datetime | None, Query(description="ISO-8601 with zone, inclusive")] = None,
    until: Annotated[datetime | None, Query(description="ISO-8601 with zone, exclusive")] = None,
    limit: Annotated[
        int,
        Query(ge=1, le=service.MAX_POSITIONS, description="At most this many fixes, oldest first"),
    ] = service.DEFAULT_POSITIONS,
) -> Any:
    """The vehicle's fixes in time order; ``X-Zhian-Truncated: true`` if ``limit`` cut it."""
    rows, more = service.track(
        session, actor=actor, vehicle_id=vehicle_id, since=since, until=until, limit=limit
    )
    response.headers[TRUNCATED_HEADER] = "true" if more else "false"
    return [PositionOut.model_validate(p) for p in rows]


@router.get("/vehicles/{vehicle_id}/track", response_model=TrackOut)
def vehicle_track(
    actor: ActorDep,
    session: DbDep,
    vehicle_id: int,
    since: Annotated[datetime, Query(description="ISO-8601 with zone, inclusive")],
    until: Annotated[datetime, Query(description="ISO-8601 with zone, exclusive")],
    max_points: MaxPointsQ = playback.DEFAULT_POINTS,
) -> Any:
    """Playback of a time range: the (thinned) track and the alerts of that time."""
    return playback.vehicle_track(
        session, actor=actor, vehicle_id=vehicle_id, since=since, until=until, max_points=max_points
    )


@router.get("/alerts", response_model=AlertPage)
def list_alerts(
    actor: ActorDep,
    session: DbDep,
    status: AlertStatus | None = None,
    kind: AlertKind | None = None,
    vehicle_id: int | None = None,
    page: PageQ = 1,
    per_page: PerPageQ = 50,
) -> Any:
    """Alerts of the caller's jurisdiction, newest first."""
    found = tracking.list_alerts(
        session,
        actor=actor,
        status=status,
        kind=kind,
        vehicle_id=vehicle_id,
        page=page,
        per_page=per_page,
    )
    return AlertPage(
        items=[tracking.alert_out(a) for a in found.items],
        total=found.total,
        page=found.page,
        per_page=found.per_page,
    )


def terminal_downlink(request: Request) -> alarm_confirm.TerminalDownlink | None:
    """The in-process JT/T 808 gateway, if this process runs one."""
    downlink: alarm_confirm.TerminalDownlink | None = getattr(
        request.app.state, "terminal_downlink", None
    )
    return downlink


@router.post("/alerts/{alert_id}/acknowledge", response_model=AlertResolved)
async def acknowledge_alert(
    actor: ActorDep,
    session: DbDep,
    alert_id: int,
    downlink: Annotated[alarm_confirm.TerminalDownlink | None, Depends(terminal_downlink)],
) -> Any:
    """Acknowledge an open alert: the caller has seen it and is handling it (it stays open).

    An emergency alert is confirmed to the vehicle's terminal (JT/T 808 0x8203), which then
    stops reporting the button, when it is connected to this process's gateway;
    ``terminal_confirmed`` says whether it acknowledged.
    """
    done = await alarm_confirm.acknowledge_and_confirm(
        session,
        actor=actor,
        alert_id=alert_id,
        downlink=downlink,
        commit=lambda: commit_now(session),
    )
    return _handled_out(done)


@router.post("/alerts/{alert_id}/resolve", response_model=AlertResolved)
async def resolve_alert(
    actor: ActorDep,
    session: DbDep,
    alert_id: int,
    data: AlertResolve,
    downlink: Annotated[alarm_confirm.TerminalDownlink | None, Depends(terminal_downlink)],
) -> Any:
    """Resolve an open alert with a note on how it was handled.

    An emergency alert whose confirmation has not reached the terminal yet is confirmed to
    it (JT/T 808 0x8203) when it is connected to this process's gateway;
    ``terminal_confirmed`` says whether it acknowledged.
    """
    done = await alarm_confirm.resolve_and_confirm(
        session,
        actor=actor,
        alert_id=alert_id,
        note=data.note,
        downlink=downlink,
        commit=lambda: commit_now(session),
    )
    return _handled_out(done)


def _handled_out(done: alarm_confirm.Handled) -> AlertResolved:
    return AlertResolved(
        **tracking.alert_out(done.alert).model_dump(),
        terminal_confirmed=done.terminal_confirmed,
    )


# --- permits and no-go zones ----------------------------------------------------------------


@router.post("/permits", response_model=PermitOut, status_code=201)
def issue_permit(actor: ActorDep, session: DbDep, data: PermitCreate) -> Any:
    """Issue a permit with its route corridor (GeoJSON LineString or GPX)."""
    return permits.permit_out(permits.issue_permit(session, actor=actor, data=data))


@router.get("/permits", response_model=PermitPage)
def list_permits(
    actor: ActorDep,
    session: DbDep,
    status: PermitStatus | None = None,
    vehicle_id: int | None = None,
    page: PageQ = 1,
    per_page: PerPageQ = 50,
) -> Any:
    """Permits of the caller's jurisdiction, newest first."""
    found = permits.list_permits(
        session, actor=actor, status=status, vehicle_id=vehicle_id, page=page, per_page=per_page
    )
    return PermitPage(
        items=[permits.permit_out(p) for p in found.items],
        total=found.total,
        page=found.page,
        per_page=found.per_page,
    )


@router.get("/permits/{permit_id}", response_model=PermitOut)
def get_permit(actor: ActorDep, session: DbDep, permit_id: int) -> Any:
    """One permit; another jurisdiction's is a 404."""
    return permits.permit_out(permits.get_permit(session, actor=actor, permit_id=permit_id))


@router.get("/permits/{permit_id}/track", response_model=TrackOut)
def permit_track(
    actor: ActorDep,
    session: DbDep,
    permit_id: int,
    max_points: MaxPointsQ = playback.DEFAULT_POINTS,
) -> Any:
    """Playback of a permit's trip: the (thinned) track, the corridor and the trip's alerts."""
    return playback.permit_track(session, actor=actor, permit_id=permit_id, max_points=max_points)


@router.post("/no-go-zones", response_model=ZoneOut, status_code=201)
def create_zone(actor: ActorDep, session: DbDep, data: ZoneCreate) -> Any:
    """Draw a no-go zone (GeoJSON Polygon, optional restricted hours)."""
    return permits.zone_out(permits.create_zone(session, actor=actor, data=data))


@router.get("/no-go-zones", response_model=ZonePage)
def list_zones(actor: ActorDep, session: DbDep, page: PageQ = 1, per_page: PerPageQ = 50) -> Any:
    """No-go zones of the caller's jurisdiction."""
    found = permits.list_zones(session, actor=actor, page=page, per_page=per_page)
    return ZonePage(
        items=[permits.zone_out(z) for z in found.items],
        total=found.total,
        page=found.page,
        per_page=found.per_page,
    )


@router.post("/expressways", response_model=ExpresswayOut, status_code=201)
def create_expressway(actor: ActorDep, session: DbDep, data: ExpresswayCreate) -> Any:
    """Register a stretch of expressway (its centreline and band width)."""
    return permits.expressway_out(permits.create_expressway(session, actor=actor, data=data))


@router.get("/expressways", response_model=ExpresswayPage)
def list_expressways(
    actor: ActorDep, session: DbDep, page: PageQ = 1, per_page: PerPageQ = 50
) -> Any:
    """Expressway stretches of the caller's jurisdiction."""
    found = permits.list_expressways(session, actor=actor, page=page, per_page=per_page)
    return ExpresswayPage(
        items=[permits.expressway_out(e) for e in found.items],
        total=found.total,
        page=found.page,
        per_page=found.per_page,
    )

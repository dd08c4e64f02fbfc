"""JSON routes of the incidents domain: intake, detail, lists, recommendations, units."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query
from sqlalchemy.orm import Session

from zhian.core.scope import Actor
from zhian.domains.incidents import service, units
from zhian.domains.incidents.choices import IncidentStatus, IncidentType, UnitStatus
from zhian.domains.incidents.schemas import (
    Assign,
    DuplicateCandidate,
    IncidentCreate,
    IncidentOut,
    IncidentPage,
    IncidentStatusIn,
    Recommendation,
    UnitCreate,
    UnitOut,
    UnitPage,
    UnitPosition,
    UnitStatusIn,
)
from zhian.web.deps import api_actor, db, read_only

router = APIRouter(prefix="/api/v1", tags=["incidents"])

ActorDep = Annotated[Actor, Depends(api_actor)]
DbDep = Annotated[Session, Depends(db)]
PageQ = Annotated[int, Query(ge=1)]
PerPageQ = Annotated[int, Query(ge=1, le=500)]
# Routes that only read run in a read-only transaction: on SQLite they do not queue for the
# write lock (a dispatcher's recommendations while the AVL feed writes positions).
READS = [Depends(read_only)]


@router.post("/incidents", response_model=IncidentOut, status_code=201)
def create_incident(actor: ActorDep, session: DbDep, data: IncidentCreate) -> Any:
    """Take a call; the answer offers geocoder candidates and possible duplicates."""
    incident, candidates, dups = service.create_incident(session, actor=actor, data=data)
    return service.incident_out(
        incident,
        candidates=candidates,
        duplicates=dups,
        hazard_flags=service.hazards_of(session, incident),
    )


@router.get("/incidents", response_model=IncidentPage, dependencies=READS)
def list_incidents(
    actor: ActorDep,
    session: DbDep,
    status: IncidentStatus | None = None,
    page: PageQ = 1,
    per_page: PerPageQ = 50,
) -> Any:
    """Incidents of the caller's jurisdiction, newest first, callers' phones masked."""
    found = service.list_incidents(
        session, actor=actor, status=status, page=page, per_page=per_page
    )
    return IncidentPage(
        items=[service.incident_out(i) for i in found.items],
        total=found.total,
        page=found.page,
        per_page=found.per_page,
    )


@router.get("/incidents/duplicates", response_model=list[DuplicateCandidate], dependencies=READS)
def duplicates(
    actor: ActorDep,
    session: DbDep,
    type: IncidentType,
    lon: Annotated[float, Query(ge=-180.0, le=180.0)],
    lat: Annotated[float, Query(ge=-90.0, le=90.0)],
) -> Any:
    """Before registering a call: visible incidents of the same type within 300 m and the last
    15 minutes, nearest first, to link to instead of registering the call twice."""
    found = service.duplicate_candidates(session, actor=actor, type=type, lon=lon, lat=lat)
    return [
        DuplicateCandidate(
            id=i.id,
            type=IncidentType(i.type),
            status=IncidentStatus(i.status),
            division=i.division,
            location_text=i.location_text,
            received_at=i.received_at,
            distance_m=round(d, 1),
            url=f"/incidents/{i.id}",
        )
        for i, d in found
    ]


@router.get("/incidents/{incident_id}", response_model=IncidentOut)
def get_incident(actor: ActorDep, session: DbDep, incident_id: int) -> Any:
    """One incident; another jurisdiction's is a 404."""
    incident, shown = service.get_incident(session, actor=actor, incident_id=incident_id)
    return service.incident_out(
        incident, show_caller=shown, hazard_flags=service.hazards_of(session, incident)
    )


@router.get(
    "/incidents/{incident_id}/recommendations",
    response_model=list[Recommendation],
    dependencies=READS,
)
def recommendations(
    actor: ActorDep,
    session: DbDep,
    incident_id: int,
    requires: Annotated[list[str] | None, Query(description="Required capabilities")] = None,
    limit: Annotated[int, Query(ge=1, le=100)] = 10,
) -> Any:
    """Available units, fastest first."""
    return service.recommend(
        session, actor=actor, incident_id=incident_id, requires=requires or (), limit=limit
    )


@router.post("/incidents/{incident_id}/assign", response_model=IncidentOut)
def assign(actor: ActorDep, session: DbDep, incident_id: int, data: Assign) -> Any:
    """Assign, add or (with ``replace``) reassign units; the answer carries the hazards."""
    incident = service.assign(
        session, actor=actor, incident_id=incident_id, unit_ids=data.units(), replace=data.replace
    )
    return service.incident_out(incident, hazard_flags=service.hazards_of(session, incident))


@router.post("/incidents/{incident_id}/status", response_model=IncidentOut)
def incident_status(
    actor: ActorDep, session: DbDep, incident_id: int, data: IncidentStatusIn
) -> Any:
    """Move the incident along its status machine (409 if refused)."""
    incident = service.set_incident_status(
        session, actor=actor, incident_id=incident_id, status=data.status
    )
    return service.incident_out(incident)


@router.post("/units", response_model=UnitOut, status_code=201)
def create_unit(actor: ActorDep, session: DbDep, data: UnitCreate) -> Any:
    """Register a police unit (off duty)."""
    return units.create_unit(session, actor=actor, data=data)


@router.get("/units", response_model=UnitPage, dependencies=READS)
def list_units(
    actor: ActorDep,
    session: DbDep,
    status: UnitStatus | None = None,
    page: PageQ = 1,
    per_page: PerPageQ = 50,
) -> Any:
    """Units of the caller's jurisdiction."""
    found = units.list_units(session, actor=actor, status=status, page=page, per_page=per_page)
    return UnitPage(
        items=[UnitOut.model_validate(u) for u in found.items],
        total=found.total,
        page=found.page,
        per_page=found.per_page,
    )


@router.get("/units/{unit_id}", response_model=UnitOut, dependencies=READS)
def get_unit(actor: ActorDep, session: DbDep, unit_id: int) -> Any:
    """One unit; another jurisdiction's is a 404."""
    return units.get_unit(session, actor=actor, unit_id=unit_id)


@router.put("/units/{unit_id}/position", response_model=UnitOut)
def move_unit(actor: ActorDep, session: DbDep, unit_id: int, data: UnitPosition) -> Any:
    """Set the unit's current position."""
    return units.move_unit(session, actor=actor, unit_id=unit_id, lon=data.lon, lat=data.lat)


@router.post("/units/{unit_id}/status", response_model=UnitOut)
def unit_status(actor: ActorDep, session: DbDep, unit_id: int, data: UnitStatusIn) -> Any:
    """Change the unit's status; an illegal transition is a 409."""
    return units.set_status(session, actor=actor, unit_id=unit_id, status=data.status)

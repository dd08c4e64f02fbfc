"""JSON routes of the firearms registry: guns, lots, duty issue and return, loss reports,
inspections, and the serial lookup checkpoints use."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query, Request
from sqlalchemy.orm import Session

from zhian.core.errors import NotFound
from zhian.core.scope import Actor
from zhian.domains.firearms import service
from zhian.domains.firearms.choices import GunType
from zhian.domains.firearms.schemas import (
    GunCreate,
    GunOut,
    GunPage,
    InspectionIn,
    InspectionOut,
    IssueIn,
    LossIn,
    LotCreate,
    LotOut,
    ReturnIn,
)
from zhian.web.deps import api_actor, db

router = APIRouter(prefix="/api/v1/firearms", tags=["firearms"])

ActorDep = Annotated[Actor, Depends(api_actor)]
DbDep = Annotated[Session, Depends(db)]
PageQ = Annotated[int, Query(ge=1)]
PerPageQ = Annotated[int, Query(ge=1, le=500)]


@router.get("/lookup", response_model=GunOut)
def lookup(
    request: Request,
    actor: ActorDep,
    session: DbDep,
    serial: Annotated[str, Query(min_length=1, max_length=32)],
) -> Any:
    """A gun by serial, city-wide, with its flag (``stolen``, ``lost``); audited."""
    try:
        return service.lookup(session, actor=actor, serial=serial)
    except NotFound:
        request.state.commit = True  # keep the audit entry of a lookup that found nothing
        raise


@router.post("/guns", response_model=GunOut, status_code=201)
def register_gun(actor: ActorDep, session: DbDep, data: GunCreate) -> Any:
    """Register a gun to a holder organization, into one of its armouries."""
    return service.register_gun(session, actor=actor, data=data)


@router.get("/guns", response_model=GunPage)
def list_guns(
    actor: ActorDep,
    session: DbDep,
    holder_id: int | None = None,
    gun_type: GunType | None = None,
    calibre: str | None = None,
    flagged: bool | None = None,
    page: PageQ = 1,
    per_page: PerPageQ = 50,
) -> Any:
    """Guns of the caller's jurisdiction by holder, type, calibre, or flagged."""
    found = service.list_guns(
        session,
        actor=actor,
        holder_id=holder_id,
        gun_type=gun_type,
        calibre=calibre,
        flagged=flagged,
        page=page,
        per_page=per_page,
    )
    return GunPage(
        items=[service.gun_out(session, g) for g in found.items],
        total=found.total,
        page=found.page,
        per_page=found.per_page,
    )


@router.get("/guns/{serial}", response_model=GunOut)
def get_gun(actor: ActorDep, session: DbDep, serial: str) -> Any:
    """One gun; another jurisdiction's is a 404."""
    return service.get_gun(session, actor=actor, serial=serial)


@router.post("/guns/{serial}/inspections", response_model=InspectionOut, status_code=201)
def add_inspection(actor: ActorDep, session: DbDep, serial: str, data: InspectionIn) -> Any:
    """Record an annual inspection of a gun."""
    return service.add_inspection(session, actor=actor, serial=serial, data=data)


@router.post("/ammunition", response_model=LotOut, status_code=201)
def register_lot(actor: ActorDep, session: DbDep, data: LotCreate) -> Any:
    """Register an ammunition lot to a holder organization, in rounds."""
    return service.register_lot(session, actor=actor, data=data)


@router.post("/issues", response_model=GunOut, status_code=201)
def issue_duty(actor: ActorDep, session: DbDep, data: IssueIn) -> Any:
    """Issue a duty gun and its rounds; overdue return raises an alert."""
    return service.issue_duty(session, actor=actor, data=data)


@router.post("/returns", response_model=GunOut, status_code=201)
def return_duty(actor: ActorDep, session: DbDep, data: ReturnIn) -> Any:
    """Return a duty gun; every issued round is returned, fired or reported lost."""
    return service.return_duty(session, actor=actor, data=data)


@router.post("/losses", response_model=GunOut, status_code=201)
def report_loss(actor: ActorDep, session: DbDep, data: LossIn) -> Any:
    """Report a gun stolen or lost: it is flagged at every lookup, and an alert opens."""
    return service.report_loss(session, actor=actor, data=data)

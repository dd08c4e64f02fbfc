"""JSON routes of the hazmat domain: enterprises, licences, sites, ledger events, stock."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query, Request
from sqlalchemy.orm import Session

from zhian.core.errors import Conflict, InvalidInput
from zhian.core.scope import Actor
from zhian.domains.hazmat import alerts, checkpoint, overview, service
from zhian.domains.hazmat.choices import AlertKind, AlertStatus
from zhian.domains.hazmat.schemas import (
    AlertOut,
    AlertPage,
    AlertResolve,
    ClassStockOut,
    CountIn,
    CountOut,
    EnterpriseCreate,
    EnterpriseOut,
    EnterprisePage,
    EntryOut,
    EventBatchIn,
    EventIn,
    LicenceCreate,
    LicenceOut,
    SiteCreate,
    SiteOut,
    StockOut,
)
from zhian.web.deps import api_actor, db, settings_of

router = APIRouter(prefix="/api/v1/hazmat", tags=["hazmat"])

ActorDep = Annotated[Actor, Depends(api_actor)]
DbDep = Annotated[Session, Depends(db)]
PageQ = Annotated[int, Query(ge=1)]
PerPageQ = Annotated[int, Query(ge=1, le=500)]


@router.post("/enterprises", response_model=EnterpriseOut, status_code=201)
def create_enterprise(actor: ActorDep, session: DbDep, data: EnterpriseCreate) -> Any:
    """Register an enterprise in the caller's jurisdiction."""
    return service.create_enterprise(session, actor=actor, data=data)


@router.get("/enterprises", response_model=EnterprisePage)
def list_enterprises(
    actor: ActorDep, session: DbDep, page: PageQ = 1, per_page: PerPageQ = 50
) -> Any:
    """Enterprises of the caller's jurisdiction."""
    return service.list_enterprises(session, actor=actor, page=page, per_page=per_page)


@router.get("/enterprises/{enterprise_id}", response_model=EnterpriseOut)
def get_enterprise(actor: ActorDep, session: DbDep, enterprise_id: int) -> Any:
    """One enterprise; another jurisdiction's is a 404."""
    return service.get_enterprise(session, actor=actor, enterprise_id=enterprise_id)


@router.post("/enterprises/{enterprise_id}/licences", response_model=LicenceOut, status_code=201)
def add_licence(actor: ActorDep, session: DbDep, enterprise_id: int, data: LicenceCreate) -> Any:
    """Record a licence of an enterprise."""
    return service.add_licence(session, actor=actor, enterprise_id=enterprise_id, data=data)


@router.post("/enterprises/{enterprise_id}/sites", response_model=SiteOut, status_code=201)
def add_site(actor: ActorDep, session: DbDep, enterprise_id: int, data: SiteCreate) -> Any:
    """Record a storage site of an enterprise."""
    return service.add_site(session, actor=actor, enterprise_id=enterprise_id, data=data)


@router.get("/enterprises/{enterprise_id}/stock", response_model=list[StockOut])
def enterprise_stock(actor: ActorDep, session: DbDep, enterprise_id: int) -> Any:
    """What an enterprise holds, by site and item."""
    return service.stock(session, actor=actor, enterprise_id=enterprise_id)


@router.get("/enterprises/{enterprise_id}/ledger/export")
def export_ledger(
    request: Request, actor: ActorDep, session: DbDep, enterprise_id: int
) -> dict[str, Any]:
    """The enterprise's ledger, head, inclusion proofs and signed checkpoints, for offline
    verification."""
    pinned = checkpoint.stored(settings_of(request))
    return service.export_ledger(
        session, actor=actor, enterprise_id=enterprise_id, checkpoints=pinned
    )


@router.get("/stock", response_model=list[StockOut])
def site_stock(actor: ActorDep, session: DbDep, site: int) -> Any:
    """What one storage site holds."""
    return service.stock(session, actor=actor, site_id=site)


@router.get("/stock/by-class", response_model=list[ClassStockOut])
def stock_by_class(
    actor: ActorDep, session: DbDep, site: int | None = None, enterprise: int | None = None
) -> Any:
    """What a site (with its capacity per class) or an enterprise holds, summed per class."""
    return overview.stock_by_class(session, actor=actor, enterprise_id=enterprise, site_id=site)


@router.get("/items/{code:path}/history", response_model=list[EntryOut])
def item_history(actor: ActorDep, session: DbDep, code: str) -> Any:
    """An item's custody events, oldest first."""
    return service.item_history(session, actor=actor, code=code)


@router.post("/events", response_model=EntryOut, status_code=201)
@router.post("/ledger", response_model=EntryOut, status_code=201)
def record_event(request: Request, actor: ActorDep, session: DbDep, data: EventIn) -> Any:
    """Record one custody event; a refused one is a 409 or 422 with the reason, audited."""
    try:
        return service.record_event(session, actor=actor, data=data)
    except (Conflict, InvalidInput) as exc:
        session.rollback()
        service.audit_refusal(session, actor=actor, data=data, error=exc)
        request.state.commit = True
        raise


@router.post("/ledger/batch", response_model=list[EntryOut], status_code=201)
def record_events(request: Request, actor: ActorDep, session: DbDep, data: EventBatchIn) -> Any:
    """Record up to 1,000 custody events in order, all or nothing; the first refused one
    refuses the batch with a 409 or 422 naming its index and field, audited."""
    try:
        return service.record_events(session, actor=actor, events=data.events)
    except (Conflict, InvalidInput) as exc:
        session.rollback()
        index = service.refused_index(exc)
        event = data.events[index if index is not None else 0]
        service.audit_refusal(session, actor=actor, data=event, error=exc, index=index)
        request.state.commit = True
        raise


@router.post("/sites/{site_id}/counts", response_model=CountOut, status_code=201)
def count_site(actor: ActorDep, session: DbDep, site_id: int, data: CountIn) -> Any:
    """Record a physical count at a site; any difference from the books opens an alert."""
    return alerts.count_site(session, actor=actor, site_id=site_id, data=data)


@router.get("/alerts", response_model=AlertPage)
def list_alerts(
    actor: ActorDep,
    session: DbDep,
    status: AlertStatus | None = None,
    kind: AlertKind | None = None,
    enterprise_id: int | None = None,
    page: PageQ = 1,
    per_page: PerPageQ = 50,
) -> Any:
    """Custody alerts of the caller's jurisdiction, newest first."""
    found = alerts.list_alerts(
        session,
        actor=actor,
        status=status,
        kind=kind,
        enterprise_id=enterprise_id,
        page=page,
        per_page=per_page,
    )
    return AlertPage(
        items=[alerts.alert_out(a) for a in found.items],
        total=found.total,
        page=found.page,
        per_page=found.per_page,
    )


@router.get("/alerts/{alert_id}", response_model=AlertOut)
def get_alert(actor: ActorDep, session: DbDep, alert_id: int) -> Any:
    """One alert; another jurisdiction's is a 404."""
    return alerts.alert_out(alerts.get_alert(session, actor=actor, alert_id=alert_id))


@router.post("/alerts/{alert_id}/resolve", response_model=AlertOut)
def resolve_alert(actor: ActorDep, session: DbDep, alert_id: int, data: AlertResolve) -> Any:
    """Resolve an open alert with a note on how it was handled."""
    return alerts.alert_out(
        alerts.resolve_alert(session, actor=actor, alert_id=alert_id, note=data.note)
    )

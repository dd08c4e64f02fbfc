"""Console pages of the hazmat system: open alerts and enterprises, an enterprise, a storage
site, an item's timeline. Every page reads through the jurisdiction scope: another county's
record is a 404 like a missing one (audited as denied)."""

from __future__ import annotations

from typing import Annotated
from urllib.parse import quote

from fastapi import APIRouter, Depends, Query, Request
from sqlalchemy import select
from sqlalchemy.orm import Session
from starlette.responses import RedirectResponse, Response

from zhian.core.errors import Conflict
from zhian.core.time import local, utcnow
from zhian.domains.hazmat import alerts, checkpoint, ledger, overview, service
from zhian.domains.hazmat.choices import (
    ALERT_KIND_LABELS,
    ENTERPRISE_KIND_LABELS,
    EVENT_LABELS,
    LICENCE_STATE_LABELS,
    AlertStatus,
)
from zhian.domains.hazmat.models import Enterprise
from zhian.web.deps import Identity, db, page_identity, settings_of
from zhian.web.templating import render

router = APIRouter(include_in_schema=False)

PageQ = Annotated[int, Query(ge=1, le=100_000)]
PER_PAGE = 50


@router.get("/hazmat")
def hazmat_page(
    request: Request,
    ident: Annotated[Identity, Depends(page_identity)],
    session: Annotated[Session, Depends(db)],
    page: PageQ = 1,
) -> Response:
    """Open custody alerts, newest first (count discrepancies, late deliveries and returns,
    loss and theft reports), the item search and the enterprises of the jurisdiction."""
    found = alerts.list_alerts(session, actor=ident.actor, status=AlertStatus.OPEN, per_page=200)
    rows = [alerts.alert_out(a) for a in found.items]
    ids = {r.enterprise_id for r in rows}
    names = dict(
        session.execute(select(Enterprise.id, Enterprise.name).where(Enterprise.id.in_(ids))).all()
    )
    enterprises = service.list_enterprises(session, actor=ident.actor, page=page, per_page=PER_PAGE)
    return render(
        request,
        "hazmat/index.html",
        rows=rows,
        total=found.total,
        names=names,
        kind_labels=ALERT_KIND_LABELS,
        enterprises=enterprises,
        page=enterprises,
        enterprise_kinds=ENTERPRISE_KIND_LABELS,
        active="hazmat",
    )


@router.get("/hazmat/items")
def item_search(
    ident: Annotated[Identity, Depends(page_identity)],
    code: Annotated[str, Query(max_length=64)] = "",
) -> Response:
    """The search box's target: the item's timeline (back to the page with no code)."""
    code = code.strip()
    if not code:
        return RedirectResponse("/hazmat", status_code=303)
    return RedirectResponse(f"/hazmat/items/{quote(code, safe='')}", status_code=303)


@router.get("/hazmat/items/{code:path}")
def item_page(
    request: Request,
    code: str,
    ident: Annotated[Identity, Depends(page_identity)],
    session: Annotated[Session, Depends(db)],
) -> Response:
    """An item's custody, oldest first: every event with its parties, place, quantity, actor,
    proof, chain position and inclusion proof; and where the item is now."""
    timeline = overview.item_timeline(session, actor=ident.actor, code=code)
    return render(
        request,
        "hazmat/item.html",
        timeline=timeline,
        item=timeline.item,
        event_labels=EVENT_LABELS,
        active="hazmat",
    )


@router.get("/hazmat/enterprises/{enterprise_id:int}")
def enterprise_page(
    request: Request,
    enterprise_id: int,
    ident: Annotated[Identity, Depends(page_identity)],
    session: Annotated[Session, Depends(db)],
    page: PageQ = 1,
) -> Response:
    """An enterprise: details, licences (expiring and expired marked), sites, stock by class,
    its ledger (paged, newest first), open alerts and the status of its chain."""
    enterprise = service.get_enterprise(session, actor=ident.actor, enterprise_id=enterprise_id)
    today = local(utcnow()).date()
    entries = overview.ledger_page(session, enterprise.id, page=page, per_page=PER_PAGE)
    open_alerts = alerts.list_alerts(
        session,
        actor=ident.actor,
        status=AlertStatus.OPEN,
        enterprise_id=enterprise.id,
        per_page=PER_PAGE,
    )
    status = _chain_status(request, session, enterprise)
    return render(
        request,
        "hazmat/enterprise.html",
        enterprise=enterprise,
        kind_label=ENTERPRISE_KIND_LABELS.get(enterprise.kind, (enterprise.kind, enterprise.kind)),
        licences=[
            (lic, ledger.amounts(lic.limits), overview.licence_state(lic, today))
            for lic in overview.licences(session, enterprise.id)
        ],
        licence_labels=LICENCE_STATE_LABELS,
        today=today,
        sites=overview.sites(session, enterprise.id),
        classes=overview.stock_by_class(session, actor=ident.actor, enterprise_id=enterprise.id),
        entries=entries,
        page=entries,
        parties=overview.names(
            session,
            [x for e, _ in entries.items for x in (e.from_enterprise_id, e.to_enterprise_id)],
        ),
        site_names=overview.site_names(session, [e.site_id for e, _ in entries.items]),
        alerts=[alerts.alert_out(a) for a in open_alerts.items],
        alerts_total=open_alerts.total,
        alert_labels=ALERT_KIND_LABELS,
        event_labels=EVENT_LABELS,
        chain=status,
        active="hazmat",
    )


def _chain_status(
    request: Request, session: Session, enterprise: Enterprise
) -> overview.ChainStatus:
    try:
        pinned = checkpoint.stored(settings_of(request))
    except Conflict as exc:
        return overview.broken_store(exc.message, overview.chain_status(session, enterprise))
    return overview.chain_status(session, enterprise, pinned)


@router.get("/hazmat/sites/{site_id:int}")
def site_page(
    request: Request,
    site_id: int,
    ident: Annotated[Identity, Depends(page_identity)],
    session: Annotated[Session, Depends(db)],
    page: PageQ = 1,
) -> Response:
    """A storage site: where it is, capacity against stock by class (over capacity marked),
    what it holds (paged), its counts and their discrepancy alerts."""
    site, enterprise = overview.get_site(session, actor=ident.actor, site_id=site_id)
    stock = overview.site_stock(session, site, page=page, per_page=PER_PAGE)
    return render(
        request,
        "hazmat/site.html",
        site=site,
        cameras=service.site_out(site).camera_ids,
        enterprise=enterprise,
        classes=overview.site_classes(session, site),
        stock=stock,
        page=stock,
        counts=overview.counts(session, site.id),
        discrepancies=[alerts.alert_out(a) for a in overview.site_discrepancies(session, site.id)],
        active="hazmat",
    )

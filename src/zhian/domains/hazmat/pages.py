"""Console page of the hazmat system: the open custody alerts of the user's jurisdiction."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Request
from sqlalchemy import select
from sqlalchemy.orm import Session
from starlette.responses import Response

from zhian.domains.hazmat import alerts
from zhian.domains.hazmat.choices import ALERT_KIND_LABELS, AlertStatus
from zhian.domains.hazmat.models import Enterprise
from zhian.web.deps import Identity, db, page_identity
from zhian.web.templating import render

router = APIRouter(include_in_schema=False)


@router.get("/hazmat")
def hazmat_page(
    request: Request,
    ident: Annotated[Identity, Depends(page_identity)],
    session: Annotated[Session, Depends(db)],
) -> Response:
    """Open custody alerts, newest first: count discrepancies, late deliveries and returns,
    loss and theft reports."""
    found = alerts.list_alerts(session, actor=ident.actor, status=AlertStatus.OPEN, per_page=200)
    rows = [alerts.alert_out(a) for a in found.items]
    ids = {r.enterprise_id for r in rows}
    names = dict(
        session.execute(select(Enterprise.id, Enterprise.name).where(Enterprise.id.in_(ids))).all()
    )
    return render(
        request,
        "hazmat/index.html",
        rows=rows,
        total=found.total,
        names=names,
        kind_labels=ALERT_KIND_LABELS,
        active="hazmat",
    )

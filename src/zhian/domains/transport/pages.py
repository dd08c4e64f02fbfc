"""Console page of the transport system: the live map and the vehicles with open alerts."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Request
from sqlalchemy.orm import Session
from starlette.responses import Response

from zhian.domains.transport import live
from zhian.domains.transport.choices import ALERT_KIND_LABELS
from zhian.web.deps import Identity, db, page_identity
from zhian.web.templating import render

router = APIRouter(include_in_schema=False)


@router.get("/transport")
def transport_page(
    request: Request,
    ident: Annotated[Identity, Depends(page_identity)],
    session: Annotated[Session, Depends(db)],
) -> Response:
    """The signed-in user's vehicles on the map and in a table, with their open alerts."""
    from zhian.domains.places import service as places

    rows = live.live_fleet(session, actor=ident.actor)
    names: dict[str, str] = {}
    for code in {row.vehicle.division for row in rows}:
        found = places.find_division(session, code)
        names[code] = found.name if found else code
    return render(
        request,
        "transport/index.html",
        rows=rows,
        alert_labels=ALERT_KIND_LABELS,
        division_names=names,
        active="transport",
    )

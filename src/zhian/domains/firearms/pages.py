"""Console page of the firearms system: the serial lookup a checkpoint officer uses."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Query, Request
from sqlalchemy.orm import Session
from starlette.responses import Response

from zhian.core.errors import NotFound
from zhian.domains.firearms import service
from zhian.domains.firearms.choices import GUN_TYPE_LABELS, HOLDER_KINDS
from zhian.domains.firearms.schemas import GunOut
from zhian.web.deps import Identity, db, page_identity
from zhian.web.templating import render

router = APIRouter(include_in_schema=False)


@router.get("/firearms")
def firearms_page(
    request: Request,
    ident: Annotated[Identity, Depends(page_identity)],
    session: Annotated[Session, Depends(db)],
    serial: Annotated[str, Query(max_length=32)] = "",
) -> Response:
    """Look a gun up by serial: its holder and whether it is reported stolen or lost."""
    gun: GunOut | None = None
    missing = False
    if serial.strip():
        try:
            gun = service.lookup(session, actor=ident.actor, serial=serial)
        except NotFound:
            missing = True
            request.state.commit = True  # keep the audit entry of the lookup
    return render(
        request,
        "firearms/index.html",
        serial=serial.strip(),
        gun=gun,
        missing=missing,
        gun_types=GUN_TYPE_LABELS,
        holder_kinds=HOLDER_KINDS,
        active="firearms",
    )

"""Routes of QR door plates: one address as SVG or PDF, a road's or community's as one PDF."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Query, Request
from sqlalchemy.orm import Session
from starlette.responses import Response

from zhian.core.scope import Actor
from zhian.domains.places.registry import plates
from zhian.web.deps import api_actor, db

router = APIRouter(prefix="/api/v1", tags=["addresses"])

ActorDep = Annotated[Actor, Depends(api_actor)]
DbDep = Annotated[Session, Depends(db)]
PerPageQ = Annotated[int, Query(description="Plates on each A4 page: 1, 2, 4, 6 or 8")]


def _base(request: Request) -> str:
    return str(request.base_url)


def _pdf(body: bytes, name: str) -> Response:
    return Response(
        body,
        media_type="application/pdf",
        headers={"Content-Disposition": f'inline; filename="{name}"'},
    )


@router.get("/addresses/plates.pdf")
def batch_plates(
    request: Request,
    actor: ActorDep,
    session: DbDep,
    road_id: int | None = None,
    community: Annotated[str | None, Query(max_length=12)] = None,
    per_page: PerPageQ = 4,
) -> Response:
    """The plates of a road or a community (division code) as one PDF."""
    found = plates.plates_for(
        session, actor=actor, base_url=_base(request), road_id=road_id, community=community
    )
    name = f"plates-road-{road_id}.pdf" if road_id is not None else f"plates-{community}.pdf"
    return _pdf(plates.render_pdf(found, per_page=per_page), name)


@router.get("/addresses/{address_id}/plate.svg")
def plate_svg(request: Request, actor: ActorDep, session: DbDep, address_id: int) -> Response:
    """One address's door plate as SVG."""
    plate = plates.plate_for(session, actor=actor, address_id=address_id, base_url=_base(request))
    return Response(plates.render_svg(plate), media_type="image/svg+xml")


@router.get("/addresses/{address_id}/plate.pdf")
def plate_pdf(
    request: Request, actor: ActorDep, session: DbDep, address_id: int, per_page: PerPageQ = 1
) -> Response:
    """One address's door plate as PDF (one A4 page)."""
    plate = plates.plate_for(session, actor=actor, address_id=address_id, base_url=_base(request))
    return _pdf(plates.render_pdf([plate], per_page=per_page), f"plate-{plate.code}.pdf")

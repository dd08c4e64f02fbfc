"""Console pages of the registry: the address a door plate's QR opens, and data quality."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Request
from sqlalchemy import select
from sqlalchemy.orm import Session
from starlette.responses import Response

from zhian.domains.places.registry import quality, service
from zhian.domains.places.registry.models import House
from zhian.web.deps import Identity, db, page_identity
from zhian.web.templating import render

router = APIRouter(include_in_schema=False)

IdentityDep = Annotated[Identity, Depends(page_identity)]
DbDep = Annotated[Session, Depends(db)]


@router.get("/a/{code}")
def address_by_code(request: Request, ident: IdentityDep, session: DbDep, code: str) -> Response:
    """The address a plate's QR code names; an unknown code gets a clear 未知门牌 page (404)."""
    house_id = session.scalar(select(House.id).where(House.code == code[:40]))
    if house_id is None:
        return render(request, "places/unknown_plate.html", status_code=404, code=code[:40])
    house = service.visible_house(session, actor=ident.actor, address_id=house_id)
    counties = service.county_names(session)
    return render(
        request,
        "places/address.html",
        address=service.address_out(house, counties),
        buildings=service.buildings_of(session, house.id),
        active="places",
    )


@router.get("/places/quality")
def quality_page(request: Request, ident: IdentityDep, session: DbDep) -> Response:
    """Collection and accuracy rates per county against the 95% target."""
    rows = quality.quality(session, actor=ident.actor)
    return render(request, "places/quality.html", rows=rows, target=quality.TARGET, active="places")

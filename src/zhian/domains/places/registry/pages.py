"""Console pages of the registry: address search, the address page (also what a door
plate's QR opens), and data quality."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Query, Request
from sqlalchemy import select
from sqlalchemy.orm import Session
from starlette.responses import Response

from zhian.domains.places.registry import geocoder, organizations, quality, service
from zhian.domains.places.registry.choices import ORG_CATEGORY_LABELS
from zhian.domains.places.registry.models import House
from zhian.web.deps import Identity, db, page_identity
from zhian.web.templating import render

router = APIRouter(include_in_schema=False)

# Organizations listed on an address page; a building with more is rare, the count says so.
ORGS_SHOWN = 200

IdentityDep = Annotated[Identity, Depends(page_identity)]
DbDep = Annotated[Session, Depends(db)]


def _address_page(request: Request, ident: Identity, session: Session, house_id: int) -> Response:
    house = service.visible_house(session, actor=ident.actor, address_id=house_id)
    counties = service.county_names(session)
    # Contacts stay masked here: the organization's own page shows them, and audits the read.
    found = organizations.list_organizations(
        session, actor=ident.actor, address_id=house.id, per_page=ORGS_SHOWN
    )
    return render(
        request,
        "places/address.html",
        address=service.address_out(house, counties),
        divisions=service.divisions_above(session, house),
        buildings=service.buildings_of(session, house.id),
        units=service.units_of(session, house.id),
        orgs=[organizations.organization_out(o, counties) for o in found.items],
        orgs_total=found.total,
        categories=ORG_CATEGORY_LABELS,
        active="places",
    )


@router.get("/places")
def search_page(
    request: Request,
    ident: IdentityDep,
    session: DbDep,
    q: Annotated[str, Query(max_length=geocoder.MAX_QUERY)] = "",
    road_id: int | None = None,
    page: Annotated[int, Query(ge=1)] = 1,
) -> Response:
    """Address search: suggestions as one types (JS), and the matching addresses as a list."""
    found = None
    if q.strip() or road_id is not None:
        found = service.list_addresses(
            session, actor=ident.actor, page=page, per_page=50, q=q, road_id=road_id
        )
    counties = service.county_names(session)
    return render(
        request,
        "places/index.html",
        q=q,
        road_id=road_id,
        found=found,
        addresses=[service.address_out(h, counties) for h in found.items] if found else [],
        active="places",
    )


@router.get("/places/addresses/{address_id}")
def address_page(request: Request, ident: IdentityDep, session: DbDep, address_id: int) -> Response:
    """One address of the user's jurisdiction; another's is not found."""
    return _address_page(request, ident, session, address_id)


@router.get("/a/{code}")
def address_by_code(request: Request, ident: IdentityDep, session: DbDep, code: str) -> Response:
    """The address a plate's QR code names; an unknown code gets a clear 未知门牌 page (404)."""
    house_id = session.scalar(select(House.id).where(House.code == code[:40]))
    if house_id is None:
        return render(request, "places/unknown_plate.html", status_code=404, code=code[:40])
    return _address_page(request, ident, session, house_id)


@router.get("/places/organizations/{organization_id}")
def organization_page(
    request: Request, ident: IdentityDep, session: DbDep, organization_id: int
) -> Response:
    """One organization (实有单位): its contact unmasked to roles that need it; audited."""
    org, shown = organizations.get_organization(
        session, actor=ident.actor, organization_id=organization_id
    )
    counties = service.county_names(session)
    return render(
        request,
        "places/organization.html",
        org=organizations.organization_out(org, counties, show_contact=shown),
        categories=ORG_CATEGORY_LABELS,
        active="places",
    )


@router.get("/places/quality")
def quality_page(request: Request, ident: IdentityDep, session: DbDep) -> Response:
    """Collection and accuracy rates per county against the 95% target."""
    rows = quality.quality(session, actor=ident.actor)
    return render(request, "places/quality.html", rows=rows, target=quality.TARGET, active="places")

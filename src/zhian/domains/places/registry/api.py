"""JSON routes of the address registry: geocoding, addresses and organizations."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query
from sqlalchemy.orm import Session

from zhian.core.scope import Actor
from zhian.domains.places.registry import geocoder, organizations, service, suggest
from zhian.domains.places.registry.choices import OrgCategory
from zhian.domains.places.registry.schemas import (
    AddressDetail,
    AddressPage,
    BuildingOut,
    GeocodeOut,
    OrganizationOut,
    OrganizationPage,
    SuggestionList,
)
from zhian.web.deps import api_actor, db

router = APIRouter(prefix="/api/v1", tags=["addresses"])

ActorDep = Annotated[Actor, Depends(api_actor)]
DbDep = Annotated[Session, Depends(db)]
PageQ = Annotated[int, Query(ge=1)]
PerPageQ = Annotated[int, Query(ge=1, le=500)]
TextQ = Annotated[str | None, Query(max_length=geocoder.MAX_QUERY)]


@router.get("/addresses/geocode", response_model=GeocodeOut)
def geocode(
    actor: ActorDep,
    session: DbDep,
    q: Annotated[str, Query(max_length=geocoder.MAX_QUERY, description="Free-text address")],
) -> Any:
    """Parse a free-text address and place it on the registry, or offer candidates."""
    return geocoder.geocode(session, actor=actor, q=q)


@router.get("/addresses/suggest", response_model=SuggestionList)
def suggest_addresses(
    actor: ActorDep,
    session: DbDep,
    q: Annotated[str, Query(max_length=geocoder.MAX_QUERY, description="What was typed so far")],
    limit: Annotated[int, Query(ge=1, le=suggest.MAX_LIMIT)] = 8,
) -> Any:
    """Roads and house numbers of the caller's jurisdiction matching a partial address."""
    return {"items": suggest.suggest(session, actor=actor, q=q, limit=limit)}


@router.get("/addresses", response_model=AddressPage)
def list_addresses(
    actor: ActorDep,
    session: DbDep,
    page: PageQ = 1,
    per_page: PerPageQ = 50,
    q: TextQ = None,
    road_id: int | None = None,
) -> Any:
    """House numbers of the caller's jurisdiction, optionally by road, number or code."""
    found = service.list_addresses(
        session, actor=actor, page=page, per_page=per_page, q=q, road_id=road_id
    )
    counties = service.county_names(session)
    return AddressPage(
        items=[service.address_out(h, counties) for h in found.items],
        total=found.total,
        page=found.page,
        per_page=found.per_page,
    )


@router.get("/addresses/{address_id}", response_model=AddressDetail)
def get_address(actor: ActorDep, session: DbDep, address_id: int) -> Any:
    """One address with its buildings and organizations; another jurisdiction's is a 404."""
    house = service.visible_house(session, actor=actor, address_id=address_id)
    counties = service.county_names(session)
    orgs = organizations.list_organizations(session, actor=actor, address_id=house.id, per_page=500)
    return AddressDetail(
        **service.address_out(house, counties).model_dump(),
        buildings=[
            BuildingOut(id=i, number=n, rooms=c)
            for i, n, c in service.buildings_of(session, house.id)
        ],
        organizations=[organizations.organization_out(o, counties) for o in orgs.items],
    )


@router.get("/organizations", response_model=OrganizationPage)
def list_organizations(
    actor: ActorDep,
    session: DbDep,
    page: PageQ = 1,
    per_page: PerPageQ = 50,
    q: TextQ = None,
    category: OrgCategory | None = None,
) -> Any:
    """Organizations of the caller's jurisdiction, contacts masked."""
    found = organizations.list_organizations(
        session, actor=actor, page=page, per_page=per_page, q=q, category=category
    )
    counties = service.county_names(session)
    return OrganizationPage(
        items=[organizations.organization_out(o, counties) for o in found.items],
        total=found.total,
        page=found.page,
        per_page=found.per_page,
    )


@router.get("/organizations/{organization_id}", response_model=OrganizationOut)
def get_organization(actor: ActorDep, session: DbDep, organization_id: int) -> Any:
    """One organization; the contact is shown to roles that need it, and the read audited."""
    org, shown = organizations.get_organization(
        session, actor=actor, organization_id=organization_id
    )
    counties = service.county_names(session)
    return organizations.organization_out(org, counties, show_contact=shown)

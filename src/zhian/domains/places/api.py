"""JSON routes of the places domain: divisions and point location."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query
from sqlalchemy.orm import Session

from zhian.core.scope import Actor
from zhian.domains.places import service
from zhian.domains.places.schemas import DivisionOut, DivisionPage, LocatedDivision
from zhian.web.deps import api_actor, db

router = APIRouter(prefix="/api/v1/divisions", tags=["divisions"])

ActorDep = Annotated[Actor, Depends(api_actor)]
DbDep = Annotated[Session, Depends(db)]


@router.get("", response_model=DivisionPage)
def list_divisions(
    actor: ActorDep,
    session: DbDep,
    page: Annotated[int, Query(ge=1)] = 1,
    per_page: Annotated[int, Query(ge=1, le=500)] = 100,
    level: str | None = None,
    parent: str | None = None,
) -> Any:
    """The divisions visible to the caller."""
    return service.list_divisions(
        session, actor=actor, page=page, per_page=per_page, level=level, parent=parent
    )


@router.get("/locate", response_model=LocatedDivision)
def locate(
    actor: ActorDep,
    session: DbDep,
    lon: Annotated[float, Query(ge=-180, le=180, description="WGS-84 longitude")],
    lat: Annotated[float, Query(ge=-90, le=90, description="WGS-84 latitude")],
) -> Any:
    """The division containing a WGS-84 point; 404 outside Weinan."""
    return service.locate(session, lon=lon, lat=lat)


@router.get("/map.geojson")
def map_geojson(actor: ActorDep, session: DbDep) -> dict[str, Any]:
    """County and zone boundaries visible to the caller, as GeoJSON (WGS-84)."""
    return service.map_features(session, actor=actor)


@router.get("/{adcode}", response_model=DivisionOut)
def get_division(actor: ActorDep, session: DbDep, adcode: str) -> Any:
    """One division; another jurisdiction's is a 404."""
    return service.get_division(session, actor=actor, adcode=adcode)

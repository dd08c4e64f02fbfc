"""Divisions: the profile's import, scoped lists and lookups, and point location."""

from __future__ import annotations

import json
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from zhian.core import scope as scoping
from zhian.core.errors import InvalidInput, NotFound
from zhian.core.pagination import Page, paginate
from zhian.core.records import visible_or_404
from zhian.core.scope import Actor
from zhian.domains.places.locator import Area, DivisionLocator
from zhian.domains.places.models import Division
from zhian.domains.places.profile import weinan_divisions

# Levels whose polygons tile the city: the counties, and the zones drawn inside them.
MAP_LEVELS = ("district", "county", "county_city", "zone")

_locators: dict[tuple[str, int, Any], DivisionLocator] = {}


def load_weinan_profile(session: Session) -> int:
    """Create or refresh the Weinan divisions; returns how many were written. Idempotent."""
    existing = {d.adcode: d for d in session.scalars(select(Division))}
    written = 0
    for seed in weinan_divisions():
        row = existing.get(seed.adcode) or Division(adcode=seed.adcode)
        boundary = json.dumps(seed.boundary, separators=(",", ":")) if seed.boundary else None
        values = {
            "name": seed.name,
            "name_en": seed.name_en,
            "level": seed.level,
            "parent_adcode": seed.parent,
            "seat_lon": seed.seat_lon,
            "seat_lat": seed.seat_lat,
            "boundary": boundary,
        }
        changed = any(getattr(row, k, None) != v for k, v in values.items())
        if changed or row.id is None:
            for key, value in values.items():
                setattr(row, key, value)
            session.add(row)
            session.flush()
            existing[seed.adcode] = row
            written += 1
    return written


def find_division(session: Session, adcode: str) -> Division | None:
    """The division with this code, unscoped (for validation of input codes)."""
    return session.scalar(select(Division).where(Division.adcode == adcode))


def list_divisions(
    session: Session,
    *,
    actor: Actor,
    page: int = 1,
    per_page: int = 100,
    level: str | None = None,
    parent: str | None = None,
) -> Page[Division]:
    """The divisions inside the actor's jurisdiction, one page at a time."""
    stmt = select(Division).where(scoping.scope_clause(actor, Division.adcode))
    if level:
        stmt = stmt.where(Division.level == level)
    if parent:
        stmt = stmt.where(Division.parent_adcode == parent)
    return paginate(session, stmt.order_by(Division.adcode), page, per_page)


def get_division(session: Session, *, actor: Actor, adcode: str) -> Division:
    """One division of the actor's jurisdiction; another's is not found (and audited)."""
    found = find_division(session, adcode)
    return visible_or_404(
        actor, found, record_type="division", record_id=adcode, label="行政区划", division=adcode
    )


def map_features(session: Session, *, actor: Actor) -> dict[str, Any]:
    """The county and zone boundaries visible to the actor, as a GeoJSON FeatureCollection."""
    rows = session.scalars(
        select(Division)
        .where(Division.level.in_(MAP_LEVELS), Division.boundary.is_not(None))
        .where(scoping.scope_clause(actor, Division.adcode))
        .order_by(Division.adcode)
    )
    features = [
        {
            "type": "Feature",
            "properties": {
                "adcode": d.adcode,
                "name": d.name,
                "name_en": d.name_en,
                "level": d.level,
                "parent": d.parent_adcode,
                "label_lon": d.seat_lon,
                "label_lat": d.seat_lat,
            },
            "geometry": json.loads(d.boundary or "null"),
        }
        for d in rows
    ]
    return {"type": "FeatureCollection", "features": features}


def locator(session: Session) -> DivisionLocator:
    """The point locator over the current boundaries, rebuilt only when they change."""
    bind = session.get_bind()
    count, stamp = session.execute(
        select(func.count(Division.id), func.max(Division.updated_at)).where(
            Division.level.in_(MAP_LEVELS)
        )
    ).one()
    key = (str(bind.engine.url), int(count), stamp)
    found = _locators.get(key)
    if found is None:
        rows = session.execute(
            select(Division.adcode, Division.name, Division.level, Division.boundary).where(
                Division.level.in_(MAP_LEVELS), Division.boundary.is_not(None)
            )
        ).all()
        found = DivisionLocator([Area(r[0], r[1], r[2], str(r[3])) for r in rows])
        _locators.clear()
        _locators[key] = found
    return found


def check_point(lon: float, lat: float) -> None:
    """Refuse coordinates that are not a WGS-84 longitude and latitude, naming which."""
    if not -180.0 <= lon <= 180.0:
        raise InvalidInput("经度须在 -180 到 180 之间", field="lon")
    if not -90.0 <= lat <= 90.0:
        raise InvalidInput("纬度须在 -90 到 90 之间", field="lat")


def locate(session: Session, *, lon: float, lat: float) -> dict[str, str | None]:
    """The division containing a WGS-84 point, with its county; not found outside Weinan."""
    check_point(lon, lat)
    area = locator(session).locate(lon, lat)
    if area is None:
        raise NotFound("该位置不在本市辖区内", field="lon")
    county = area
    if area.level == "zone":
        host = session.scalar(select(Division.parent_adcode).where(Division.adcode == area.adcode))
        parent = find_division(session, host) if host else None
        county = Area(parent.adcode, parent.name, parent.level, "") if parent else area
    return {
        "adcode": area.adcode,
        "name": area.name,
        "level": area.level,
        "county_adcode": county.adcode,
        "county_name": county.name,
    }

"""Free text → parse → registry match, scoped: the geocode endpoint's and the CLI's path.

The index is built from the database once and kept per database; every call first reads a
small stamp (the newest id and update time of each registry table, and the divisions'
count, all index reads) and rebuilds the index only when the stamp moved, as
``service.locator`` does for boundaries.
"""

from __future__ import annotations

import threading
from dataclasses import replace
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from zhian.core import scope as scoping
from zhian.core.errors import InvalidInput
from zhian.core.identity.roles import require
from zhian.core.scope import Actor
from zhian.domains.places.models import Division
from zhian.domains.places.parser import parse
from zhian.domains.places.registry.choices import MatchLevel
from zhian.domains.places.registry.index import RegistryIndex
from zhian.domains.places.registry.matcher import Match, match
from zhian.domains.places.registry.models import Building, House, Road, Room

COUNTY_LEVELS = ("district", "county", "county_city")
TOWNSHIP_LEVELS = ("township", "zone")
MAX_QUERY = 200
_BATCH = 50_000

_lock = threading.Lock()
_indexes: dict[str, tuple[tuple[Any, ...], RegistryIndex]] = {}


def load_index(session: Session) -> RegistryIndex:
    """Read the whole registry into a fresh in-memory index."""
    counties = session.execute(
        select(Division.adcode, Division.name, Division.seat_lon, Division.seat_lat).where(
            Division.level.in_(COUNTY_LEVELS)
        )
    ).all()
    townships = session.execute(
        select(
            Division.adcode,
            Division.name,
            Division.parent_adcode,
            Division.seat_lon,
            Division.seat_lat,
        ).where(Division.level.in_(TOWNSHIP_LEVELS))
    ).all()

    def stream(stmt: Any) -> Any:
        return session.execute(stmt.execution_options(yield_per=_BATCH))

    return RegistryIndex.build(
        counties=((c, n, lon or 0.0, lat or 0.0) for c, n, lon, lat in counties),
        townships=((c, n, str(p), lon, lat) for c, n, p, lon, lat in townships),
        roads=stream(select(Road.id, Road.division, Road.name).order_by(Road.id)),
        houses=stream(
            select(
                House.id, House.road_id, House.number, House.suffix, House.lon, House.lat
            ).order_by(House.id)
        ),
        buildings=stream(
            select(
                Building.id, Building.house_id, Building.number, Building.lon, Building.lat
            ).order_by(Building.id)
        ),
        rooms=stream(select(Room.id, Room.building_id, Room.unit, Room.number)),
    )


def _stamp(session: Session) -> tuple[Any, ...]:
    parts: list[Any] = []
    for model in (Road, House, Building, Room):
        parts.append(select(func.max(model.id)).scalar_subquery())
        parts.append(select(func.max(model.updated_at)).scalar_subquery())
    parts.append(select(func.count(Division.id)).scalar_subquery())
    return tuple(session.execute(select(*parts)).one())


def registry_index(session: Session) -> RegistryIndex:
    """The index of this database's registry, rebuilt only when the registry changed."""
    url = str(session.get_bind().engine.url)
    stamp = _stamp(session)
    found = _indexes.get(url)
    if found is not None and found[0] == stamp:
        return found[1]
    with _lock:
        found = _indexes.get(url)
        if found is None or found[0] != stamp:
            found = (stamp, load_index(session))
            _indexes[url] = found
    return found[1]


def scoped(index: RegistryIndex, actor: Actor, found: Match | None) -> Match | None:
    """What the actor may see of a match: another county's answer only at county level."""
    if found is None or actor.role == scoping.SYSTEM_ROLE:
        return found
    county = found.county_code
    if county is not None and not scoping.can_see(actor, county):
        seat = index.counties[county]
        conf = found.confidence if found.confidence is not None else 1.0
        return Match(MatchLevel.COUNTY, conf, seat.lon, seat.lat, county)
    visible = tuple(c for c in found.candidates if scoping.can_see(actor, c.county_code))
    if found.level is None and not visible:
        return None
    return replace(found, candidates=visible)


def geocode_text(index: RegistryIndex | None, text: str) -> dict[str, object]:
    """Parse and match one line, unscoped (the operator's CLI): the parse object plus, when
    the registry matches, its fields."""
    parsed = parse(text)
    out = parsed.as_dict()
    found = match(index, parsed) if index is not None else None
    if found is not None:
        out.update(found.fields())
    return out


def geocode(session: Session, *, actor: Actor, q: str) -> dict[str, object]:
    """The parse of ``q`` and, when matched, where the registry puts it, as the actor may see."""
    require(actor, "places.read")
    text = q.strip()
    if not text:
        raise InvalidInput("请输入地址", field="q")
    if len(text) > MAX_QUERY:
        raise InvalidInput(f"地址不能超过 {MAX_QUERY} 个字符", field="q")
    parsed = parse(text)
    index = registry_index(session)
    found = scoped(index, actor, match(index, parsed))
    out = parsed.as_dict()
    if found is not None:
        out.update(found.fields())
    return out

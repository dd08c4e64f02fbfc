"""Suggestions as you type: a partial address → roads and house numbers from the in-memory
registry index, ranked and limited to what the actor may see; no table scan per keystroke.

What was typed is split into a road part and a house-number prefix ("朝阳大街1" → 朝阳大街, 1).
The road part is looked up through an index of the characters of every road name (the
rarest character's roads, then a substring test on the raw and the normalised name), so
"朝阳", "朝阳大" and "朝阳街" all find 朝阳大街. A number prefix lists that road's plates whose
number starts with it, the exact number first. Only the final few house ids are read from the
database, by primary key, to give their codes and the jurisdiction test below county level.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session, contains_eager

from zhian.core import scope as scoping
from zhian.core.identity.roles import require
from zhian.core.scope import Actor
from zhian.domains.places.numerals import to_arabic
from zhian.domains.places.parser import parse
from zhian.domains.places.registry import geocoder
from zhian.domains.places.registry.choices import MatchLevel
from zhian.domains.places.registry.index import RegistryIndex, normalize_road
from zhian.domains.places.registry.models import House

MAX_LIMIT = 20
_FULL_WIDTH = str.maketrans({chr(0xFF10 + i): str(i) for i in range(10)})
_NOISE = re.compile(r"[\s,，.。;；:：、/\\()（）\[\]【】\"'“”‘’]+")
_TAIL_NUMBER = re.compile(r"([0-9]{1,6}|[零〇一二两三四五六七八九十百千]{1,8})号?$")
_PREFIXES = ("陕西省", "陕西", "渭南市", "渭南")


@dataclass(frozen=True, slots=True)
class Hit:
    """A road (``house`` None) or one house number on it, found in the index."""

    road: int
    house: int | None
    rank: tuple[int, ...]


def split_query(text: str) -> tuple[str | None, str, str]:
    """(county code or None, road part, house-number prefix) of what was typed."""
    clean = _NOISE.sub("", text.translate(_FULL_WIDTH))
    parsed = parse(clean)
    county = parsed.county_code if parsed.in_jurisdiction else None
    if parsed.road and parsed.in_jurisdiction:
        number = parsed.house_number or ""
        if not number and parsed.road in clean:
            # A bare Chinese numeral after the road (乐天大道十二) is a number half typed.
            tail = _TAIL_NUMBER.fullmatch(clean.rsplit(parsed.road, 1)[1])
            number = (to_arabic(tail.group(1)) or "") if tail else ""
        return county, parsed.road, number
    rest = clean
    if county is not None and parsed.county and parsed.county in rest:
        rest = rest.split(parsed.county, 1)[1]
    for prefix in _PREFIXES:
        if rest.startswith(prefix) and len(rest) > len(prefix):
            rest = rest[len(prefix) :]
    number = ""
    tail = _TAIL_NUMBER.search(rest)
    if tail and tail.start() > 0:
        number = to_arabic(tail.group(1)) or ""
        rest = rest[: tail.start()]
    return county, rest, number


def _road_rank(index: RegistryIndex, pos: int, term: str, norm: str, county: str | None) -> int:
    name, normal = index.road_names[pos], index.road_norms[pos]
    if name == term or normal == norm:
        kind = 0
    elif name.startswith(term) or normal.startswith(norm):
        kind = 1
    else:
        kind = 2
    return kind + (0 if county is None or index.road_county[pos] == county else 3)


def roads_like(
    index: RegistryIndex, term: str, county: str | None, visible: Callable[[str], bool]
) -> list[int]:
    """Visible roads whose name contains ``term`` (raw or normalised), best first."""
    if not term:
        return []
    by_char = index.road_name_chars()
    norm = normalize_road(term)
    postings = [by_char.get(ch, ()) for ch in set(term)]
    if not postings or not all(postings):
        postings = [by_char.get(ch, ()) for ch in set(norm)]
        if not postings or not all(postings):
            return []
    rarest = min(postings, key=len)
    found = []
    names, norms = index.road_names, index.road_norms
    for pos in rarest:
        if term not in names[pos] and norm not in norms[pos]:
            continue
        if not visible(index.road_county[pos]):
            continue
        found.append(pos)
    found.sort(
        key=lambda p: (
            _road_rank(index, p, term, norm, county),
            len(index.road_names[p]),
            index.road_names[p],
            index.road_county[p],
        )
    )
    return found


def _plate_sort(key: int | str) -> tuple[int, str]:
    if isinstance(key, int):
        return key, ""
    digits = re.match(r"[0-9]+", key)
    return (int(digits.group(0)) if digits else 0), key


def hits(
    index: RegistryIndex,
    text: str,
    *,
    visible: Callable[[str], bool],
    limit: int,
) -> list[Hit]:
    """Roads, or house numbers when a number was typed, for a partial address."""
    county, term, number = split_query(text)
    roads = roads_like(index, term, county, visible)
    out: list[Hit] = []
    if not number:
        return [Hit(pos, None, (i,)) for i, pos in enumerate(roads[:limit])]
    for rank, pos in enumerate(roads):
        plates = index.plates[pos]
        keys = [k for k in plates if str(k).startswith(number)]
        keys.sort(key=lambda k: (str(k) != number, _plate_sort(k)))
        for key in keys:
            out.append(Hit(pos, plates[key], (rank,)))
            if len(out) >= limit:
                return out
    return out


def road_visible(actor: Actor) -> Callable[[str], bool]:
    """Whether the actor may be offered a road of this county: theirs, or the one they sit in."""
    if actor.role == scoping.SYSTEM_ROLE:
        return lambda county: True
    return lambda county: scoping.can_see(actor, county) or actor.division.startswith(county)


def suggest(session: Session, *, actor: Actor, q: str, limit: int = 8) -> list[dict[str, object]]:
    """Up to ``limit`` roads or house numbers of the actor's jurisdiction matching ``q``."""
    require(actor, "places.read")
    text = q.strip()[: geocoder.MAX_QUERY]
    if not text:
        return []
    limit = max(1, min(limit, MAX_LIMIT))
    index = geocoder.registry_index(session)
    # Ask for more than the limit: a house below county level may still be out of scope.
    found = hits(index, text, visible=road_visible(actor), limit=limit * 2)
    house_ids = [index.house_ids[h.house] for h in found if h.house is not None]
    houses = _visible_houses(session, actor, house_ids)
    counties = {code: place.name for code, place in index.counties.items()}
    out: list[dict[str, object]] = []
    for hit in found:
        road_id = index.road_ids[hit.road]
        county = index.road_county[hit.road]
        road_name = index.road_names[hit.road]
        if hit.house is None:
            out.append(
                {
                    "label": f"{counties.get(county, '')}{road_name}",
                    "level": str(MatchLevel.ROAD),
                    "county_code": county,
                    "road_id": road_id,
                    "road": road_name,
                    "address_id": None,
                    "code": None,
                    "lon": round(index.road_lon[hit.road], 7),
                    "lat": round(index.road_lat[hit.road], 7),
                    "url": f"/places?road_id={road_id}",
                }
            )
        else:
            house = houses.get(index.house_ids[hit.house])
            if house is None:
                continue
            out.append(
                {
                    "label": f"{counties.get(county, '')}{road_name}{house.number}号{house.suffix}",
                    "level": str(MatchLevel.HOUSE),
                    "county_code": county,
                    "road_id": road_id,
                    "road": road_name,
                    "address_id": house.id,
                    "code": house.code,
                    "lon": round(house.lon, 7),
                    "lat": round(house.lat, 7),
                    "url": f"/places/addresses/{house.id}",
                }
            )
        if len(out) >= limit:
            break
    return out


def _visible_houses(session: Session, actor: Actor, ids: Sequence[int]) -> dict[int, House]:
    if not ids:
        return {}
    rows = session.scalars(
        select(House)
        .join(House.road)
        .options(contains_eager(House.road))
        .where(House.id.in_(ids))
        .where(scoping.scope_clause(actor, House.division))
    ).all()
    return {h.id: h for h in rows}

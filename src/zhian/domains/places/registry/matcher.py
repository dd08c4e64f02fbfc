"""Parsed address → registry: exact, then normalised, then fuzzy, never a silent guess.

The road is found first: by its exact name in the county, then by its normalised name
(numerals, 大街/街), then by edit distance among the county's roads sharing a character with
it. Without a county the whole city is searched, at lower confidence. Then the door plate,
building, unit and room are looked up exactly: a number the road does not have leaves the
result at road level, never at a neighbouring house. A road found with less than
``THRESHOLD`` confidence (a weak fuzzy match, or several equally good roads) gives ranked
``candidates`` and only the part of the answer that is sure (the township or county).
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace

from zhian.domains.places.parser import ParsedAddress
from zhian.domains.places.registry.choices import MatchLevel
from zhian.domains.places.registry.index import Place, RegistryIndex

THRESHOLD = 0.7
EXACT, NORMALIZED, CITYWIDE = 1.0, 0.95, 0.9  # confidence of a road found by each means
AMBIGUOUS_MARGIN = 0.1  # a runner-up this close makes the best road a coin toss
MAX_CANDIDATES = 5


@dataclass(frozen=True, slots=True)
class Candidate:
    """One possible answer offered instead of a guess."""

    label: str
    county_code: str
    road_id: int
    road: str
    level: str
    lon: float
    lat: float
    confidence: float
    address_id: int | None = None

    def as_dict(self) -> dict[str, object]:
        """The JSON shape of a candidate."""
        return {
            "label": self.label,
            "county_code": self.county_code,
            "road_id": self.road_id,
            "road": self.road,
            "address_id": self.address_id,
            "level": str(self.level),
            "lon": round(self.lon, 7),
            "lat": round(self.lat, 7),
            "confidence": round(self.confidence, 3),
        }


@dataclass(frozen=True, slots=True)
class Match:
    """The registry's answer: the deepest sure level, or none, and candidates when unsure."""

    level: str | None = None
    confidence: float | None = None
    lon: float | None = None
    lat: float | None = None
    county_code: str | None = None
    address_id: int | None = None
    road_id: int | None = None
    building_id: int | None = None
    room_id: int | None = None
    candidates: tuple[Candidate, ...] = field(default=())

    def fields(self) -> dict[str, object]:
        """The registry fields added to the parse object."""
        out: dict[str, object] = {
            "address_id": self.address_id,
            "lon": None if self.lon is None else round(self.lon, 7),
            "lat": None if self.lat is None else round(self.lat, 7),
            "level": None if self.level is None else str(self.level),
            "confidence": None if self.confidence is None else round(self.confidence, 3),
        }
        if self.candidates:
            out["candidates"] = [c.as_dict() for c in self.candidates]
        return out


def _place(place: Place, level: MatchLevel, confidence: float) -> Match:
    return Match(level, confidence, place.lon, place.lat, place.county)


def _ranked(index: RegistryIndex, county: str | None, road: str) -> list[tuple[int, float]]:
    """Roads that may be the one named, with the confidence each deserves on its own."""
    citywide = county is None
    exact = index.roads_named(county, road)
    if exact:
        return [(p, CITYWIDE if citywide else EXACT) for p in exact]
    normal = index.roads_normalized(county, road)
    if normal:
        score = NORMALIZED * (CITYWIDE if citywide else 1.0)
        return [(p, score) for p in normal]
    factor = CITYWIDE if citywide else 1.0
    return [(p, s * factor) for p, s in index.roads_fuzzy(county, road, MAX_CANDIDATES + 1)]


def _candidates(
    index: RegistryIndex, ranked: list[tuple[int, float]], house: str | None
) -> tuple[Candidate, ...]:
    out = []
    for pos, score in ranked[:MAX_CANDIDATES]:
        county = index.road_county[pos]
        name = index.counties[county].name if county in index.counties else ""
        hpos = index.house(pos, house)
        label = f"{name}{index.road_names[pos]}"
        if hpos is None:
            out.append(
                Candidate(
                    label,
                    county,
                    index.road_ids[pos],
                    index.road_names[pos],
                    MatchLevel.ROAD,
                    index.road_lon[pos],
                    index.road_lat[pos],
                    score,
                )
            )
        else:
            out.append(
                Candidate(
                    f"{label}{house}号",
                    county,
                    index.road_ids[pos],
                    index.road_names[pos],
                    MatchLevel.HOUSE,
                    index.house_lon[hpos],
                    index.house_lat[hpos],
                    score,
                    index.house_ids[hpos],
                )
            )
    return tuple(out)


def _below_road(index: RegistryIndex, pos: int, conf: float, p: ParsedAddress) -> Match:
    """The deepest exact level under a sure road: house, building, room; else the road."""
    road = Match(
        MatchLevel.ROAD,
        conf,
        index.road_lon[pos],
        index.road_lat[pos],
        index.road_county[pos],
        road_id=index.road_ids[pos],
    )
    hpos = index.house(pos, p.house_number)
    if hpos is None:
        return road
    house = replace(
        road,
        level=MatchLevel.HOUSE,
        lon=index.house_lon[hpos],
        lat=index.house_lat[hpos],
        address_id=index.house_ids[hpos],
    )
    bpos = index.building(hpos, p.building)
    if bpos is None:
        return house
    building = replace(
        house,
        level=MatchLevel.BUILDING,
        lon=index.building_lon[bpos],
        lat=index.building_lat[bpos],
        building_id=index.building_ids[bpos],
    )
    room = index.room(bpos, p.unit, p.room)
    if room is None:
        return building
    return replace(building, level=MatchLevel.ROOM, room_id=room)


def match(index: RegistryIndex, p: ParsedAddress) -> Match | None:
    """Match a parsed address against the registry; None when there is nothing to match."""
    if not p.matched or not p.in_jurisdiction:
        return None
    county = p.county_code
    if county is not None and county not in index.counties:
        return None
    township = index.township(county, p.township)
    if county is None and township is not None:
        county = township.county
    base: Match | None = None
    if township is not None:
        base = _place(township, MatchLevel.TOWNSHIP, 1.0 if p.county_code else CITYWIDE)
    elif county is not None:
        base = _place(index.counties[county], MatchLevel.COUNTY, 1.0)
    if not p.road:
        return base
    ranked = _ranked(index, county, p.road)
    if not ranked:
        return base
    best, conf = ranked[0]
    if len(ranked) > 1 and ranked[1][1] >= conf - AMBIGUOUS_MARGIN:
        conf /= len([1 for _, s in ranked if s >= conf - AMBIGUOUS_MARGIN])
    if conf >= THRESHOLD:
        return _below_road(index, best, conf, p)
    unsure = _candidates(index, ranked, p.house_number)
    return replace(base, candidates=unsure) if base is not None else Match(candidates=unsure)

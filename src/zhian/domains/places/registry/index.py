"""The in-memory address index the geocoder matches against: dicts and flat arrays.

Sized for a city's registry (1,000,000 house numbers in a few hundred MB): positions live in
``array`` columns, not in an object per house; each road keeps one dict from its plate key
(the number as an int, or "12附1" with a suffix) to the house's row in those columns.
Roads are found by (county, name), by normalised name, and, for fuzzy matching, through an
inverted index of the characters of their names. Building the index takes rows as plain
tuples, so the same code serves the database (``service.registry_index``) and the bench.
"""

from __future__ import annotations

import re
from array import array
from bisect import bisect_left
from collections.abc import Iterable
from typing import NamedTuple

from zhian.domains.places.numerals import NUMERAL_CHARS, to_arabic

# The generic ending of a road name; what precedes it is the name proper (朝阳大街 → 朝阳).
_ROAD_END = re.compile(r"(?:大街|大道|胡同|公路|国道|省道|县道|路|街|巷|道|弄)$")
_NUMERALS = re.compile(f"[{NUMERAL_CHARS}]+")
_DIRECTIONS = frozenset("东南西北中")


class Place(NamedTuple):
    """A division the geocoder can fall back to: its code, name and seat."""

    code: str
    name: str
    county: str
    lon: float
    lat: float


def normalize_road(name: str) -> str:
    """The form two spellings of one road share: Arabic numerals, 大街 as 街 (朝阳大街 → 朝阳街)."""
    name = _NUMERALS.sub(lambda m: to_arabic(m.group(0)) or m.group(0), name)
    return name.replace("大街", "街")


def road_stem(name: str) -> str:
    """A road's name without its generic ending, for fuzzy comparison (人民东路 → 人民东)."""
    stem = _ROAD_END.sub("", normalize_road(name))
    return stem or name


def _ending(name: str) -> str:
    found = _ROAD_END.search(normalize_road(name))
    return found.group(0) if found else ""


def similarity(a: str, b: str) -> float:
    """1 - Levenshtein distance / the longer length: 1.0 for equal strings, 0.0 for disjoint."""
    if a == b:
        return 1.0
    if not a or not b:
        return 0.0
    prev = list(range(len(b) + 1))
    for i, ca in enumerate(a, 1):
        cur = [i]
        for j, cb in enumerate(b, 1):
            cur.append(min(prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + (ca != cb)))
        prev = cur
    return 1.0 - prev[-1] / max(len(a), len(b))


def plate_key(number: int, suffix: str = "") -> int | str:
    """The key of a house number within its road: the int alone, or number and suffix."""
    return number if not suffix else f"{number}{suffix}"


class RegistryIndex:
    """Every road, house number, building and room of the registry, for lookups in memory."""

    def __init__(self) -> None:
        self.counties: dict[str, Place] = {}
        self.townships: dict[tuple[str, str], Place] = {}
        self.township_names: dict[str, list[Place]] = {}
        self.road_ids = array("q")
        self.road_names: list[str] = []
        self.road_county: list[str] = []
        self.road_lon = array("d")
        self.road_lat = array("d")
        self.road_exact: dict[tuple[str, str], int] = {}
        self.road_by_name: dict[str, list[int]] = {}
        self.road_by_norm: dict[str, list[int]] = {}
        self.road_chars: dict[str, list[int]] = {}
        self.road_stems: list[str] = []
        self.road_ends: list[str] = []
        self.plates: list[dict[int | str, int]] = []
        self.house_ids = array("q")
        self.house_lon = array("d")
        self.house_lat = array("d")
        self.buildings: dict[int, dict[str, int]] = {}
        self.building_ids = array("q")
        self.building_lon = array("d")
        self.building_lat = array("d")
        self.rooms: dict[tuple[int, str, str], int] = {}
        self._name_chars: dict[str, list[int]] | None = None
        self.road_norms: list[str] = []

    def __len__(self) -> int:
        return len(self.house_ids)

    @classmethod
    def build(
        cls,
        *,
        counties: Iterable[tuple[str, str, float, float]],
        townships: Iterable[tuple[str, str, str, float | None, float | None]],
        roads: Iterable[tuple[int, str, str]],
        houses: Iterable[tuple[int, int, int, str, float, float]],
        buildings: Iterable[tuple[int, int, str, float | None, float | None]] = (),
        rooms: Iterable[tuple[int, int, str, str]] = (),
    ) -> RegistryIndex:
        """Build from rows: counties (code, name, lon, lat); townships (code, name, county,
        lon, lat); roads (id, county, name); houses (id, road_id, number, suffix, lon, lat);
        buildings (id, house_id, number, lon, lat); rooms (id, building_id, unit, number)."""
        index = cls()
        for code, name, lon, lat in counties:
            index.counties[code] = Place(code, name, code, lon, lat)
        pending: list[tuple[str, str, str, float | None, float | None]] = list(townships)
        road_pos: dict[int, int] = {}
        for road_id, county, name in roads:
            road_pos[road_id] = index._add_road(road_id, county, name)
        sums = [[0.0, 0.0, 0] for _ in index.road_names]
        for house_id, road_id, number, suffix, lon, lat in houses:
            pos = road_pos.get(road_id)
            if pos is None:
                continue
            index.plates[pos][plate_key(number, suffix)] = len(index.house_ids)
            index.house_ids.append(house_id)
            index.house_lon.append(lon)
            index.house_lat.append(lat)
            acc = sums[pos]
            acc[0] += lon
            acc[1] += lat
            acc[2] += 1
        for pos, (slon, slat, n) in enumerate(sums):
            home = index.counties.get(index.road_county[pos])
            fallback = (home.lon, home.lat) if home else (0.0, 0.0)
            index.road_lon.append(slon / n if n else fallback[0])
            index.road_lat.append(slat / n if n else fallback[1])
        for code, name, county_code, tlon, tlat in pending:
            seat = index.counties.get(county_code)
            if seat is None:
                continue
            place = Place(code, name, county_code, tlon or seat.lon, tlat or seat.lat)
            index.townships[(county_code, name)] = place
            index.township_names.setdefault(name, []).append(place)
        index._add_buildings(buildings, rooms)
        return index

    def _add_road(self, road_id: int, county: str, name: str) -> int:
        pos = len(self.road_names)
        self.road_ids.append(road_id)
        self.road_names.append(name)
        self.road_county.append(county)
        self.road_exact[(county, name)] = pos
        self.road_by_name.setdefault(name, []).append(pos)
        self.road_by_norm.setdefault(normalize_road(name), []).append(pos)
        stem = road_stem(name)
        self.road_stems.append(stem)
        self.road_ends.append(_ending(name))
        for ch in set(stem) - _DIRECTIONS:
            self.road_chars.setdefault(ch, []).append(pos)
        self.plates.append({})
        return pos

    def _house_pos(self, house_id: int) -> int | None:
        ids = self.house_ids
        i = bisect_left(ids, house_id)
        if i < len(ids) and ids[i] == house_id:
            return i
        return None

    def _add_buildings(
        self,
        buildings: Iterable[tuple[int, int, str, float | None, float | None]],
        rooms: Iterable[tuple[int, int, str, str]],
    ) -> None:
        ids = self.house_ids
        ordered = all(ids[i] < ids[i + 1] for i in range(len(ids) - 1))
        by_id = None if ordered else {h: i for i, h in enumerate(ids)}
        building_pos: dict[int, int] = {}
        for bid, house_id, number, lon, lat in buildings:
            hpos = by_id.get(house_id) if by_id is not None else self._house_pos(house_id)
            if hpos is None:
                continue
            pos = len(self.building_ids)
            building_pos[bid] = pos
            self.buildings.setdefault(hpos, {})[number] = pos
            self.building_ids.append(bid)
            self.building_lon.append(lon if lon is not None else self.house_lon[hpos])
            self.building_lat.append(lat if lat is not None else self.house_lat[hpos])
        for rid, building_id, unit, number in rooms:
            bpos = building_pos.get(building_id)
            if bpos is not None:
                self.rooms[(bpos, unit, number)] = rid

    def road_name_chars(self) -> dict[str, list[int]]:
        """Every character of each road's full and normalised name → the roads having it,
        for suggestions as one types (built on first use, with ``road_norms``, the
        normalised names: matching needs neither)."""
        if self._name_chars is None:
            chars: dict[str, list[int]] = {}
            norms = [normalize_road(name) for name in self.road_names]
            for pos, name in enumerate(self.road_names):
                for ch in set(name) | set(norms[pos]):
                    chars.setdefault(ch, []).append(pos)
            self.road_norms = norms
            self._name_chars = chars
        return self._name_chars

    # --- lookups --------------------------------------------------------------------------

    def township(self, county: str | None, name: str | None) -> Place | None:
        """The township (or zone) of that name in the county; in the city if the name is unique."""
        if not name:
            return None
        if county is not None:
            return self.townships.get((county, name))
        found = self.township_names.get(name, [])
        return found[0] if len(found) == 1 else None

    def roads_named(self, county: str | None, name: str) -> list[int]:
        """Roads with exactly this name, in the county or anywhere in the city."""
        if county is not None:
            pos = self.road_exact.get((county, name))
            return [] if pos is None else [pos]
        return list(self.road_by_name.get(name, ()))

    def roads_normalized(self, county: str | None, name: str) -> list[int]:
        """Roads whose normalised name equals this one's."""
        found = self.road_by_norm.get(normalize_road(name), ())
        return [p for p in found if county is None or self.road_county[p] == county]

    def roads_fuzzy(self, county: str | None, name: str, limit: int = 5) -> list[tuple[int, float]]:
        """Roads sharing characters with this name, ranked by edit-distance similarity."""
        stem = road_stem(name)
        seen: set[int] = set()
        for ch in set(stem) - _DIRECTIONS:
            for pos in self.road_chars.get(ch, ()):
                if county is None or self.road_county[pos] == county:
                    seen.add(pos)
        ending = _ending(name)
        scored = [
            (
                pos,
                0.9 * similarity(stem, self.road_stems[pos])
                + 0.1 * (ending == self.road_ends[pos]),
            )
            for pos in seen
        ]
        scored.sort(key=lambda ps: (-ps[1], self.road_names[ps[0]]))
        return scored[:limit]

    def house(self, road: int, number: str | None, suffix: str = "") -> int | None:
        """The house at this plate on the road, or None: never a neighbouring number."""
        if not number or not number.isdigit() or len(number) > 6:
            return None
        return self.plates[road].get(plate_key(int(number), suffix))

    def building(self, house: int, number: str | None) -> int | None:
        """The building of that number at the house, or None."""
        if not number:
            return None
        return self.buildings.get(house, {}).get(number)

    def room(self, building: int, unit: str | None, number: str | None) -> int | None:
        """The room's id in that unit of the building, or None."""
        if not number:
            return None
        return self.rooms.get((building, unit or "", number))

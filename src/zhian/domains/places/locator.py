"""Point → division lookup, vectorised: the most specific division (a zone before its county)."""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import shapely
from numpy.typing import ArrayLike, NDArray
from shapely.geometry import shape


@dataclass(frozen=True, slots=True)
class Area:
    """A division's boundary as the locator needs it."""

    adcode: str
    name: str
    level: str
    boundary_geojson: str


class DivisionLocator:
    """Finds which division contains each of many WGS-84 points.

    Areas are tried most specific first (zones, then counties); each is a prepared Shapely
    geometry tested against all still-unassigned points at once, after a bounding-box cut.
    """

    def __init__(self, areas: Sequence[Area]) -> None:
        order = sorted(areas, key=lambda a: (a.level != "zone", a.adcode))
        self.areas = order
        self.geoms = [shape(json.loads(a.boundary_geojson)) for a in order]
        for geom in self.geoms:
            shapely.prepare(geom)
        self.bounds = np.array([g.bounds for g in self.geoms]) if self.geoms else np.empty((0, 4))

    def locate_many(self, lon: ArrayLike, lat: ArrayLike) -> NDArray[np.int64]:
        """For each point, the index into ``areas`` of its division, or -1 outside all."""
        x = np.asarray(lon, dtype=np.float64)
        y = np.asarray(lat, dtype=np.float64)
        result = np.full(x.shape, -1, dtype=np.int64)
        for i, geom in enumerate(self.geoms):
            minx, miny, maxx, maxy = self.bounds[i]
            cand = np.flatnonzero(
                (result == -1) & (x >= minx) & (x <= maxx) & (y >= miny) & (y <= maxy)
            )
            if cand.size:
                inside = shapely.contains_xy(geom, x[cand], y[cand])
                result[cand[inside]] = i
        return result

    def locate(self, lon: float, lat: float) -> Area | None:
        """The division containing one point, or None outside every one."""
        index = int(self.locate_many([lon], [lat])[0])
        return self.areas[index] if index >= 0 else None

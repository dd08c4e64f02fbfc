"""Dispatch recommendation: rank candidate units by estimated travel time, vectorised.

The estimate is a seam (``TravelTimeEstimator``): the default is the great-circle distance
times a road factor over a speed per unit kind; a road-network router can replace it by
implementing ``travel`` for a point and a fleet of candidate units.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Protocol

import numpy as np
from numpy.typing import NDArray

from zhian.core.geo import EARTH_RADIUS_M
from zhian.domains.incidents.choices import UnitKind

KINDS: tuple[UnitKind, ...] = tuple(UnitKind)
ROAD_FACTOR = 1.3
# Typical urban speeds in km/h, by unit kind (configurable per estimator).
SPEED_KMH: Mapping[UnitKind, float] = {
    UnitKind.PATROL_CAR: 40.0,
    UnitKind.MOTORCYCLE: 35.0,
    UnitKind.FOOT: 5.0,
    UnitKind.COMMUNITY: 15.0,
}


@dataclass(frozen=True)
class Fleet:
    """Candidate units as parallel arrays: id, position, kind (index into ``KINDS``)."""

    ids: NDArray[np.int64]
    lon: NDArray[np.float64]
    lat: NDArray[np.float64]
    kind: NDArray[np.int64]

    @classmethod
    def of(cls, rows: list[tuple[int, float, float, str]]) -> Fleet:
        """A fleet from (id, lon, lat, kind) rows."""
        code = {k.value: i for i, k in enumerate(KINDS)}
        return cls(
            ids=np.fromiter((r[0] for r in rows), np.int64, len(rows)),
            lon=np.fromiter((r[1] for r in rows), np.float64, len(rows)),
            lat=np.fromiter((r[2] for r in rows), np.float64, len(rows)),
            kind=np.fromiter((code[r[3]] for r in rows), np.int64, len(rows)),
        )

    def __len__(self) -> int:
        return int(self.ids.shape[0])


class TravelTimeEstimator(Protocol):
    """Distance (m) and travel time (s) from each unit of a fleet to a point."""

    def travel(
        self, lon: float, lat: float, fleet: Fleet
    ) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
        """Per unit: the distance in metres and the estimated travel time in seconds."""
        ...


def great_circle_m(
    lon: float, lat: float, lons: NDArray[np.float64], lats: NDArray[np.float64]
) -> NDArray[np.float64]:
    """Haversine distances in metres from one point to many (WGS-84 degrees)."""
    p1, p2 = np.radians(lat), np.radians(lats)
    dp = p2 - p1
    dl = np.radians(lons - lon)
    h = np.sin(dp / 2.0) ** 2 + np.cos(p1) * np.cos(p2) * np.sin(dl / 2.0) ** 2
    out: NDArray[np.float64] = 2.0 * EARTH_RADIUS_M * np.arcsin(np.sqrt(np.minimum(h, 1.0)))
    return out


@dataclass(frozen=True)
class GreatCircleEstimator:
    """Straight-line distance × road factor / speed of the unit's kind."""

    road_factor: float = ROAD_FACTOR
    speed_kmh: Mapping[UnitKind, float] = field(default_factory=lambda: dict(SPEED_KMH))

    def speeds_mps(self) -> NDArray[np.float64]:
        """Speed in m/s per kind code."""
        return np.array([self.speed_kmh[k] / 3.6 for k in KINDS], dtype=np.float64)

    def travel(
        self, lon: float, lat: float, fleet: Fleet
    ) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
        """Great-circle distance (m) and the time (s) to drive it on roads."""
        dist = great_circle_m(lon, lat, fleet.lon, fleet.lat)
        eta: NDArray[np.float64] = dist * self.road_factor / self.speeds_mps()[fleet.kind]
        return dist, eta


DEFAULT_ESTIMATOR = GreatCircleEstimator()


def rank(
    lon: float,
    lat: float,
    fleet: Fleet,
    *,
    estimator: TravelTimeEstimator = DEFAULT_ESTIMATOR,
    limit: int = 10,
) -> list[tuple[int, float, float]]:
    """The ``limit`` fastest units as (unit id, distance m, eta s), fastest first (ties by id)."""
    if len(fleet) == 0:
        return []
    dist, eta = estimator.travel(lon, lat, fleet)
    k = min(limit, len(fleet))
    head = np.argpartition(eta, k - 1)[:k] if k < len(fleet) else np.arange(len(fleet))
    order = head[np.lexsort((fleet.ids[head], eta[head]))]
    return [(int(fleet.ids[i]), float(dist[i]), float(eta[i])) for i in order]

"""Corridor deviation, no-go zones and arrival as pure functions, and their batched form.

- Deviation: a vehicle with an active permit outside its corridor for longer than
  ``deviation_seconds`` opens one alert. The excursion (and so the episode) ends only after
  ``inside_positions`` consecutive fixes back inside, so GNSS jitter at the edge neither
  resets the clock before the alert nor splits one excursion into several alerts.
- No-go zone: a fix inside a zone (during its restricted hours, if it has any) opens an
  alert at once; the episode ends after ``inside_positions`` consecutive fixes out of it
  (or outside its hours).
- Arrival: a fix within ``arrival_m`` metres of the destination (the corridor's last
  vertex) closes the permit.

``CorridorIndex`` and ``ZoneIndex`` test many positions at once on prepared polygons (a point
on the edge counts as inside). The consumer queries the cached ``ZoneIndex`` once for all the
fixes of a batch (``corridor_tracking.zones_hit``) and tests each fix against its permit's own
prepared corridor; ``CorridorIndex`` serves batch checks (the bench, and checking many stored
fixes).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import numpy as np
import shapely
from numpy.typing import NDArray

from zhian.domains.transport.rules import (
    DEFAULT_DEVIATION_SECONDS,
    DEFAULT_INSIDE_POSITIONS,
    Step,
    held_step,
    in_hours,
    parse_hours,
)

__all__ = [
    "CorridorIndex",
    "DeviationState",
    "ZoneIndex",
    "deviation_step",
    "in_hours",
    "parse_hours",
    "zone_step",
]


@dataclass(frozen=True, slots=True)
class DeviationState:
    """Where a permit's deviation episode stands between fixes."""

    outside_since: datetime | None = None
    inside_count: int = 0


def deviation_step(
    *,
    state: DeviationState,
    alerted: bool,
    inside: bool,
    at: datetime,
    deviation_seconds: float = DEFAULT_DEVIATION_SECONDS,
    inside_positions: int = DEFAULT_INSIDE_POSITIONS,
) -> tuple[Step, DeviationState]:
    """The deviation rule for one fix: the step for the alert and the new state."""
    if not inside:
        since = state.outside_since or at
        new = DeviationState(outside_since=since, inside_count=0)
        if alerted:
            return Step.CONTINUE, new
        if at - since > timedelta(seconds=deviation_seconds):
            return Step.OPEN, new
        return Step.NONE, new
    if state.outside_since is None:
        return Step.NONE, DeviationState()
    count = state.inside_count + 1
    if count >= inside_positions:
        return (Step.END if alerted else Step.NONE), DeviationState()
    new = DeviationState(outside_since=state.outside_since, inside_count=count)
    return (Step.CALMING if alerted else Step.NONE), new


def zone_step(
    *, active: bool, calm_count: int, inside: bool, inside_positions: int
) -> tuple[Step, int]:
    """The no-go rule for one fix (``inside``: in the zone during its hours)."""
    return held_step(
        active=active, calm_count=calm_count, holds=inside, calm_positions=inside_positions
    )


class CorridorIndex:
    """Prepared corridor polygons by permit id, tested many positions at a time."""

    def __init__(self, corridors: dict[int, Any]) -> None:
        self.ids = np.array(sorted(corridors), dtype=np.int64)
        self.geoms = np.array([corridors[i] for i in self.ids.tolist()], dtype=object)
        shapely.prepare(self.geoms)
        self._slot = {int(pid): n for n, pid in enumerate(self.ids.tolist())}

    def inside(
        self, permit_ids: NDArray[np.int64], lon: NDArray[np.float64], lat: NDArray[np.float64]
    ) -> NDArray[np.bool_]:
        """For each position, whether it lies in the corridor of its permit (closed band)."""
        slots = np.fromiter((self._slot[int(p)] for p in permit_ids), np.int64, len(permit_ids))
        return np.asarray(shapely.intersects_xy(self.geoms[slots], lon, lat), dtype=np.bool_)


class ZoneIndex:
    """Prepared no-go polygons with an STR tree, tested many positions at a time."""

    def __init__(self, zones: dict[int, Any], hours: dict[int, str | None] | None = None) -> None:
        self.ids = np.array(sorted(zones), dtype=np.int64)
        # Restricted hours by zone id ("HH:MM-HH:MM"); a zone without any is always closed.
        self.hours: dict[int, str | None] = hours or dict.fromkeys(zones)
        self.geoms = np.array([zones[i] for i in self.ids.tolist()], dtype=object)
        shapely.prepare(self.geoms)
        self.tree = shapely.STRtree(self.geoms)

    def hits(
        self, lon: NDArray[np.float64], lat: NDArray[np.float64]
    ) -> tuple[NDArray[np.int64], NDArray[np.int64]]:
        """Pairs (position index, zone id) for every position inside a zone."""
        if len(self.ids) == 0 or len(lon) == 0:
            empty = np.empty(0, dtype=np.int64)
            return empty, empty
        points = shapely.points(lon, lat)
        pos, slot = self.tree.query(points, predicate="intersects")
        return pos.astype(np.int64), self.ids[slot]

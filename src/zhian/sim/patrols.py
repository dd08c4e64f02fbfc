"""Demo patrol cars that report over JT/T 808, so dispatch sees its units move (AVL).

Each demo patrol car (``sim.incidents.seed_units`` gives every county's patrol cars a terminal
number) is registered in transport as a police unit, which is what lets its terminal in
through the gateway, and drives a square beat around its county seat at patrol speed. The
same ``vehicles`` driver runs it as a real terminal over TCP; the incidents domain's AVL
consumer then moves the unit on the board.
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from zhian.domains.incidents.models import Unit
from zhian.sim.vehicles import EARTH_M_PER_DEG, SEATS, SPACING_M, Fix, densify

BEAT_SIDE_M = 1_200.0  # the square beat around the seat
PATROL_KMH = 30.0
PLATE_COLOR_WHITE = 4  # police plates (JT/T 697.7)


def terminal_of(division: str, n: int) -> str:
    """The terminal number of demo patrol car ``n`` of a county (digits, 12 of them)."""
    return f"1399{division}{n:02d}"


def plate_of(division: str, n: int) -> str:
    """The plate of demo patrol car ``n`` (1-9) of a county (a police plate ends in 警)."""
    return f"陕E{division[-3:]}{n}警"


@dataclass(frozen=True)
class PatrolCar:
    """A demo patrol car: its terminal, plate, county and its beat (a closed loop)."""

    phone: str
    plate: str
    division: str
    route: tuple[tuple[float, float], ...]
    plate_color: int = PLATE_COLOR_WHITE

    def lap(self, number: int) -> Iterator[Fix | None]:
        """One round of the beat at patrol speed."""
        wait_s = SPACING_M / 1000.0 / PATROL_KMH * 3600.0
        for lon, lat in self.route:
            yield Fix(lon, lat, PATROL_KMH, 0, wait_s)


def beat(lon: float, lat: float, n: int) -> tuple[tuple[float, float], ...]:
    """A square beat next to the seat, the n-th car's on the other side of it."""
    kx = EARTH_M_PER_DEG * math.cos(math.radians(lat))
    side_x, side_y = BEAT_SIDE_M / kx, BEAT_SIDE_M / EARTH_M_PER_DEG
    sign = 1 if n % 2 else -1
    x0, y0 = lon + sign * side_x / 4, lat + sign * side_y / 4
    corners = [(x0, y0), (x0 + side_x, y0), (x0 + side_x, y0 + side_y), (x0, y0 + side_y)]
    loop = densify([*corners, corners[0]])
    return tuple((round(x, 6), round(y, 6)) for x, y in loop[:-1])


def provision_patrol_cars(session: Session) -> list[PatrolCar]:
    """Register every demo unit's terminal as a police vehicle; their patrol cars to drive."""
    from zhian.core.scope import operator
    from zhian.domains.transport import service
    from zhian.domains.transport.schemas import VehicleCreate

    actor = operator("sim")
    cars: list[PatrolCar] = []
    per_county: Counter[str] = Counter()
    fitted = session.scalars(
        select(Unit).where(Unit.terminal_phone.is_not(None)).order_by(Unit.callsign)
    )
    for unit in fitted:
        assert unit.terminal_phone is not None
        seat = SEATS.get(unit.division)
        if seat is None:
            continue
        per_county[unit.division] += 1
        n = per_county[unit.division]
        plate = plate_of(unit.division, n)
        service.provision_vehicle(
            session,
            actor=actor,
            data=VehicleCreate(
                plate=plate,
                plate_color=PLATE_COLOR_WHITE,
                terminal_phone=unit.terminal_phone,
                division=unit.division,
                is_police_unit=True,
            ),
        )
        cars.append(PatrolCar(unit.terminal_phone, plate, unit.division, beat(*seat, n)))
    return cars

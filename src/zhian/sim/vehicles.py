"""Simulated dangerous-goods trucks driving between Weinan's county seats over JT/T 808.

Every truck has a deterministic route (out from one county seat to another and back, a point
every ~100 m, WGS-84) and a speed profile between 40 and 58 km/h (the roads between the
seats are ordinary roads, limited to 60 km/h for dangerous goods). A few trucks misbehave so
the console has something to show:

- index 1 speeds: a stretch above 80 km/h early on every lap;
- index 2 presses the emergency button once, early on its first lap: its terminal latches
  alarm bit 0 and reports it until an operator acknowledges the alert (JT/T 808 0x8203);
- index 3 stands still for 45 minutes halfway out on every lap (where it should not: far
  from where its trip starts and ends);
- index 4 goes silent early on its first lap (its permit still active), never to report again;
- index 5 leaves its corridor: a detour of 1.5 km off its road early on every lap.

``issue_demo_permits`` gives each truck a permit for its outward leg (the corridor is the
route's centreline, 300 m each side), so the corridor, arrival and signal-loss rules apply.

``run_vehicles`` drives them as real terminals over TCP (register, authenticate, report);
``provision_demo_vehicles`` registers them in the database first. Only these registered
vehicles are simulated: zhian never tracks people (DESIGN.md).
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import logging
import math
import random
import threading
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from enum import StrEnum
from typing import Protocol

from sqlalchemy.orm import Session

from zhian.domains.transport.models import Permit, Vehicle
from zhian.sim.jt808_terminal import SimTerminal, bearing

log = logging.getLogger(__name__)

# County seats (WGS-84, as the Weinan profile stores them).
SEATS: dict[str, tuple[float, float]] = {
    "610502": (109.505016, 34.500627),  # 临渭区
    "610503": (109.770031, 34.497218),  # 华州区
    "610522": (110.241104, 34.545546),  # 潼关县
    "610523": (109.936672, 34.798445),  # 大荔县
    "610524": (110.143981, 35.238391),  # 合阳县
    "610525": (109.927268, 35.191016),  # 澄城县
    "610526": (109.581380, 34.956604),  # 蒲城县
    "610527": (109.585631, 35.178253),  # 白水县
    "610528": (109.175180, 34.752077),  # 富平县
    "610581": (110.437269, 35.476963),  # 韩城市
    "610582": (110.086625, 34.567134),  # 华阴市
}
# Start and end county of each route; trucks beyond the list reuse them, the other way.
LEGS: tuple[tuple[str, str], ...] = (
    ("610502", "610503"),
    ("610523", "610582"),
    ("610502", "610526"),
    ("610525", "610524"),
    ("610524", "610581"),
    ("610582", "610522"),
    ("610526", "610527"),
    ("610528", "610526"),
    ("610502", "610523"),
    ("610503", "610582"),
    ("610523", "610525"),
    ("610527", "610525"),
)
SPACING_M = 100.0
EARTH_M_PER_DEG = 111_320.0
MIN_SPEED, MAX_SPEED = 40.0, 58.0
OVERSPEED_KMH = 92.0
STOP_S = 45 * 60.0  # how long the stopping truck stands still
STOP_REPORT_S = 30.0  # how often it reports while standing
# While an alarm is latched the terminal reads between reports in slices this long, so the
# platform's confirmation is answered at once and a stop request is seen soon.
LISTEN_SLICE_S = 0.5
# Where on a lap (fix number) each misbehaviour starts: early, so a demo shows them soon.
SPEEDING_AT, SPEEDING_FIXES = 20, 40
EMERGENCY_AT = 30
SILENT_AT = 40
# The detour: out over DETOUR_RAMP fixes, DETOUR_M off the road, back over DETOUR_RAMP; long
# enough to stay outside for over a minute even when the reports come a second apart.
DETOUR_AT, DETOUR_FIXES, DETOUR_RAMP = 50, 80, 10
DETOUR_M = 1_500.0
CORRIDOR_WIDTH_M = 300.0  # each side of the centreline
PLATE_COLOR_YELLOW = 2


class Behaviour(StrEnum):
    """How a simulated truck behaves on its route."""

    NORMAL = "normal"
    SPEEDING = "speeding"
    EMERGENCY = "emergency"
    LONG_STOP = "long_stop"
    SILENT = "silent"
    OFF_CORRIDOR = "off_corridor"


BEHAVIOURS = (
    Behaviour.NORMAL,
    Behaviour.SPEEDING,
    Behaviour.EMERGENCY,
    Behaviour.LONG_STOP,
    Behaviour.SILENT,
    Behaviour.OFF_CORRIDOR,
)


@dataclass(frozen=True)
class Fix:
    """One report to send: where, how fast, alarm word, and sim seconds until the next."""

    lon: float
    lat: float
    speed_kmh: float
    alarm: int
    wait_s: float
    # The driver presses the emergency button with this fix (the terminal latches bit 0).
    press: bool = False


@dataclass(frozen=True)
class SimVehicle:
    """A simulated truck: its registration, its road (``corridor``, start to end) and its
    route along it (start to end and back, a point every ~100 m)."""

    index: int
    plate: str
    phone: str
    division: str
    destination: str
    behaviour: Behaviour
    corridor: tuple[tuple[float, float], ...]
    route: tuple[tuple[float, float], ...]
    speeds: tuple[float, ...]

    @property
    def plate_color(self) -> int:
        """Goods vehicles carry yellow plates."""
        return PLATE_COLOR_YELLOW

    @property
    def stop_at(self) -> int:
        """Where on a lap the stopping truck stands: halfway out, far from both ends."""
        return len(self.route) // 4

    def _detour(self, i: int, lon: float, lat: float) -> tuple[float, float]:
        """The point ``i`` pushed sideways off the road (DETOUR_M, ramped at both ends)."""
        k = i - DETOUR_AT
        if not 0 < k < DETOUR_FIXES:
            return lon, lat
        (x0, y0), (x1, y1) = self.route[i - 1], self.route[i + 1]
        kx = EARTH_M_PER_DEG * math.cos(math.radians(lat))
        dx, dy = (x1 - x0) * kx, (y1 - y0) * EARTH_M_PER_DEG
        norm = math.hypot(dx, dy) or 1.0
        off = DETOUR_M * min(1.0, k / DETOUR_RAMP, (DETOUR_FIXES - k) / DETOUR_RAMP)
        return round(lon - dy / norm * off / kx, 6), round(
            lat + dx / norm * off / EARTH_M_PER_DEG, 6
        )

    def lap(self, number: int) -> Iterator[Fix | None]:
        """The fixes of one lap; ``None`` means the truck goes silent from here on."""
        for i, (lon, lat) in enumerate(self.route):
            speed = self.speeds[i]
            if (
                self.behaviour is Behaviour.SPEEDING
                and SPEEDING_AT <= i < SPEEDING_AT + SPEEDING_FIXES
            ):
                speed = OVERSPEED_KMH + (i % 4)
            press = self.behaviour is Behaviour.EMERGENCY and number == 0 and i == EMERGENCY_AT
            if self.behaviour is Behaviour.SILENT and number == 0 and i == SILENT_AT:
                yield None
                return
            if self.behaviour is Behaviour.LONG_STOP and i == self.stop_at:
                for _ in range(int(STOP_S // STOP_REPORT_S)):
                    yield Fix(lon, lat, 0.0, 0, STOP_REPORT_S)
            if self.behaviour is Behaviour.OFF_CORRIDOR:
                lon, lat = self._detour(i, lon, lat)
            yield Fix(lon, lat, speed, 0, SPACING_M / 1000.0 / speed * 3600.0, press=press)


def _distance_m(a: tuple[float, float], b: tuple[float, float]) -> float:
    dx = (b[0] - a[0]) * EARTH_M_PER_DEG * math.cos(math.radians((a[1] + b[1]) / 2))
    dy = (b[1] - a[1]) * EARTH_M_PER_DEG
    return math.hypot(dx, dy)


def densify(
    waypoints: Sequence[tuple[float, float]], spacing_m: float = SPACING_M
) -> list[tuple[float, float]]:
    """Points along the polyline through ``waypoints``, about ``spacing_m`` apart."""
    out: list[tuple[float, float]] = [waypoints[0]]
    for a, b in itertools.pairwise(waypoints):
        steps = max(1, round(_distance_m(a, b) / spacing_m))
        for k in range(1, steps + 1):
            t = k / steps
            out.append((round(a[0] + (b[0] - a[0]) * t, 6), round(a[1] + (b[1] - a[1]) * t, 6)))
    return out


def _waypoints(start: str, end: str, rng: random.Random) -> list[tuple[float, float]]:
    """Start seat, two gently offset intermediate points, end seat: a straight-ish road."""
    (x0, y0), (x1, y1) = SEATS[start], SEATS[end]
    nx, ny = -(y1 - y0), x1 - x0  # perpendicular, as long as the leg
    points = [(x0, y0)]
    for t in (0.35, 0.7):
        bend = rng.uniform(-0.04, 0.04)
        points.append((x0 + (x1 - x0) * t + nx * bend, y0 + (y1 - y0) * t + ny * bend))
    points.append((x1, y1))
    return points


def _speeds(count: int, rng: random.Random) -> tuple[float, ...]:
    """A smooth speed profile within MIN_SPEED-MAX_SPEED km/h."""
    base = rng.uniform(46.0, 52.0)
    phase = rng.uniform(0, math.tau)
    span = min(base - MIN_SPEED, MAX_SPEED - base)
    return tuple(round(base + span * math.sin(phase + i / 25.0) * 0.9, 1) for i in range(count))


def fleet(count: int) -> list[SimVehicle]:
    """The first ``count`` simulated trucks, the same every time."""
    out: list[SimVehicle] = []
    for i in range(count):
        rng = random.Random(f"zhian-sim-vehicle-{i}")
        start, end = LEGS[i % len(LEGS)]
        if (i // len(LEGS)) % 2:  # the next truck on the same road drives it the other way
            start, end = end, start
        road = _waypoints(start, end, rng)
        outward = densify(road)
        route = outward + outward[-2:0:-1]
        out.append(
            SimVehicle(
                index=i,
                plate=f"陕ED{i + 1:04d}",
                phone=f"139{i + 1:08d}",
                division=start,
                destination=end,
                behaviour=BEHAVIOURS[i] if i < len(BEHAVIOURS) else Behaviour.NORMAL,
                corridor=tuple((round(x, 6), round(y, 6)) for x, y in road),
                route=tuple(route),
                speeds=_speeds(len(route), rng),
            )
        )
    return out


def provision_demo_vehicles(session: Session, count: int) -> list[Vehicle]:
    """Register the first ``count`` simulated trucks, each in the county where it starts."""
    from zhian.core.scope import operator
    from zhian.domains.transport import service
    from zhian.domains.transport.schemas import VehicleCreate

    actor = operator("sim")
    vehicles: list[Vehicle] = []
    for sim in fleet(count):
        data = VehicleCreate(
            plate=sim.plate,
            plate_color=PLATE_COLOR_YELLOW,
            terminal_phone=sim.phone,
            division=sim.division,
            hazard_classes=["2.1", "3"] if sim.index % 2 == 0 else ["8"],
            body_type="tank" if sim.index % 3 else "van",
        )
        vehicles.append(service.provision_vehicle(session, actor=actor, data=data))
    return vehicles


def issue_demo_permits(
    session: Session, vehicles: Sequence[Vehicle], *, now: datetime, hours: float = 24.0
) -> list[Permit]:
    """A permit per simulated truck for its outward leg, valid from a minute before ``now``.

    Not earlier: a truck that has not reported yet would count as silent (signal loss) from
    the permit's start; the minute covers report times truncated to the second."""
    from zhian.core.scope import operator
    from zhian.domains.places import service as places
    from zhian.domains.transport import permits
    from zhian.domains.transport.permit_schemas import PermitCreate

    def name(code: str) -> str:
        found = places.find_division(session, code)
        return found.name if found else code

    actor = operator("sim")
    out = []
    for sim, vehicle in zip(fleet(len(vehicles)), vehicles, strict=True):
        fuel = "3" in vehicle.hazard_classes.split(",")
        data = PermitCreate.model_validate(
            {
                "vehicle_id": vehicle.id,
                "un_number": "1203" if fuel else "1830",  # petrol; sulphuric acid
                "hazard_class": "3" if fuel else "8",
                "quantity": 30.0 if fuel else 25.0,
                "unit": "t",
                "origin": f"{name(sim.division)}危险货物仓储区",
                "destination": f"{name(sim.destination)}危险货物仓储区",
                "valid_from": (now - timedelta(minutes=1)).isoformat(),
                "valid_until": (now + timedelta(hours=hours)).isoformat(),
                "corridor": {"type": "LineString", "coordinates": [list(p) for p in sim.corridor]},
                "corridor_width_m": CORRIDOR_WIDTH_M,
            }
        )
        out.append(permits.issue_permit(session, actor=actor, data=data))
    return out


async def _pause(stop_event: asyncio.Event, seconds: float) -> bool:
    """Wait ``seconds`` (real); True if asked to stop meanwhile."""
    with contextlib.suppress(TimeoutError):
        await asyncio.wait_for(stop_event.wait(), max(seconds, 0.0))
    return stop_event.is_set()


class _Clock:
    """Report times: the wall clock, but always at least a second after the last one."""

    def __init__(self) -> None:
        self.last: datetime | None = None

    def next(self) -> datetime:
        now = datetime.now(UTC).replace(microsecond=0)
        if self.last is not None and now <= self.last:
            now = self.last + timedelta(seconds=1)
        self.last = now
        return now


async def _between_reports(
    terminal: SimTerminal, stop_event: asyncio.Event, seconds: float
) -> bool:
    """Wait until the next report; True if asked to stop. While an alarm is latched the
    terminal reads meanwhile, so an operator's confirmation is answered (and the bit cleared)
    within the platform's wait, not at the next report."""
    if not terminal.alarm:
        return await _pause(stop_event, seconds)
    loop = asyncio.get_running_loop()
    end = loop.time() + max(seconds, 0.0)
    while not stop_event.is_set():
        left = end - loop.time()
        if left <= 0:
            return False
        if not await terminal.listen(min(left, LISTEN_SLICE_S)):
            raise ConnectionError("platform closed the connection")
    return True


class Driven(Protocol):
    """Anything the driver can run as a terminal: a truck, or a demo patrol car."""

    @property
    def phone(self) -> str: ...

    @property
    def plate(self) -> str: ...

    @property
    def plate_color(self) -> int: ...

    def lap(self, number: int) -> Iterator[Fix | None]: ...


async def _drive(
    sim: Driven, host: str, port: int, speedup: float, stop_event: asyncio.Event
) -> None:
    """Connect (again after a failure), then report the route lap after lap until stopped."""
    clock = _Clock()
    auth_code: str | None = None
    lap, position = 0, 0
    latched = 0  # the terminal's latched alarm bits outlive a connection
    while not stop_event.is_set():
        terminal = SimTerminal(
            sim.phone, plate=sim.plate, plate_color=sim.plate_color, auth_code=auth_code
        )
        terminal.alarm = latched
        try:
            await terminal.connect(host, port)
            if terminal.auth_code is None and await terminal.register() != 0:
                raise ConnectionError(f"{sim.plate}: registration refused")
            if await terminal.authenticate() != 0:
                auth_code = None  # registered again on the next attempt
                raise ConnectionError(f"{sim.plate}: authentication refused")
            auth_code = terminal.auth_code
            while not stop_event.is_set():
                fixes = list(sim.lap(lap))
                while position < len(fixes):
                    fix = fixes[position]
                    if fix is None:
                        log.info("%s goes silent", sim.plate)
                        await terminal.close()
                        await stop_event.wait()
                        return
                    nxt = fixes[position + 1] if position + 1 < len(fixes) else None
                    heading = 0
                    if nxt is not None and (nxt.lon, nxt.lat) != (fix.lon, fix.lat):
                        heading = bearing(fix.lon, fix.lat, nxt.lon, nxt.lat)
                    if fix.press:
                        terminal.press_emergency()
                    await terminal.locate(
                        fix.lon,
                        fix.lat,
                        fix.speed_kmh,
                        clock.next(),
                        heading=heading,
                        alarm=fix.alarm,
                    )
                    position += 1
                    latched = terminal.alarm
                    stopped = await _between_reports(terminal, stop_event, fix.wait_s / speedup)
                    latched = terminal.alarm
                    if stopped:
                        break
                else:
                    lap, position = lap + 1, 0
        except (OSError, ConnectionError, TimeoutError) as exc:
            log.info("%s: %s; retrying", sim.plate, exc or type(exc).__name__)
            await _pause(stop_event, 2.0)
        finally:
            await terminal.close()


async def run_vehicles(
    count: int,
    host: str,
    port: int,
    *,
    speedup: float = 1.0,
    stop_event: asyncio.Event,
    also: Sequence[Driven] = (),
) -> None:
    """Drive ``count`` simulated trucks (and ``also``, e.g. patrol cars) against the JT/T 808
    gateway until ``stop_event``."""
    if speedup <= 0:
        raise ValueError("speedup must be positive")
    driven: list[Driven] = [*fleet(count), *also]
    await asyncio.gather(*(_drive(s, host, port, speedup, stop_event) for s in driven))


def drive(count: int, host: str, port: int, *, speedup: float = 1.0) -> None:
    """Run ``run_vehicles`` in this thread until Ctrl-C (for the command line)."""

    async def main() -> None:
        await run_vehicles(count, host, port, speedup=speedup, stop_event=asyncio.Event())

    with contextlib.suppress(KeyboardInterrupt):
        asyncio.run(main())


def start_in_thread(
    count: int, host: str, port: int, *, speedup: float = 1.0, also: Sequence[Driven] = ()
) -> Callable[[], None]:
    """Run ``run_vehicles`` in a daemon thread; returns the function that stops it."""
    loop = asyncio.new_event_loop()
    stop_event = asyncio.Event()

    def target() -> None:
        asyncio.set_event_loop(loop)
        try:
            loop.run_until_complete(
                run_vehicles(count, host, port, speedup=speedup, stop_event=stop_event, also=also)
            )
        finally:
            loop.close()

    thread = threading.Thread(target=target, name="zhian-sim-vehicles", daemon=True)
    thread.start()

    def stop() -> None:
        if not loop.is_closed():
            with contextlib.suppress(RuntimeError):
                loop.call_soon_threadsafe(stop_event.set)
        thread.join(timeout=10)

    return stop

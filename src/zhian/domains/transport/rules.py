"""Monitoring rules as pure functions: what one fix does to an alert episode.

An episode is a run of fixes in which a rule holds; it opens one alert, however many fixes
it lasts. The service keeps the episode on the alert row and applies the step these
functions return.

- Emergency button (alarm bit 0): the episode lasts while the bit is set. Terminals latch
  the bit until the platform acknowledges it, so a pressed button shows in every fix after.
- Overspeed: a fix above the limit of its road (expressway or ordinary) opens (or
  continues) the episode; it ends only after
  ``calm_positions`` consecutive fixes at or under the limit, so a vehicle hovering around
  the limit raises one alert, not one per crossing.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime, time
from enum import StrEnum
from zoneinfo import ZoneInfo

SHANGHAI = ZoneInfo("Asia/Shanghai")
HOURS = re.compile(r"^([01]\d|2[0-3]):([0-5]\d)-([01]\d|2[0-3]):([0-5]\d)$")
EMERGENCY_BIT = 0
# GB 21668 / the dangerous-goods transport rules: 80 km/h on expressways, 60 elsewhere.
DEFAULT_SPEED_LIMIT_KMH = 80.0
DEFAULT_ORDINARY_SPEED_LIMIT_KMH = 60.0
DEFAULT_CALM_POSITIONS = 3
DEFAULT_DEVIATION_SECONDS = 60.0
DEFAULT_INSIDE_POSITIONS = 3
DEFAULT_ARRIVAL_M = 300.0
# Motion rules (motion_rules.py). The fatigue defaults are the regulation's: at least 20
# minutes' rest after 4 hours of continuous driving.
DEFAULT_MOVING_KMH = 5.0
DEFAULT_DRIVING_LIMIT_S = 4 * 3600.0
DEFAULT_REST_S = 20 * 60.0
DEFAULT_STOP_S = 15 * 60.0
DEFAULT_STOP_RADIUS_M = 300.0
DEFAULT_NIGHT_HOURS: str | None = "22:00-06:00"
DEFAULT_SIGNAL_LOSS_S = 10 * 60.0


@dataclass(frozen=True, slots=True)
class AlertRules:
    """The configurable thresholds of the monitoring rules."""

    # The limit on expressways (``speed_limit_kmh``) and on every other road.
    speed_limit_kmh: float = DEFAULT_SPEED_LIMIT_KMH
    ordinary_speed_limit_kmh: float = DEFAULT_ORDINARY_SPEED_LIMIT_KMH
    calm_positions: int = DEFAULT_CALM_POSITIONS
    # Corridor and no-go rules (corridor_rules.py).
    deviation_seconds: float = DEFAULT_DEVIATION_SECONDS
    inside_positions: int = DEFAULT_INSIDE_POSITIONS
    arrival_m: float = DEFAULT_ARRIVAL_M
    # Motion rules: what counts as moving, fatigue, unscheduled stops, night driving.
    moving_kmh: float = DEFAULT_MOVING_KMH
    driving_limit_s: float = DEFAULT_DRIVING_LIMIT_S
    rest_s: float = DEFAULT_REST_S
    stop_s: float = DEFAULT_STOP_S
    stop_radius_m: float = DEFAULT_STOP_RADIUS_M
    night_hours: str | None = DEFAULT_NIGHT_HOURS
    # Signal loss while a permit is active (signal.py, a periodic check).
    signal_loss_s: float = DEFAULT_SIGNAL_LOSS_S

    def __post_init__(self) -> None:
        if not self.speed_limit_kmh > 0:
            raise ValueError("speed_limit_kmh: a positive speed is required")
        if not self.ordinary_speed_limit_kmh > 0:
            raise ValueError("ordinary_speed_limit_kmh: a positive speed is required")
        if self.calm_positions < 1:
            raise ValueError("calm_positions: at least 1")
        if self.deviation_seconds < 0:
            raise ValueError("deviation_seconds: not negative")
        if self.inside_positions < 1:
            raise ValueError("inside_positions: at least 1")
        if not self.arrival_m > 0:
            raise ValueError("arrival_m: a positive distance is required")
        for name in ("moving_kmh", "driving_limit_s", "rest_s", "stop_s", "stop_radius_m"):
            if not getattr(self, name) > 0:
                raise ValueError(f"{name}: a positive value is required")
        if not self.signal_loss_s > 0:
            raise ValueError("signal_loss_s: a positive value is required")
        if self.night_hours is not None:
            try:
                parse_hours(self.night_hours)
            except ValueError as exc:
                raise ValueError(f"night_hours: {exc}") from None


@dataclass(frozen=True, slots=True)
class Fix:
    """One fix as the rules read it (a plain value: the batch path stores fixes with one
    bulk insert, so the rules must not need a mapped ``Position`` row)."""

    event_id: str
    located_at: datetime
    lon: float
    lat: float
    speed_kmh: float
    heading: int
    altitude_m: int
    alarm: int
    status: int


class Step(StrEnum):
    """What a fix does to a rule's episode."""

    NONE = "none"  # no episode, and none begins
    OPEN = "open"  # a new episode begins: open an alert
    CONTINUE = "continue"  # the episode goes on (the rule still holds)
    CALMING = "calming"  # overspeed: under the limit again, but not for long enough yet
    END = "end"  # the episode is over


def emergency_pressed(alarm: int) -> bool:
    """Whether the alarm word has the emergency button bit set."""
    return bool(alarm >> EMERGENCY_BIT & 1)


def emergency_step(*, active: bool, alarm: int) -> Step:
    """The emergency rule for one fix, given whether an episode is active."""
    if emergency_pressed(alarm):
        return Step.CONTINUE if active else Step.OPEN
    return Step.END if active else Step.NONE


def held_step(
    *, active: bool, calm_count: int, holds: bool, calm_positions: int
) -> tuple[Step, int]:
    """A rule that opens on the first fix where it holds and ends after ``calm_positions``
    consecutive fixes where it does not: the step and the new count of calm fixes."""
    if holds:
        return (Step.CONTINUE if active else Step.OPEN), 0
    if not active:
        return Step.NONE, 0
    calm = calm_count + 1
    return (Step.END if calm >= calm_positions else Step.CALMING), calm


def speed_limit(rules: AlertRules, *, on_expressway: bool) -> float:
    """The speed limit on the road the fix is on."""
    return rules.speed_limit_kmh if on_expressway else rules.ordinary_speed_limit_kmh


def overspeed_step(
    rules: AlertRules, *, active: bool, calm_count: int, speed_kmh: float, on_expressway: bool
) -> tuple[Step, int]:
    """The overspeed rule for one fix: the step and the new count of calm fixes."""
    return held_step(
        active=active,
        calm_count=calm_count,
        holds=speed_kmh > speed_limit(rules, on_expressway=on_expressway),
        calm_positions=rules.calm_positions,
    )


def parse_hours(spec: str) -> tuple[time, time]:
    """``"HH:MM-HH:MM"`` as start and end times; ValueError if malformed or empty."""
    m = HOURS.fullmatch(spec.strip())
    if m is None:
        raise ValueError("restricted hours must look like 07:00-09:00")
    start = time(int(m[1]), int(m[2]))
    end = time(int(m[3]), int(m[4]))
    if start == end:
        raise ValueError("restricted hours must not start and end at the same time")
    return start, end


def in_hours(spec: str | None, at: datetime) -> bool:
    """Whether ``at`` (aware) falls in the Asia/Shanghai hours (start inclusive); None: always."""
    if spec is None:
        return True
    start, end = parse_hours(spec)
    local = at.astimezone(SHANGHAI).time()
    if start < end:
        return start <= local < end
    return local >= start or local < end  # wraps midnight, e.g. 22:00-06:00

"""Monitoring rules as pure functions: what one fix does to an alert episode.

An episode is a run of fixes in which a rule holds; it opens one alert, however many fixes
it lasts. The service keeps the episode on the alert row and applies the step these
functions return.

- Emergency button (alarm bit 0): the episode lasts while the bit is set. Terminals latch
  the bit until the platform acknowledges it, so a pressed button shows in every fix after.
- Overspeed: a fix above the limit opens (or continues) the episode; it ends only after
  ``calm_positions`` consecutive fixes at or under the limit, so a vehicle hovering around
  the limit raises one alert, not one per crossing.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

EMERGENCY_BIT = 0
DEFAULT_SPEED_LIMIT_KMH = 80.0
DEFAULT_CALM_POSITIONS = 3
DEFAULT_DEVIATION_SECONDS = 60.0
DEFAULT_INSIDE_POSITIONS = 3
DEFAULT_ARRIVAL_M = 300.0


@dataclass(frozen=True, slots=True)
class AlertRules:
    """The configurable thresholds of the monitoring rules."""

    speed_limit_kmh: float = DEFAULT_SPEED_LIMIT_KMH
    calm_positions: int = DEFAULT_CALM_POSITIONS
    # Corridor and no-go rules (corridor_rules.py).
    deviation_seconds: float = DEFAULT_DEVIATION_SECONDS
    inside_positions: int = DEFAULT_INSIDE_POSITIONS
    arrival_m: float = DEFAULT_ARRIVAL_M

    def __post_init__(self) -> None:
        if not self.speed_limit_kmh > 0:
            raise ValueError("speed_limit_kmh: a positive speed is required")
        if self.calm_positions < 1:
            raise ValueError("calm_positions: at least 1")
        if self.deviation_seconds < 0:
            raise ValueError("deviation_seconds: not negative")
        if self.inside_positions < 1:
            raise ValueError("inside_positions: at least 1")
        if not self.arrival_m > 0:
            raise ValueError("arrival_m: a positive distance is required")


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


def overspeed_step(
    rules: AlertRules, *, active: bool, calm_count: int, speed_kmh: float
) -> tuple[Step, int]:
    """The overspeed rule for one fix: the step and the new count of calm fixes."""
    if speed_kmh > rules.speed_limit_kmh:
        return (Step.CONTINUE if active else Step.OPEN), 0
    if not active:
        return Step.NONE, 0
    calm = calm_count + 1
    return (Step.END if calm >= rules.calm_positions else Step.CALMING), calm

"""Fatigue driving, unscheduled stops and night driving as pure functions of the motion.

A fix is *moving* at ``moving_kmh`` or more; below that the vehicle is halted. The motion
state kept between fixes (on the vehicle row) is:

- ``stint_start``: when the current stretch of continuous driving began. A halt of at least
  ``rest_s`` is a rest and ends the stretch; shorter halts (traffic lights, a queue at a toll)
  do not, as the regulation counts driving time between rests, not time at speed.
- ``halt_since`` and where: the first halted fix of the current halt.

A gap in the reports is a rest only when the vehicle is still where the last fix put it
(within ``stop_radius_m``): a terminal that sleeps with the ignition off sends nothing for a
night, and the morning's driving must not count the day before; a truck that reappears
somewhere else was driving, not resting, while it was silent.

- Fatigue: an episode opens at the first moving fix after ``driving_limit_s`` of continuous
  driving and lasts until a rest (so the alert ends when the driver has rested enough).
- Unscheduled stop (only with an active permit): halted longer than ``stop_s`` more than
  ``stop_radius_m`` from every approved stop and from the route's ends; the episode opens
  at the start of the halt and ends after ``calm_positions`` consecutive moving fixes.
- Night driving (only with an active permit): moving during ``night_hours``
  (Asia/Shanghai); ends after ``calm_positions`` consecutive fixes that are not.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta

from zhian.domains.transport import corridor as geo
from zhian.domains.transport.rules import AlertRules, Step, held_step, in_hours

Point = tuple[float, float]


@dataclass(frozen=True, slots=True)
class Motion:
    """Where a vehicle's driving and halting stand between fixes."""

    stint_start: datetime | None = None
    halt_since: datetime | None = None
    halt_at: Point | None = None
    last_at: datetime | None = None
    last_point: Point | None = None


def moving(rules: AlertRules, speed_kmh: float) -> bool:
    """Whether a fix at this speed counts as driving."""
    return speed_kmh >= rules.moving_kmh


def advance(
    rules: AlertRules, state: Motion, *, at: datetime, point: Point, speed_kmh: float
) -> Motion:
    """The motion state after one fix newer than ``state.last_at``."""
    rest = timedelta(seconds=rules.rest_s)
    stint = state.stint_start
    if (
        state.last_at is not None
        and state.last_point is not None
        and at - state.last_at >= rest
        and geo.distance_m(state.last_point, point) <= rules.stop_radius_m
    ):
        stint = None  # silent but parked for a rest's length: the silence was a rest
    if moving(rules, speed_kmh):
        return Motion(
            stint_start=stint or at, halt_since=None, halt_at=None, last_at=at, last_point=point
        )
    halt_since, halt_at = state.halt_since, state.halt_at
    if halt_since is None or halt_at is None:
        halt_since, halt_at = at, point
    if at - halt_since >= rest:
        stint = None
    return Motion(
        stint_start=stint, halt_since=halt_since, halt_at=halt_at, last_at=at, last_point=point
    )


def fatigue_step(rules: AlertRules, state: Motion, *, active: bool, speed_kmh: float) -> Step:
    """The fatigue rule for the fix that produced ``state`` (already advanced)."""
    if state.stint_start is None:
        return Step.END if active else Step.NONE
    if active:
        return Step.CONTINUE
    assert state.last_at is not None
    driving = state.last_at - state.stint_start
    if moving(rules, speed_kmh) and driving > timedelta(seconds=rules.driving_limit_s):
        return Step.OPEN
    return Step.NONE


def unscheduled_halt(rules: AlertRules, state: Motion, *, allowed: Iterable[Point]) -> bool:
    """Whether the vehicle has been halted too long away from every allowed place."""
    if state.halt_since is None or state.halt_at is None or state.last_at is None:
        return False
    if state.last_at - state.halt_since <= timedelta(seconds=rules.stop_s):
        return False
    halt_at = state.halt_at
    return all(geo.distance_m(halt_at, place) > rules.stop_radius_m for place in allowed)


def stop_step(
    rules: AlertRules, state: Motion, *, active: bool, calm_count: int, allowed: Iterable[Point]
) -> tuple[Step, int]:
    """The unscheduled-stop rule: the step and the new count of moving fixes."""
    holds = unscheduled_halt(rules, state, allowed=allowed)
    if active and not holds and state.halt_since is not None:
        return Step.CONTINUE, 0  # still halted: the episode goes on until it drives off
    return held_step(
        active=active, calm_count=calm_count, holds=holds, calm_positions=rules.calm_positions
    )


def night_step(
    rules: AlertRules,
    *,
    active: bool,
    calm_count: int,
    at: datetime,
    speed_kmh: float,
    on_trip: bool,
) -> tuple[Step, int]:
    """The night-driving rule for one fix: the step and the new count of calm fixes."""
    holds = (
        on_trip
        and rules.night_hours is not None
        and moving(rules, speed_kmh)
        and in_hours(rules.night_hours, at)
    )
    return held_step(
        active=active, calm_count=calm_count, holds=holds, calm_positions=rules.calm_positions
    )

"""Fatigue, unscheduled stop and night driving as pure functions of the motion."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from zhian.domains.transport import motion_rules as mr
from zhian.domains.transport.rules import SHANGHAI, AlertRules, Step

T0 = datetime(2026, 11, 2, 0, 0, tzinfo=UTC)  # 08:00 in Shanghai
RULES = AlertRules(calm_positions=2)
HERE = (109.5, 34.5)
FAR = (109.6, 34.5)  # about 9 km east


def run(
    fixes: list[tuple[float, float, tuple[float, float]]], rules: AlertRules = RULES
) -> mr.Motion:
    """The motion state after fixes (minutes after T0, speed, point)."""
    state = mr.Motion()
    for minute, speed, point in fixes:
        at = T0 + timedelta(minutes=minute)
        state = mr.advance(rules, state, at=at, point=point, speed_kmh=speed)
    return state


def test_driving_starts_a_stint_and_short_halts_do_not_end_it() -> None:
    state = run([(0, 60, HERE), (10, 0, HERE), (29, 0, HERE), (30, 60, HERE)])
    assert state.stint_start == T0 and state.halt_since is None


def test_a_halt_of_rest_length_ends_the_stint() -> None:
    state = run([(0, 60, HERE), (10, 0, HERE), (30, 0, HERE)])
    assert state.stint_start is None and state.halt_since == T0 + timedelta(minutes=10)
    state = run([(0, 60, HERE), (10, 0, HERE), (30, 0, HERE), (31, 60, HERE)])
    assert state.stint_start == T0 + timedelta(minutes=31)


def test_a_silent_gap_is_a_rest_only_if_the_vehicle_stayed_put() -> None:
    parked = run([(0, 60, HERE), (300, 60, (109.5005, 34.5))])  # 5 h later, ~46 m away
    assert parked.stint_start == T0 + timedelta(minutes=300)
    moved = run([(0, 60, HERE), (300, 60, FAR)])
    assert moved.stint_start == T0
    short = run([(0, 60, HERE), (15, 60, HERE)])  # 15 min silent: not a rest's length
    assert short.stint_start == T0


def test_slow_creeping_is_not_driving() -> None:
    assert not mr.moving(RULES, 4.9) and mr.moving(RULES, 5.0)


def fatigue_steps(fixes: list[tuple[float, float]]) -> list[Step]:
    """The fatigue step per fix (minutes, speed), the alert following its own steps."""
    state, active, steps = mr.Motion(), False, []
    point = HERE
    for minute, speed in fixes:
        at = T0 + timedelta(minutes=minute)
        if speed > 0:  # on the road, about 90 m further east each minute since T0
            point = (HERE[0] + minute * 1e-3, HERE[1])
        state = mr.advance(RULES, state, at=at, point=point, speed_kmh=speed)
        step = mr.fatigue_step(RULES, state, active=active, speed_kmh=speed)
        active = step in (Step.OPEN, Step.CONTINUE) or (active and step is Step.NONE)
        steps.append(step)
    return steps


def test_fatigue_opens_after_four_hours_and_ends_with_a_rest() -> None:
    drive = [(m, 60.0) for m in range(0, 241, 30)]  # 0 .. 240 min, exactly 4 h at the end
    assert set(fatigue_steps(drive)) == {Step.NONE}
    steps = fatigue_steps([*drive, (245, 60.0), (250, 0.0), (260, 60.0), (265, 0.0)])
    assert steps[-4:] == [Step.OPEN, Step.CONTINUE, Step.CONTINUE, Step.CONTINUE]
    steps = fatigue_steps([*drive, (245, 60.0), (250, 0.0), (270, 0.0), (271, 60.0)])
    assert steps[-3:] == [Step.CONTINUE, Step.END, Step.NONE]


def test_fatigue_needs_a_moving_fix_to_open() -> None:
    # Stopped at 4 h 10 min after driving since T0, before a rest's length: not yet driving on.
    steps = fatigue_steps([(m, 60.0) for m in range(0, 241, 30)] + [(250, 0.0)])
    assert steps[-1] is Step.NONE


def stop_steps(
    fixes: list[tuple[float, float, tuple[float, float]]], allowed: list[tuple[float, float]]
) -> list[Step]:
    state, active, calm, steps = mr.Motion(), False, 0, []
    for minute, speed, point in fixes:
        at = T0 + timedelta(minutes=minute)
        state = mr.advance(RULES, state, at=at, point=point, speed_kmh=speed)
        step, calm = mr.stop_step(RULES, state, active=active, calm_count=calm, allowed=allowed)
        if step is Step.OPEN:
            active = True
        elif step is Step.END:
            active = False
        steps.append(step)
    return steps


def test_a_long_halt_away_from_approved_places_is_an_unscheduled_stop() -> None:
    halt = [(0, 50, FAR), (1, 0, FAR), (16, 0, FAR), (17, 0, FAR), (20, 0, FAR)]
    steps = stop_steps(halt, allowed=[HERE])
    assert steps == [Step.NONE, Step.NONE, Step.NONE, Step.OPEN, Step.CONTINUE]
    # A one-fix jitter above the moving speed does not end it; two moving fixes do.
    steps = stop_steps([*halt, (21, 6, FAR), (22, 0, FAR), (23, 40, FAR), (24, 40, FAR)], [HERE])
    assert steps[-4:] == [Step.CALMING, Step.CONTINUE, Step.CALMING, Step.END]


def test_halting_at_an_approved_stop_is_not_an_alert() -> None:
    near = (109.6010, 34.5)  # ~92 m from FAR
    halt = [(0, 50, FAR), (1, 0, FAR), (30, 0, FAR)]
    assert stop_steps(halt, allowed=[near]) == [Step.NONE] * 3


@pytest.mark.parametrize(
    ("local_hour", "on_trip", "speed", "expected"),
    [
        (23, True, 50.0, Step.OPEN),
        (5, True, 50.0, Step.OPEN),
        (6, True, 50.0, Step.NONE),
        (23, False, 50.0, Step.NONE),
        (23, True, 0.0, Step.NONE),
    ],
)
def test_night_driving(local_hour: int, on_trip: bool, speed: float, expected: Step) -> None:
    at = datetime(2026, 11, 2, local_hour, 0, tzinfo=SHANGHAI)
    step, _ = mr.night_step(
        RULES, active=False, calm_count=0, at=at, speed_kmh=speed, on_trip=on_trip
    )
    assert step is expected


def test_night_rule_can_be_switched_off() -> None:
    rules = AlertRules(night_hours=None)
    at = datetime(2026, 11, 2, 23, 0, tzinfo=SHANGHAI)
    step, _ = mr.night_step(rules, active=False, calm_count=0, at=at, speed_kmh=50, on_trip=True)
    assert step is Step.NONE


@pytest.mark.parametrize(
    "kwargs",
    [{"night_hours": "25:00-06:00"}, {"rest_s": 0}, {"stop_radius_m": -1}, {"signal_loss_s": 0}],
)
def test_bad_thresholds_are_refused(kwargs: dict[str, object]) -> None:
    with pytest.raises(ValueError, match=next(iter(kwargs))):
        AlertRules(**kwargs)  # type: ignore[arg-type]

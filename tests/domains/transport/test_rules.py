"""The monitoring rules as pure functions: episodes, not pings."""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from zhian.domains.transport.rules import (
    AlertRules,
    Step,
    emergency_pressed,
    emergency_step,
    overspeed_step,
)

RULES = AlertRules(speed_limit_kmh=80.0, calm_positions=3)


def episodes(speeds: list[float], rules: AlertRules = RULES) -> int:
    """How many overspeed episodes a run of speeds opens."""
    active, calm, opened = False, 0, 0
    for speed in speeds:
        step, calm = overspeed_step(
            rules, active=active, calm_count=calm, speed_kmh=speed, on_expressway=True
        )
        if step is Step.OPEN:
            opened += 1
            active = True
        elif step is Step.END:
            active = False
    return opened


def test_emergency_bit_is_bit_zero() -> None:
    assert emergency_pressed(1)
    assert emergency_pressed(0xFFFFFFFF)
    assert not emergency_pressed(0b10)  # overspeed bit of the terminal, not the button


def test_emergency_opens_continues_and_ends_with_the_bit() -> None:
    assert emergency_step(active=False, alarm=1) is Step.OPEN
    assert emergency_step(active=True, alarm=1) is Step.CONTINUE
    assert emergency_step(active=True, alarm=0) is Step.END
    assert emergency_step(active=False, alarm=0) is Step.NONE


def test_the_limit_depends_on_the_road() -> None:
    assert (
        overspeed_step(RULES, active=False, calm_count=0, speed_kmh=70, on_expressway=True)[0]
        is Step.NONE
    )
    assert (
        overspeed_step(RULES, active=False, calm_count=0, speed_kmh=70, on_expressway=False)[0]
        is Step.OPEN
    )
    assert (
        overspeed_step(RULES, active=False, calm_count=0, speed_kmh=60, on_expressway=False)[0]
        is Step.NONE
    )


def test_overspeed_needs_more_than_the_limit() -> None:
    assert overspeed_step(
        RULES, active=False, calm_count=0, speed_kmh=80.0, on_expressway=True
    ) == (Step.NONE, 0)
    assert overspeed_step(
        RULES, active=False, calm_count=0, speed_kmh=80.1, on_expressway=True
    ) == (Step.OPEN, 0)


def test_overspeed_ends_after_the_calm_count_only() -> None:
    assert overspeed_step(RULES, active=True, calm_count=0, speed_kmh=60, on_expressway=True) == (
        Step.CALMING,
        1,
    )
    assert overspeed_step(RULES, active=True, calm_count=1, speed_kmh=60, on_expressway=True) == (
        Step.CALMING,
        2,
    )
    assert overspeed_step(RULES, active=True, calm_count=2, speed_kmh=60, on_expressway=True) == (
        Step.END,
        3,
    )
    # Over the limit again before that: the same episode, the calm count starts over.
    assert overspeed_step(RULES, active=True, calm_count=2, speed_kmh=90, on_expressway=True) == (
        Step.CONTINUE,
        0,
    )


def test_hovering_around_the_limit_is_one_episode() -> None:
    assert episodes([85, 79, 81, 78, 82, 79, 79, 83]) == 1
    assert episodes([85, 70, 70, 70, 85]) == 2


@given(st.lists(st.floats(min_value=0, max_value=200), max_size=60))
def test_episodes_never_exceed_the_runs_over_the_limit(speeds: list[float]) -> None:
    runs = sum(1 for i, s in enumerate(speeds) if s > 80 and (i == 0 or speeds[i - 1] <= 80))
    assert episodes(speeds) <= runs
    assert (episodes(speeds) == 0) == (runs == 0)


@pytest.mark.parametrize(
    "kwargs", [{"speed_limit_kmh": 0}, {"ordinary_speed_limit_kmh": 0}, {"calm_positions": 0}]
)
def test_rules_refuse_nonsense_thresholds(kwargs: dict[str, Any]) -> None:
    with pytest.raises(ValueError):
        AlertRules(**kwargs)

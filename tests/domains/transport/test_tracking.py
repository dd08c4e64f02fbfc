"""Positions stored once per event, and the alert episodes they drive, on both backends."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from tests.domains.transport.builders import (
    HOME,
    OTHER,
    RULES,
    START,
    actor,
    feed,
    provision,
    report,
)
from zhian.core.audit.service import AccessDenied
from zhian.core.errors import Conflict, Forbidden, InvalidInput
from zhian.domains.transport import tracking
from zhian.domains.transport.models import Alert, Position, Vehicle
from zhian.domains.transport.rules import AlertRules


def alerts(session: Session, vehicle: Vehicle, kind: str) -> list[Alert]:
    return list(
        session.scalars(
            select(Alert)
            .where(Alert.vehicle_id == vehicle.id, Alert.kind == kind)
            .order_by(Alert.id)
        )
    )


def count_positions(session: Session, vehicle: Vehicle) -> int:
    query = select(func.count()).where(Position.vehicle_id == vehicle.id)
    return session.scalar(query) or 0


def test_a_position_is_stored_once_per_event_id(session: Session) -> None:
    vehicle = provision(session)
    fix = report(vehicle, 0)
    first = tracking.record_position(session, report=fix, event_id="ev-1", rules=RULES)
    again = tracking.record_position(session, report=fix, event_id="ev-1", rules=RULES)
    assert first is not None and again is None
    assert count_positions(session, vehicle) == 1
    assert first.located_at == START and first.alarm == 0
    assert vehicle.last_position_at == START


def test_a_resent_fix_older_than_the_newest_is_still_stored_once(session: Session) -> None:
    # Only fixes not newer than the vehicle's newest are looked up: a blind-area resend.
    vehicle = provision(session)
    fixes = [report(vehicle, n) for n in range(5)]
    for n, fix in enumerate(fixes):
        assert tracking.record_position(session, report=fix, event_id=f"ev-{n}", rules=RULES)
    assert vehicle.last_position_at == START + timedelta(seconds=4)
    for n in (1, 4):  # an older one and the newest
        resent = tracking.record_position(session, report=fixes[n], event_id=f"ev-{n}", rules=RULES)
        assert resent is None
    # A different fix at an earlier time (another event id) is a late fix, stored.
    late = tracking.record_position(
        session, report=report(vehicle, 2, speed=12.0), event_id="ev-late", rules=RULES
    )
    assert late is not None and late.located_at == START + timedelta(seconds=2)
    assert count_positions(session, vehicle) == 6
    assert vehicle.last_position_at == START + timedelta(seconds=4)


def test_resends_hours_apart_are_looked_up_in_separate_spans(session: Session) -> None:
    vehicle = provision(session)
    seconds = [0, 1, 2, 3 * 3600, 3 * 3600 + 5]
    reports = [(f"ev-{s}", report(vehicle, s)) for s in seconds]
    assert len(tracking.record_positions(session, reports, RULES).stored) == 5
    # One batch resending an old fix among recent ones: all found, none stored again.
    again = tracking.record_positions(session, [reports[3], reports[1], reports[4]], RULES)
    assert again.stored == [] and count_positions(session, vehicle) == 5
    # Looked up in two spans, so the old fix does not stretch the recent ones' lookup.
    fixes = [(vehicle.id, tracking.fix_of(r, e)) for e, r in (reports[3], reports[1], reports[4])]
    spans = tracking._spans(fixes)
    assert [[f.event_id for _, f in span] for span in spans] == [
        ["ev-1"],
        [f"ev-{3 * 3600}", f"ev-{3 * 3600 + 5}"],
    ]


def test_an_unknown_terminal_is_refused(session: Session) -> None:
    vehicle = provision(session)
    fix = report(vehicle, 0).model_copy(update={"phone": "42"})
    with pytest.raises(tracking.UnknownTerminal):
        tracking.record_position(session, report=fix, event_id="ev-x", rules=RULES)


def test_alarm_words_with_bit_31_survive_the_round_trip(session: Session) -> None:
    vehicle = provision(session)
    fix = report(vehicle, 0, alarm=0x80000000, status=0xFFFFFFFF)
    stored = tracking.record_position(session, report=fix, event_id="ev-hi", rules=RULES)
    assert stored is not None
    session.expire_all()
    row = session.get(Position, stored.id)
    assert row is not None and (row.alarm, row.status) == (0x80000000, 0xFFFFFFFF)


def test_emergency_opens_at_once_and_once_per_episode(session: Session) -> None:
    vehicle = provision(session)
    feed(session, vehicle, [40.0], alarms=[1])
    opened = alerts(session, vehicle, "emergency")
    assert len(opened) == 1 and opened[0].status == "open" and opened[0].active
    assert opened[0].opened_at == START and opened[0].division == HOME
    feed(session, vehicle, [40.0] * 4, alarms=[1] * 4, start=1)
    (alert,) = alerts(session, vehicle, "emergency")
    assert alert.last_seen_at == START + timedelta(seconds=4)
    # The button released: the episode ends, the alert stays open until someone resolves it.
    feed(session, vehicle, [40.0], alarms=[0], start=5)
    assert not alert.active and alert.ended_at == START + timedelta(seconds=5)
    assert alert.status == "open"
    # Pressed again: a new episode, a new alert.
    feed(session, vehicle, [40.0], alarms=[1], start=6)
    assert len(alerts(session, vehicle, "emergency")) == 2


def test_resolving_during_the_episode_does_not_reopen_it(session: Session) -> None:
    vehicle = provision(session)
    feed(session, vehicle, [40.0, 40.0], alarms=[1, 1])
    (alert,) = alerts(session, vehicle, "emergency")
    resolved = tracking.resolve_alert(
        session, actor=actor(role="dispatcher"), alert_id=alert.id, note="已电话联系驾驶员，误触"
    )
    assert resolved.status == "resolved" and resolved.resolved_by == "reg"
    assert tracking.alert_out(resolved).plate == vehicle.plate
    # The terminal keeps the bit latched: still the same episode, no new alert.
    feed(session, vehicle, [40.0] * 3, alarms=[1] * 3, start=2)
    assert len(alerts(session, vehicle, "emergency")) == 1
    with pytest.raises(Conflict):
        tracking.resolve_alert(session, actor=actor(), alert_id=alert.id, note="again")


def test_overspeed_is_one_alert_per_episode_with_hysteresis(session: Session) -> None:
    vehicle = provision(session)
    # Over, dips under for fewer than 3 fixes twice, over again, then 3 calm fixes.
    feed(session, vehicle, [85, 90, 79, 78, 95, 70, 81, 60, 60, 60])
    (alert,) = alerts(session, vehicle, "overspeed")
    assert alert.peak_speed_kmh == 95
    assert alert.opened_at == START
    assert alert.last_seen_at == START + timedelta(seconds=6)
    assert not alert.active and alert.ended_at == START + timedelta(seconds=9)
    assert alert.status == "open"
    # Over the limit after the episode ended: a second alert.
    feed(session, vehicle, [100], start=10)
    assert [a.active for a in alerts(session, vehicle, "overspeed")] == [False, True]


def test_exactly_the_limit_is_not_overspeed_and_the_limit_is_configurable(
    session: Session,
) -> None:
    vehicle = provision(session)  # no expressway registered: every road is ordinary
    feed(session, vehicle, [60.0, 60.0])
    assert alerts(session, vehicle, "overspeed") == []
    rules = AlertRules(ordinary_speed_limit_kmh=50, calm_positions=1)
    feed(session, vehicle, [55.0], start=2, rules=rules)
    assert len(alerts(session, vehicle, "overspeed")) == 1


def test_late_fixes_are_stored_but_do_not_move_episodes(session: Session) -> None:
    vehicle = provision(session)
    feed(session, vehicle, [40.0], start=100)
    # A blind-area batch from before: too fast, but the episode is long past.
    feed(session, vehicle, [120.0, 120.0], start=10)
    assert count_positions(session, vehicle) == 3
    assert alerts(session, vehicle, "overspeed") == []
    assert vehicle.last_position_at == START + timedelta(seconds=100)


def test_an_emergency_in_a_late_fix_is_never_lost(session: Session) -> None:
    vehicle = provision(session)
    feed(session, vehicle, [40.0], start=100)
    feed(session, vehicle, [40.0, 40.0], alarms=[1, 1], start=10)
    (alert,) = alerts(session, vehicle, "emergency")
    assert alert.status == "open" and not alert.active
    assert alert.opened_at == START + timedelta(seconds=10)


def test_a_late_press_moves_the_open_alert_back(session: Session) -> None:
    vehicle = provision(session)
    feed(session, vehicle, [40.0], alarms=[1], start=100)
    feed(session, vehicle, [40.0], alarms=[1], start=50)
    (alert,) = alerts(session, vehicle, "emergency")
    assert alert.opened_at == START + timedelta(seconds=50) and alert.active


def test_alert_lists_are_scoped_and_filtered(session: Session) -> None:
    ours, theirs = provision(session, 1, HOME), provision(session, 2, OTHER)
    feed(session, ours, [90.0], alarms=[1])
    feed(session, theirs, [90.0], alarms=[1])
    county = actor(role="leader")
    page = tracking.list_alerts(session, actor=county, status="open")
    assert {a.vehicle_id for a in page.items} == {ours.id} and page.total == 2
    assert {tracking.alert_out(a).plate for a in page.items} == {ours.plate}
    page = tracking.list_alerts(session, actor=county, kind="emergency")
    assert page.total == 1
    city = tracking.list_alerts(session, actor=actor(role="leader", division="610500"))
    assert city.total == 4
    with pytest.raises(InvalidInput):
        tracking.list_alerts(session, actor=county, status="closed")
    (their_alert, *_) = alerts(session, theirs, "emergency")
    with pytest.raises(AccessDenied):
        tracking.resolve_alert(session, actor=actor(), alert_id=their_alert.id, note="x")
    with pytest.raises(Forbidden):
        tracking.resolve_alert(
            session, actor=actor(role="leader"), alert_id=their_alert.id, note="x"
        )
    (ours_alert, *_) = alerts(session, ours, "emergency")
    with pytest.raises(InvalidInput) as err:
        tracking.resolve_alert(session, actor=actor(), alert_id=ours_alert.id, note="   ")
    assert err.value.field == "note"


def test_police_units_raise_emergencies_but_not_overspeed(session: Session) -> None:
    police = provision(
        session,
        9,
        plate="陕E0009警",
        plate_color=4,
        is_police_unit=True,
        body_type=None,
        hazard_classes=[],
    )
    feed(session, police, [120.0, 130.0], alarms=[0, 1])
    assert alerts(session, police, "overspeed") == []
    assert len(alerts(session, police, "emergency")) == 1

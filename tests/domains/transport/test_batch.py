"""A batch of positions applied as one unit gives exactly what one fix at a time gives.

The consumer applies a batch with ``tracking.record_positions`` (a few statements for all of
it); one event at a time is the fallback when that fails. Both must store the same rows and
raise the same alerts, on both backends.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from tests.domains.transport.builders import HOME, RULES, START, actor, provision, report
from tests.domains.transport.corridor_builders import at_m, issue, zone
from zhian.core.bus import Event
from zhian.core.bus import consumer as bus_consumer
from zhian.core.bus.models import ProcessedEvent
from zhian.domains.transport import consumers, permits, tracking
from zhian.domains.transport.models import Alert, NoGoZone, Permit, Position, Vehicle
from zhian.domains.transport.permit_schemas import ExpresswayCreate


def fix_event(vehicle: Vehicle, second: int, x: float, y: float, **kw: Any) -> Event:
    lon, lat = at_m(x, y)
    data = report(vehicle, second, lon=lon, lat=lat, **kw).model_dump(mode="json")
    return Event.new(
        "jt808.position", "gateway.jt808", data, id=f"e-{vehicle.terminal_phone}-{second}"
    )


def scenario(session: Session) -> list[Event]:
    """Three vehicles, a permit, a no-go zone and an expressway; the events of their fixes.

    A truck leaves its corridor long enough, comes back and arrives; a second truck speeds
    (on and off an expressway) through the no-go zone; a police unit presses the emergency
    button, and an earlier press arrives late. Mixed in: a fix already stored, the same event
    twice, a fix from a terminal no vehicle carries and a malformed event.
    """
    permits.forget_areas()
    truck, speeder = provision(session, 1), provision(session, 2)
    police = provision(session, 3, is_police_unit=True, hazard_classes=[], body_type=None)
    issue(session, truck)  # corridor along y = 0 from 0 to 9 km, 50 m each side
    zone(session)  # 200 m square around (3000, 2000)
    road = {
        "type": "LineString",
        "coordinates": [list(at_m(2_000, 2_000)), list(at_m(2_600, 2_000))],
    }
    permits.create_expressway(
        session,
        actor=actor(division="610500", name="city_reg"),
        data=ExpresswayCreate.model_validate(
            {"name": "G30", "code": "G30", "centreline": road, "division": HOME}
        ),
    )
    timed: list[tuple[int, Event]] = []
    path = [(t, 1_000 + 10 * t, 0) for t in (0, 10, 20)]
    path += [(t, 1_000 + 10 * t, 200) for t in range(30, 120, 10)]  # out for 80 s
    path += [(t, 1_000 + 10 * t, 0) for t in (120, 130, 140)]  # back: the episode ends
    path += [(150, 9_000, 0), (160, 9_000, 400)]  # arrives (the permit closes), then leaves
    timed += [(t, fix_event(truck, t, x, y, speed=50.0)) for t, x, y in path]
    speeds = [70.0, 70.0, 70.0, 70.0, 50.0, 50.0, 50.0, 75.0, 75.0, 40.0, 40.0, 40.0, 40.0]
    timed += [
        (t, fix_event(speeder, t, 2_500 + 100 * t, 2_000, speed=s)) for t, s in enumerate(speeds)
    ]
    alarms = [(0, 0), (10, 1), (20, 1), (30, 0), (40, 0)]
    timed += [(t, fix_event(police, t, 500, 500, speed=100.0, alarm=a)) for t, a in alarms]
    events = [e for _, e in sorted(timed, key=lambda te: te[0])]
    late = fix_event(police, 5, 400, 500, alarm=1)  # pressed before we knew
    stale = fix_event(speeder, 1, 2_000, 2_000, speed=0.0)  # stored, but no rule sees it
    stranger = Event.new("jt808.position", "gw", {**events[3].data, "phone": "77"}, id="e-77")
    broken = Event.new("jt808.position", "gw", {**events[4].data, "lat": 91.0}, id="e-bad")
    events[7:7] = [late, stranger, events[2], broken, stale]
    # A fix stored before the batch arrives again inside it.
    consumers.position_effect(RULES)(session, events[0])
    return events


def snapshot(session: Session) -> dict[str, list[tuple[Any, ...]]]:
    """The rows the rules produce, by natural keys (ids differ between runs on PostgreSQL)."""
    session.flush()
    plate = {v.id: v.plate for v in session.scalars(select(Vehicle))}
    zones = {z.id: z.name for z in session.scalars(select(NoGoZone))}
    trips = {p.id: plate[p.vehicle_id] for p in session.scalars(select(Permit))}
    positions = [
        (plate[p.vehicle_id], p.event_id, p.located_at, p.lon, p.lat, p.speed_kmh, p.heading,
         p.altitude_m, p.alarm, p.status)
        for p in session.scalars(select(Position).order_by(Position.id))
    ]  # fmt: skip
    alerts = [
        (plate[a.vehicle_id], a.kind, a.status, a.active, a.opened_at, a.last_seen_at,
         a.ended_at, a.calm_count, a.peak_speed_kmh, a.lon, a.lat,
         trips.get(a.permit_id or 0), zones.get(a.zone_id or 0))
        for a in session.scalars(select(Alert).order_by(Alert.id))
    ]  # fmt: skip
    vehicles = [
        (v.plate, v.last_position_at, v.last_lon, v.last_lat, v.stint_started_at,
         v.halt_since, v.halt_lon, v.halt_lat)
        for v in session.scalars(select(Vehicle).order_by(Vehicle.plate))
    ]  # fmt: skip
    trip_rows = [
        (trips[p.id], p.status, p.closed_at, p.outside_since, p.inside_count)
        for p in session.scalars(select(Permit).order_by(Permit.id))
    ]
    return {"positions": positions, "alerts": alerts, "vehicles": vehicles, "permits": trip_rows}


def one_by_one(session: Session, events: list[Event]) -> None:
    effect = consumers.position_effect(RULES)
    for event in events:
        with session.begin_nested():  # as the bus's fallback applies each event
            effect(session, event)


def in_batches(session: Session, events: list[Event], size: int) -> None:
    effect = consumers.positions_effect(RULES)
    for n in range(0, len(events), size):
        effect(session, events[n : n + size])


def run(session: Session, apply: Any) -> dict[str, list[tuple[Any, ...]]]:
    nested = session.begin_nested()
    try:
        apply(session, scenario(session))
        return snapshot(session)
    finally:
        nested.rollback()


@pytest.mark.parametrize("size", [4, 1_000])
def test_a_batch_stores_and_alerts_exactly_as_one_fix_at_a_time(
    session: Session, size: int
) -> None:
    expected = run(session, one_by_one)
    got = run(session, lambda s, events: in_batches(s, events, size))
    assert got == expected
    # The scenario does what it says, so the comparison is not between two empty runs.
    assert len(expected["positions"]) == 16 + 13 + 5 + 2
    kinds = sorted({a[1] for a in expected["alerts"]})
    assert kinds == ["corridor_deviation", "emergency", "no_go_zone", "overspeed"]
    assert [a[3] for a in expected["alerts"] if a[1] == "overspeed"] == [False, False]
    (emergency,) = [a for a in expected["alerts"] if a[1] == "emergency"]
    assert emergency[4] == START + timedelta(seconds=5) and emergency[3] is False
    assert [p[1] for p in expected["permits"]] == ["closed"]


def as_the_consumer_applies(
    session_factory: sessionmaker[Session], events: list[Event]
) -> dict[str, Exception]:
    """``apply_batch`` as ``consumers.subscribe`` runs it: whole batch first, unkeyed."""
    return bus_consumer.apply_batch(
        consumers.CONSUMER,
        session_factory,
        consumers.position_effect(RULES),
        events,
        whole=consumers.positions_effect(RULES),
        keyed=False,
    )


def test_a_redelivered_batch_changes_nothing(session_factory: sessionmaker[Session]) -> None:
    with session_factory() as session:
        events = scenario(session)
        session.commit()
    assert as_the_consumer_applies(session_factory, events) == {}
    with session_factory() as session:
        first = snapshot(session)
    # The whole batch again, then its halves in reverse and one event twice in a batch.
    assert as_the_consumer_applies(session_factory, events) == {}
    half = len(events) // 2
    assert as_the_consumer_applies(session_factory, [*events[half:], events[0]]) == {}
    assert as_the_consumer_applies(session_factory, [events[3], events[3]]) == {}
    with session_factory() as session:
        assert snapshot(session) == first
        assert len(first["positions"]) == 16 + 13 + 5 + 2 and first["alerts"]


def test_a_failing_event_in_a_batch_is_isolated(
    session_factory: sessionmaker[Session], monkeypatch: pytest.MonkeyPatch
) -> None:
    with session_factory() as session:
        events = scenario(session)
        session.commit()
    bad = events[5]
    real = tracking.fix_of

    def fix_of(report: Any, event_id: str) -> Any:
        if event_id == bad.id:
            raise RuntimeError("a rule broke on this fix")
        return real(report, event_id)

    monkeypatch.setattr(tracking, "fix_of", fix_of)
    failed = as_the_consumer_applies(session_factory, events)
    assert list(failed) == [bad.id] and isinstance(failed[bad.id], RuntimeError)
    with session_factory() as session:
        stored = set(session.scalars(select(Position.event_id)))
        assert bad.id not in stored
        assert len(stored) == 16 + 13 + 5 + 2 - 1
        # Positions key on their own event ids: the bus keeps no key of its own for them.
        assert set(session.scalars(select(ProcessedEvent.event_id))) == set()
    monkeypatch.undo()
    # Redelivered alone, it is applied like any other.
    again = as_the_consumer_applies(session_factory, [bad])
    assert again == {}
    with session_factory() as session:
        count = select(func.count()).where(Position.event_id == bad.id)
        assert session.scalar(count) == 1

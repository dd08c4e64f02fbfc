"""The demo's police units and synthetic calls, through the real services."""

from __future__ import annotations

import random
from collections import Counter

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from zhian.domains.incidents.models import Incident, PatrolZone, Unit
from zhian.domains.places import service as places
from zhian.domains.transport.models import Vehicle
from zhian.sim import incidents as sim
from zhian.sim import patrols


def test_units_across_every_county_inside_it(session: Session) -> None:
    made = sim.seed_units(session, rng=random.Random(1))
    rows = session.execute(select(Unit.division, Unit.lon, Unit.lat, Unit.status)).all()
    assert made == len(rows) == 11 * len(sim.UNIT_MIX)
    per_county = Counter(r[0] for r in rows)
    assert len(per_county) == 11 and set(per_county.values()) == {len(sim.UNIT_MIX)}
    assert {r[3] for r in rows} == {"available"}
    for division, lon, lat, _ in rows:
        assert str(places.locate(session, lon=lon, lat=lat)["adcode"]).startswith(division)
    # Every seat lies far enough inside its county for a 2 km square zone.
    assert session.scalar(select(func.count()).select_from(PatrolZone)) == 11


def test_stream_takes_dispatches_and_clears_calls(session: Session) -> None:
    sim.seed_units(session, rng=random.Random(1))
    stream = sim.Stream(random.Random(7))
    for _ in range(30):
        stream.tick(session)
    statuses = Counter(session.scalars(select(Incident.status)).all())
    assert sum(statuses.values()) == stream.calls >= 25
    assert statuses["cleared"] > 0 and statuses["received"] > 0
    assert {u.status for u in session.scalars(select(Unit))} <= {
        "available",
        "dispatched",
        "on_scene",
    }


def test_same_seed_same_calls(session: Session) -> None:
    sim.seed_units(session, rng=random.Random(1))
    first = sim.Stream(random.Random(3))
    taken = [first.take_call(session) for _ in range(5)]
    again = sim.Stream(random.Random(3))
    repeat = [again.take_call(session) for _ in range(5)]
    assert [(i.type, i.lon, i.lat) for i in taken if i] == [
        (i.type, i.lon, i.lat) for i in repeat if i
    ]


def test_patrol_cars_carry_terminals_admitted_by_the_gateway(session: Session) -> None:
    sim.seed_units(session, rng=random.Random(1))
    cars = patrols.provision_patrol_cars(session)
    fitted = session.scalars(select(Unit).where(Unit.terminal_phone.is_not(None))).all()
    assert {u.kind for u in fitted} == {"patrol_car"} and len(fitted) == 22 == len(cars)
    police = session.scalars(select(Vehicle).where(Vehicle.is_police_unit.is_(True))).all()
    assert {v.terminal_phone for v in police} == {u.terminal_phone for u in fitted}
    assert len({car.plate for car in cars}) == len(cars)
    for car in cars:
        fixes = [f for f in car.lap(0) if f is not None]
        assert len(fixes) > 30 and {f.speed_kmh for f in fixes} == {patrols.PATROL_KMH}
        # The beat stays near the county seat, inside the county.
        middle = fixes[len(fixes) // 2]
        where = places.locate(session, lon=middle.lon, lat=middle.lat)
        assert str(where["adcode"]).startswith(car.division)

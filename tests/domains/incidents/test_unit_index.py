"""The dispatch unit index follows committed changes and ranks as the plain query did."""

from __future__ import annotations

import random
from collections.abc import Iterator, Sequence

import pytest
from sqlalchemy import select, update
from sqlalchemy.orm import Session, sessionmaker

from tests.domains.incidents.builders import (
    CITY_DISPATCHER,
    HOME,
    OTHER,
    actor,
    make_incident,
    make_unit,
    seat,
)
from zhian.core import scope as scoping
from zhian.core.db import make_engine, make_sessionmaker, unit_of_work
from zhian.core.scope import Actor
from zhian.domains.incidents import dispatch, service, unit_index, units
from zhian.domains.incidents.choices import UnitKind, UnitStatus
from zhian.domains.incidents.models import Incident, Unit


def plain(
    session: Session, who: Actor, incident_id: int, requires: Sequence[str] = ()
) -> list[tuple[int, str, str, float, float]]:
    """The ranking as it was computed before the index: load the rows, filter, rank."""
    incident = session.get(Incident, incident_id)
    assert incident is not None
    rows = session.execute(
        select(Unit.id, Unit.lon, Unit.lat, Unit.kind, Unit.capabilities, Unit.callsign)
        .where(
            Unit.status == UnitStatus.AVAILABLE.value,
            Unit.lon.is_not(None),
            Unit.lat.is_not(None),
            scoping.scope_clause(who, Unit.division),
        )
        .order_by(Unit.id)
    ).all()
    needed = set(requires)
    fit = [r for r in rows if needed <= set(r[4].split(","))]
    by_id = {r[0]: r for r in fit}
    fleet = dispatch.Fleet.of([(r[0], r[1], r[2], r[3]) for r in fit])
    return [
        (uid, by_id[uid][5], by_id[uid][3], round(d, 1), round(e, 1))
        for uid, d, e in dispatch.rank(incident.lon, incident.lat, fleet)
    ]


def served(
    session: Session, who: Actor, incident_id: int, requires: Sequence[str] = ()
) -> list[tuple[int, str, str, float, float]]:
    recs = service.recommend(session, actor=who, incident_id=incident_id, requires=requires)
    return [(r.unit_id, r.callsign, r.kind, r.distance_m, r.eta_s) for r in recs]


@pytest.fixture()
def factory(fresh_url: str) -> Iterator[sessionmaker[Session]]:
    engine = make_engine(fresh_url)
    unit_index.clear()
    yield make_sessionmaker(engine)
    unit_index.clear()
    engine.dispose()


def test_index_follows_service_and_direct_changes(
    factory: sessionmaker[Session], fresh_url: str
) -> None:
    rng = random.Random(7)
    kinds = list(UnitKind)
    with unit_of_work(factory) as s:
        lon, lat = seat(s)
        incident_id = make_incident(s).id
        for n in range(1, 41):
            division = OTHER if n % 7 == 0 else HOME
            status = [UnitStatus.AVAILABLE, UnitStatus.BUSY, None][n % 5 % 3]
            at = (
                None
                if n % 11 == 0
                else (lon + rng.uniform(-0.05, 0.05), lat + rng.uniform(-0.05, 0.05))
            )
            caps = ["first_aid"] if n % 3 == 0 else (["k9", "first_aid"] if n % 4 == 0 else [])
            make_unit(
                s, n, division=division, at=at, status=status, kind=kinds[n % 4], capabilities=caps
            )
    county = actor(division=HOME)
    cases: list[tuple[Actor, tuple[str, ...]]] = [
        (CITY_DISPATCHER, ()),
        (county, ()),
        (county, ("first_aid",)),
        (CITY_DISPATCHER, ("first_aid", "k9")),
    ]

    def check() -> list[tuple[int, str, str, float, float]]:
        with factory() as s:
            for who, needs in cases:
                assert served(s, who, incident_id, needs) == plain(s, who, incident_id, needs)
            return served(s, CITY_DISPATCHER, incident_id)

    first = check()
    with factory() as s:
        built = unit_index.index(s)
        assert unit_index.index(s) is built  # unchanged table: the same index, no reload

    # Through the service in this process: the nearest goes busy, another moves next door.
    with unit_of_work(factory) as s:
        units.set_status(s, actor=CITY_DISPATCHER, unit_id=first[0][0], status=UnitStatus.BUSY)
        units.move_unit(s, actor=CITY_DISPATCHER, unit_id=first[-1][0], lon=lon, lat=lat)
    second = check()
    with factory() as s:
        patched = unit_index.index(s)
    assert patched is not built and patched.ids is built.ids  # re-read the changed rows only
    assert first[0][0] not in [r[0] for r in second]
    assert second[0][0] == first[-1][0] and second[0][3] == 0.0

    # Directly in the database, through another engine (as another process would).
    other = make_engine(fresh_url)
    try:
        with other.begin() as conn:
            conn.execute(
                update(Unit).where(Unit.id == second[0][0]).values(status=UnitStatus.OFF_DUTY.value)
            )
            conn.execute(
                update(Unit).where(Unit.id == second[-1][0]).values(lon=lon + 1e-4, lat=lat)
            )
    finally:
        other.dispose()
    third = check()
    assert second[0][0] not in [r[0] for r in third]
    assert third[0][0] == second[-1][0]

    # A new unit changes the count: the index is loaded again and offers it.
    with unit_of_work(factory) as s:
        added = make_unit(s, 99, at=(lon, lat + 1e-5)).id
    fourth = check()
    assert added in [r[0] for r in fourth]


def test_uncommitted_unit_changes_stay_private(factory: sessionmaker[Session]) -> None:
    with unit_of_work(factory) as s:
        lon, lat = seat(s)
        incident_id = make_incident(s).id
        make_unit(s, 1, at=(lon + 0.01, lat))
    with factory() as s:
        before = served(s, CITY_DISPATCHER, incident_id)
    with factory() as s:
        make_unit(s, 2, at=(lon + 0.001, lat))
        assert len(served(s, CITY_DISPATCHER, incident_id)) == 2  # its own change
        s.rollback()
    with factory() as s:
        assert served(s, CITY_DISPATCHER, incident_id) == before


def test_the_index_is_read_whole_once_it_is_old(
    factory: sessionmaker[Session], monkeypatch: pytest.MonkeyPatch
) -> None:
    clock = [1000.0]
    monkeypatch.setattr(unit_index, "monotonic", lambda: clock[0])
    with unit_of_work(factory) as s:
        lon, lat = seat(s)
        incident_id = make_incident(s).id
        uid = make_unit(s, 1, at=(lon + 0.01, lat)).id
    with factory() as s:
        assert [r[0] for r in served(s, CITY_DISPATCHER, incident_id)] == [uid]
    with unit_of_work(factory) as s:
        # A change the stamp cannot see: a late commit whose updated_at is not the newest.
        kept = s.scalar(select(Unit.updated_at).where(Unit.id == uid))
        s.execute(
            update(Unit)
            .where(Unit.id == uid)
            .values(status=UnitStatus.OFF_DUTY.value, updated_at=kept)
        )
    with factory() as s:
        assert len(served(s, CITY_DISPATCHER, incident_id)) == 1  # still the kept index
    clock[0] += unit_index.MAX_AGE_S + 1
    with factory() as s:
        assert served(s, CITY_DISPATCHER, incident_id) == []

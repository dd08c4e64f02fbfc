"""Dispatch recommendation: the ranking against a plain Python computation."""

from __future__ import annotations

import math
import random

import numpy as np
import pytest
from sqlalchemy.orm import Session

from tests.domains.incidents.builders import (
    CITY_DISPATCHER,
    HOME,
    actor,
    make_incident,
    make_unit,
    seat,
)
from zhian.core.errors import NotFound
from zhian.domains.incidents import dispatch, service
from zhian.domains.incidents.choices import UnitKind, UnitStatus

R = 6371008.8
KMH = {"patrol_car": 40.0, "motorcycle": 35.0, "foot": 5.0, "community": 15.0}


def plain_eta(lon: float, lat: float, ulon: float, ulat: float, kind: str) -> tuple[float, float]:
    """Haversine in plain Python, × 1.3 over the kind's speed."""
    p1, p2 = math.radians(lat), math.radians(ulat)
    h = (
        math.sin((p2 - p1) / 2) ** 2
        + math.cos(p1) * math.cos(p2) * math.sin(math.radians(ulon - lon) / 2) ** 2
    )
    d = 2 * R * math.asin(math.sqrt(h))
    return d, d * 1.3 / (KMH[kind] / 3.6)


def test_rank_matches_plain_python() -> None:
    rng = random.Random(4)
    rows = [
        (i, 109.5 + rng.uniform(-0.2, 0.2), 34.5 + rng.uniform(-0.2, 0.2), rng.choice(list(KMH)))
        for i in range(1, 301)
    ]
    ranked = dispatch.rank(109.5, 34.5, dispatch.Fleet.of(rows), limit=20)
    expected = sorted(
        ((r[0], *plain_eta(109.5, 34.5, r[1], r[2], r[3])) for r in rows),
        key=lambda t: (t[2], t[0]),
    )[:20]
    assert [r[0] for r in ranked] == [e[0] for e in expected]
    for got, want in zip(ranked, expected, strict=True):
        assert got[1] == pytest.approx(want[1], rel=1e-9)
        assert got[2] == pytest.approx(want[2], rel=1e-9)


def test_rank_of_no_units_is_empty() -> None:
    assert dispatch.rank(109.5, 34.5, dispatch.Fleet.of([])) == []


def test_estimator_is_a_seam() -> None:
    class Constant:
        def travel(
            self, lon: float, lat: float, fleet: dispatch.Fleet
        ) -> tuple[np.ndarray, np.ndarray]:
            return np.zeros(len(fleet)), -fleet.ids.astype(np.float64)

    fleet = dispatch.Fleet.of([(1, 109.5, 34.5, "foot"), (2, 110.0, 35.0, "foot")])
    assert [r[0] for r in dispatch.rank(0.0, 0.0, fleet, estimator=Constant())] == [2, 1]
    slow_cars = dispatch.GreatCircleEstimator(speed_kmh={**dispatch.SPEED_KMH, "patrol_car": 1.0})
    mixed = dispatch.Fleet.of([(1, 109.51, 34.5, "patrol_car"), (2, 109.52, 34.5, "foot")])
    assert [r[0] for r in dispatch.rank(109.5, 34.5, mixed, estimator=slow_cars)] == [2, 1]


def test_nearest_available_first_with_capabilities(session: Session) -> None:
    lon, lat = seat(session)
    incident = make_incident(session)
    near = make_unit(session, 1, at=(lon + 0.002, lat))
    far = make_unit(session, 2, at=(lon + 0.02, lat), capabilities=["first_aid"])
    foot = make_unit(session, 3, at=(lon + 0.001, lat), kind=UnitKind.FOOT)
    make_unit(session, 4, at=(lon + 0.0001, lat), status=UnitStatus.BUSY)
    make_unit(session, 5, at=(lon + 0.0001, lat), status=None)  # off duty
    make_unit(session, 6, status=UnitStatus.AVAILABLE)  # no position
    recs = service.recommend(session, actor=CITY_DISPATCHER, incident_id=incident.id)
    ids = [r.unit_id for r in recs]
    want = sorted(
        [
            (u.id, plain_eta(lon, lat, lon + dx, lat, k)[1])
            for u, dx, k in (
                (near, 0.002, "patrol_car"),
                (far, 0.02, "patrol_car"),
                (foot, 0.001, "foot"),
            )
        ],
        key=lambda t: t[1],
    )
    assert ids == [w[0] for w in want] and ids[0] == near.id
    assert recs[0].eta_s == pytest.approx(want[0][1], abs=0.1)
    capable = service.recommend(
        session, actor=CITY_DISPATCHER, incident_id=incident.id, requires=["first_aid"]
    )
    assert [r.unit_id for r in capable] == [far.id]


def test_other_county_units_are_not_offered(session: Session) -> None:
    lon, lat = seat(session)
    incident = make_incident(session)
    mine = make_unit(session, 1, at=(lon + 0.01, lat))
    make_unit(session, 2, at=(lon + 0.001, lat), division="610581")
    county = actor(division=HOME)
    assert [
        r.unit_id for r in service.recommend(session, actor=county, incident_id=incident.id)
    ] == [mine.id]
    other = make_incident(session, division="610581")
    with pytest.raises(NotFound):
        service.recommend(session, actor=county, incident_id=other.id)

"""Dispatch recommendation for 2,000 available units: the service call against numpy.

Target (issue 4): the service call's p99 <= 1 ms with 2,000 units online. Prints its p50 and
p99 beside the vectorised brute-force ranking alone (a prebuilt fleet, no database), measured
in this run, and their ratio.

What holds now (quiet machine, load ~1 on 2 CPUs, 2026-11-29): p50 298 us, p99 552 us against
the numpy baseline's p50 102 us, p99 192 us: met. The incident's place and the unit index's
change stamp are read in one statement on the session's connection (before: two ORM
executes, p50 ~540 us). Under a load of ~5 the p99 follows the machine (4.9 ms, as did the
baseline's own p99 of 4.3 ms).

    .venv/bin/python bench/bench_dispatch.py [UNITS] [CALLS]
"""

from __future__ import annotations

import sys
import tempfile
import time

import numpy as np

from zhian.core.db import make_engine, make_sessionmaker, unit_of_work
from zhian.core.migrate import upgrade
from zhian.core.scope import SYSTEM
from zhian.core.time import utcnow
from zhian.domains.incidents import dispatch, service
from zhian.domains.incidents.choices import IncidentStatus, UnitKind, UnitStatus
from zhian.domains.incidents.models import Incident, Unit
from zhian.domains.places import service as places

CENTRE = (109.51, 34.50)  # near 临渭区


def percentiles_us(samples: list[float]) -> tuple[float, float]:
    """p50 and p99 of durations in seconds, in microseconds."""
    arr = np.array(samples) * 1e6
    return float(np.percentile(arr, 50)), float(np.percentile(arr, 99))


def seed(url: str, n: int) -> tuple[int, np.ndarray, np.ndarray, list[UnitKind]]:
    """A migrated database at ``url`` with ``n`` available units around one received incident.

    Returns the incident's id and the units' longitudes, latitudes and kinds (in id order).
    """
    rng = np.random.default_rng(2026)
    lon = CENTRE[0] + rng.uniform(-0.3, 0.3, n)
    lat = CENTRE[1] + rng.uniform(-0.3, 0.3, n)
    kinds = [list(UnitKind)[i % len(UnitKind)] for i in range(n)]
    upgrade(url)
    engine = make_engine(url)
    try:
        with unit_of_work(make_sessionmaker(engine)) as session:
            places.load_weinan_profile(session)
            now = utcnow()
            session.add_all(
                Unit(
                    callsign=f"B{i:05d}",
                    kind=kinds[i].value,
                    division="610502",
                    lon=float(lon[i]),
                    lat=float(lat[i]),
                    position_at=now,
                    status=UnitStatus.AVAILABLE.value,
                    status_at=now,
                )
                for i in range(n)
            )
            incident = Incident(
                type="dispute",
                priority=3,
                status=IncidentStatus.RECEIVED.value,
                division="610502",
                lon=CENTRE[0],
                lat=CENTRE[1],
                received_at=now,
            )
            session.add(incident)
            session.flush()
            return incident.id, lon, lat, kinds
    finally:
        engine.dispose()


def brute_force_us(
    lon: np.ndarray, lat: np.ndarray, kinds: list[UnitKind], calls: int
) -> tuple[float, float]:
    """p50 and p99 in microseconds of the vectorised ranking alone (a prebuilt fleet)."""
    fleet = dispatch.Fleet.of(
        [(i + 1, float(lon[i]), float(lat[i]), kinds[i].value) for i in range(len(kinds))]
    )
    dispatch.rank(CENTRE[0], CENTRE[1], fleet)
    base: list[float] = []
    for _ in range(calls):
        t0 = time.perf_counter()
        dispatch.rank(CENTRE[0], CENTRE[1], fleet)
        base.append(time.perf_counter() - t0)
    return percentiles_us(base)


def main() -> None:
    n = int(sys.argv[1]) if len(sys.argv) > 1 else 2_000
    calls = int(sys.argv[2]) if len(sys.argv) > 2 else 300
    with tempfile.TemporaryDirectory() as tmp:
        url = f"sqlite:///{tmp}/bench.db"
        incident_id, lon, lat, kinds = seed(url, n)
        engine = make_engine(url)
        factory = make_sessionmaker(engine)
        with factory() as session:
            service.recommend(session, actor=SYSTEM, incident_id=incident_id)  # warm-up
            svc: list[float] = []
            for _ in range(calls):
                t0 = time.perf_counter()
                service.recommend(session, actor=SYSTEM, incident_id=incident_id)
                svc.append(time.perf_counter() - t0)
        engine.dispose()

    s50, s99 = percentiles_us(svc)
    b50, b99 = brute_force_us(lon, lat, kinds, calls * 10)
    print(f"units: {n}, calls: {calls}")
    print(f"service.recommend     p50 {s50:9.1f} us  p99 {s99:9.1f} us  (target p99 <= 1000 us)")
    print(f"numpy brute-force     p50 {b50:9.1f} us  p99 {b99:9.1f} us")
    print(f"service / brute-force p99 ratio: {s99 / b99:.1f}x")
    print("target met" if s99 <= 1000 else "target NOT met")


if __name__ == "__main__":
    main()

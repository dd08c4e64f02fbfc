"""Point → county lookup: the vectorised locator against a plain per-point Shapely loop.

Target (issue 2): >= 200,000 points/s on one core. Prints both rates and their ratio, measured
in this run on the same random points over Weinan's bounding box.

    .venv/bin/python bench/bench_locate.py [N]
"""

from __future__ import annotations

import sys
import tempfile
import time

import numpy as np
import shapely
from shapely.geometry import Point

from zhian.core.db import make_engine, make_sessionmaker, unit_of_work
from zhian.core.migrate import upgrade
from zhian.domains.places import service


def main() -> None:
    n = int(sys.argv[1]) if len(sys.argv) > 1 else 1_000_000
    with tempfile.TemporaryDirectory() as tmp:
        url = f"sqlite:///{tmp}/bench.db"
        upgrade(url)
        engine = make_engine(url)
        with unit_of_work(make_sessionmaker(engine)) as session:
            service.load_weinan_profile(session)
            locator = service.locator(session)
        engine.dispose()

    rng = np.random.default_rng(2026)
    lon = rng.uniform(109.0, 110.7, n)
    lat = rng.uniform(34.2, 35.9, n)

    locator.locate_many(lon[:1000], lat[:1000])  # warm-up
    t0 = time.perf_counter()
    fast = locator.locate_many(lon, lat)
    fast_s = time.perf_counter() - t0
    fast_rate = n / fast_s

    m = min(n, 20_000)
    plain: list[int] = []
    geoms = locator.geoms  # the same polygons, unprepared copies for the naive loop
    naive_geoms = [shapely.from_wkb(shapely.to_wkb(g)) for g in geoms]
    t0 = time.perf_counter()
    for i in range(m):
        p = Point(lon[i], lat[i])
        hit = -1
        for k, g in enumerate(naive_geoms):
            if g.contains(p):
                hit = k
                break
        plain.append(hit)
    naive_s = time.perf_counter() - t0
    naive_rate = m / naive_s

    agree = int(np.sum(np.asarray(plain) == fast[:m]))
    inside = int(np.sum(fast >= 0))
    print(f"points: {n:,} ({inside:,} inside Weinan's divisions)")
    print(f"vectorised locator: {fast_rate:,.0f} points/s ({fast_s:.3f} s)")
    print(f"per-point Shapely loop (baseline, {m:,} points): {naive_rate:,.0f} points/s")
    print(f"ratio: {fast_rate / naive_rate:.1f}x   agreement on baseline points: {agree}/{m}")
    print(f"target >= 200,000 points/s: {'met' if fast_rate >= 200_000 else 'NOT met'}")


if __name__ == "__main__":
    main()

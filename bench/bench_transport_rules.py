"""Corridor and no-go checks per position: the batched indexes against a per-point Shapely loop.

Target (issue 5): the rules >= 200,000 positions/s with 500 active corridors and 200 no-go
zones (batched), and p99 <= 100 us for a single position, on one core.

    .venv/bin/python bench/bench_transport_rules.py [--positions 1000000] [--batch 1000]

The check a position needs is the geometric part of the rules: is it inside the corridor of
its vehicle's active permit, and which no-go zones contain it. Measured through
``CorridorIndex.inside`` and ``ZoneIndex.hits`` — in micro-batches of ``--batch`` positions
for throughput, and one position per call for latency. The baseline, in the same run on the
same positions, is a per-point loop: ``Point`` + ``polygon.contains`` for the vehicle's
corridor and for each of the 200 zones (unprepared copies, as a first draft would write it).

What the consumer does: it queries ``ZoneIndex.hits`` once per batch of fixes (up to
``POSITIONS_BATCH``, through ``corridor_tracking.zones_hit``), so the batched figure is the one
for the zone test; the corridor test stays per fix, on the permit's own prepared polygon (as in
the single-position figure, which also pays for a one-point zone query).

Corridors: 500 deterministic polylines of 20-50 km across Weinan (WGS-84), buffered 50-500 m
each side with the project's ``corridor.buffer_corridor``. Zones: 200 polygons of 150 m to
2 km radius, a third of them centred on a corridor so positions do hit them. Positions: each
belongs to one vehicle (one active permit); about 90 % are drawn inside its corridor, the
rest well outside.
"""

from __future__ import annotations

import argparse
import time
from typing import Any

import numpy as np
import shapely
from numpy.typing import NDArray
from shapely.geometry import LineString, Point, Polygon

from zhian.core.geo import to_lonlat
from zhian.domains.transport import corridor as geo
from zhian.domains.transport.corridor_rules import CorridorIndex, ZoneIndex

N_CORRIDORS = 500
N_ZONES = 200
# Weinan's extent in the local projection (metres from 109.5 E, 34.5 N), roughly.
X_RANGE = (-45_000.0, 100_000.0)
Y_RANGE = (-30_000.0, 150_000.0)


def make_corridors(rng: np.random.Generator) -> tuple[dict[int, Polygon], list[Any], Any]:
    """Permit id -> WGS-84 corridor polygon; the local centrelines; the widths (m)."""
    corridors: dict[int, Polygon] = {}
    local_lines: list[Any] = []
    widths = rng.uniform(50.0, 500.0, N_CORRIDORS)
    for k in range(N_CORRIDORS):
        length = rng.uniform(20_000.0, 50_000.0)
        n_seg = int(rng.integers(8, 25))
        heading = rng.uniform(0, 2 * np.pi)
        turns = np.cumsum(rng.normal(0.0, 0.25, n_seg))
        steps = np.full(n_seg, length / n_seg)
        dx = np.cos(heading + turns) * steps
        dy = np.sin(heading + turns) * steps
        x0, y0 = rng.uniform(*X_RANGE), rng.uniform(*Y_RANGE)
        xs = np.concatenate([[x0], x0 + np.cumsum(dx)])
        ys = np.concatenate([[y0], y0 + np.cumsum(dy)])
        local = LineString(np.column_stack([xs, ys]))
        wgs = geo.to_wgs84(local)
        permit_id = 1000 + k
        corridors[permit_id] = geo.buffer_corridor(wgs, float(widths[k]))
        local_lines.append(local)
    return corridors, local_lines, widths


def make_zones(rng: np.random.Generator, local_lines: list[Any]) -> dict[int, Polygon]:
    """Zone id -> WGS-84 polygon (irregular, valid), a third of them on a corridor."""
    zones: dict[int, Polygon] = {}
    for z in range(N_ZONES):
        if z % 3 == 0:
            line = local_lines[int(rng.integers(len(local_lines)))]
            centre = line.interpolate(rng.uniform(0, line.length))
            cx, cy = centre.x, centre.y
        else:
            cx, cy = rng.uniform(*X_RANGE), rng.uniform(*Y_RANGE)
        radius = rng.uniform(150.0, 2_000.0)
        n = int(rng.integers(6, 40))
        angles = (np.arange(n) + rng.uniform(0.0, 0.8, n)) * (2 * np.pi / n)
        r = radius * rng.uniform(0.6, 1.0, n)
        ring = np.column_stack([cx + r * np.cos(angles), cy + r * np.sin(angles)])
        poly = geo.to_wgs84(Polygon(ring))
        assert poly.is_valid
        zones[50 + z] = poly
    return zones


def make_positions(
    rng: np.random.Generator, n: int, local_lines: list[Any], widths: NDArray[np.float64]
) -> tuple[NDArray[np.int64], NDArray[np.float64], NDArray[np.float64]]:
    """Permit ids and WGS-84 lon, lat of ``n`` positions, ~90 % inside their own corridor."""
    which = rng.integers(0, N_CORRIDORS, n)
    lines = np.array(local_lines, dtype=object)[which]
    along = rng.uniform(0.0, 1.0, n)
    on_line = shapely.line_interpolate_point(lines, along, normalized=True)
    x, y = shapely.get_x(on_line), shapely.get_y(on_line)
    inside = rng.uniform(0, 1, n) < 0.9
    w = widths[which]
    off = np.where(inside, rng.uniform(0.0, 0.95, n) * w, w * rng.uniform(1.5, 20.0, n))
    angle = rng.uniform(0, 2 * np.pi, n)
    x, y = x + off * np.cos(angle), y + off * np.sin(angle)
    lon, lat = to_lonlat(x, y)
    return (1000 + which).astype(np.int64), lon, lat


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--positions", type=int, default=1_000_000)
    parser.add_argument("--batch", type=int, default=1_000)
    parser.add_argument("--single", type=int, default=20_000, help="single-position calls")
    parser.add_argument("--baseline", type=int, default=20_000, help="baseline positions")
    args = parser.parse_args()
    n, batch = args.positions, args.batch

    rng = np.random.default_rng(5)
    t0 = time.perf_counter()
    corridors, local_lines, widths = make_corridors(rng)
    zones = make_zones(rng, local_lines)
    pids, lon, lat = make_positions(rng, n, local_lines, widths)
    cindex, zindex = CorridorIndex(corridors), ZoneIndex(zones)
    setup_s = time.perf_counter() - t0

    # (a) batched throughput
    cindex.inside(pids[:batch], lon[:batch], lat[:batch])  # warm-up
    zindex.hits(lon[:batch], lat[:batch])
    inside = np.empty(n, dtype=np.bool_)
    zone_pairs: list[tuple[NDArray[np.int64], NDArray[np.int64]]] = []
    t0 = time.perf_counter()
    for s in range(0, n, batch):
        e = min(s + batch, n)
        inside[s:e] = cindex.inside(pids[s:e], lon[s:e], lat[s:e])
        pos, ids = zindex.hits(lon[s:e], lat[s:e])
        zone_pairs.append((pos + s, ids))
    batched_s = time.perf_counter() - t0
    batched_rate = n / batched_s
    hit_pos = np.concatenate([p for p, _ in zone_pairs])
    hit_ids = np.concatenate([i for _, i in zone_pairs])

    # (b) single-position latency through the same code path
    m1 = min(n, args.single)
    lat_ns = np.empty(m1, dtype=np.int64)
    clock = time.perf_counter_ns
    for i in range(m1):
        sl = slice(i, i + 1)
        t = clock()
        cindex.inside(pids[sl], lon[sl], lat[sl])
        zindex.hits(lon[sl], lat[sl])
        lat_ns[i] = clock() - t
    p50, p99 = np.percentile(lat_ns, [50, 99]) / 1_000.0
    single_rate = m1 / (lat_ns.sum() / 1e9)

    # (c) baseline: per-point Shapely loop on unprepared copies of the same polygons
    mb = min(n, args.baseline)
    plain_c = {k: shapely.from_wkb(shapely.to_wkb(g)) for k, g in corridors.items()}
    plain_z = [(k, shapely.from_wkb(shapely.to_wkb(g))) for k, g in sorted(zones.items())]
    base_inside: list[bool] = []
    base_hits: list[tuple[int, int]] = []
    t0 = time.perf_counter()
    for i in range(mb):
        p = Point(lon[i], lat[i])
        base_inside.append(plain_c[int(pids[i])].contains(p))
        for zid, g in plain_z:
            if g.contains(p):
                base_hits.append((i, zid))
    base_s = time.perf_counter() - t0
    base_rate = mb / base_s

    agree_c = int(np.sum(np.asarray(base_inside) == inside[:mb]))
    fast_hits = sorted(
        (int(p), int(z)) for p, z in zip(hit_pos.tolist(), hit_ids.tolist(), strict=True) if p < mb
    )
    zones_agree = fast_hits == sorted(base_hits)

    n_in = int(inside.sum())
    print(
        f"corridors: {len(corridors)} (20-50 km, 50-500 m each side), no-go zones: {len(zones)}"
        f"   setup {setup_s:.1f} s"
    )
    print(
        f"positions: {n:,} ({n_in:,} inside their corridor, {n - n_in:,} outside; "
        f"{len(np.unique(hit_pos)):,} in a no-go zone, {len(hit_pos):,} zone hits)"
    )
    print(f"batched indexes ({batch:,}/batch): {batched_rate:,.0f} positions/s ({batched_s:.3f} s)")
    print(
        f"single position ({m1:,} calls): p50 {p50:.1f} us, p99 {p99:.1f} us, "
        f"{single_rate:,.0f} positions/s"
    )
    print(f"per-point Shapely loop (baseline, {mb:,} positions): {base_rate:,.0f} positions/s")
    print(
        f"ratio batched/baseline: {batched_rate / base_rate:.1f}x, "
        f"single/baseline: {single_rate / base_rate:.1f}x"
    )
    print(
        f"agreement on baseline positions: corridor {agree_c}/{mb}, "
        f"zones {'identical' if zones_agree else 'DIFFERENT'} ({len(base_hits)} hits)"
    )
    print(
        f"target >= 200,000 positions/s batched: {'met' if batched_rate >= 200_000 else 'NOT met'}"
    )
    print(f"target p99 <= 100 us single position: {'met' if p99 <= 100.0 else 'NOT met'}")


if __name__ == "__main__":
    main()

"""Getis-Ord Gi* on a 200 x 200 grid: zhian's vectorised version against PySAL esda.

Target (issue 4): <= 50 ms, equal to esda's z-scores within 1e-6 on the same binary queen
weights (self included), and at least 100x faster than esda in the same run. esda is timed
on ``G_Local(y, w, transform="B", star=True, permutations=0)`` with ``w`` built beforehand
(building the weights is not counted against it). Also prints the kernel density's time.

    .venv/bin/python bench/bench_hotspots.py [SIDE] [REPEATS]
"""

from __future__ import annotations

import sys
import time
import warnings
from collections.abc import Callable

import numpy as np

from zhian.domains.incidents import hotspots


def _timed_ms(fn: Callable[[], object], repeats: int) -> tuple[float, float]:
    samples = []
    for _ in range(repeats):
        t0 = time.perf_counter()
        fn()
        samples.append((time.perf_counter() - t0) * 1e3)
    return float(np.median(samples)), float(np.max(samples))


def main() -> None:
    side = int(sys.argv[1]) if len(sys.argv) > 1 else 200
    repeats = int(sys.argv[2]) if len(sys.argv) > 2 else 50
    rng = np.random.default_rng(2026)
    counts = rng.poisson(0.2, (side, side)).astype(np.float64)
    # A few clusters, as incidents around busy places make.
    for r, c in rng.integers(5, side - 5, (8, 2)):
        counts[r - 2 : r + 3, c - 2 : c + 3] += rng.poisson(3.0, (5, 5))

    hotspots.gi_star(counts)  # warm-up
    mine_med, mine_max = _timed_ms(lambda: hotspots.gi_star(counts), repeats)
    kde_med, _ = _timed_ms(lambda: hotspots.kernel_density(counts, 250.0, 500.0), repeats)

    print(f"grid: {side} x {side} = {side * side} cells, {int(counts.sum())} incidents")
    print(f"zhian gi_star     median {mine_med:8.2f} ms  max {mine_max:8.2f} ms  (target <= 50 ms)")
    print(f"kernel density (h = 2 cells) median {kde_med:.2f} ms")
    try:
        from esda.getisord import G_Local
        from libpysal.weights import lat2W
    except ImportError:
        print("esda not installed (pip install esda libpysal): no baseline, no equality check")
        return
    w = lat2W(side, side, rook=False)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        esda_runs = []
        for _ in range(3):
            t0 = time.perf_counter()
            g = G_Local(counts.ravel(), w, transform="B", star=True, permutations=0)
            esda_runs.append((time.perf_counter() - t0) * 1e3)
    esda_med = float(np.median(esda_runs))

    diff = float(np.nanmax(np.abs(hotspots.gi_star(counts).ravel() - np.asarray(g.Zs))))
    print(f"esda G_Local      median {esda_med:8.2f} ms  ({len(esda_runs)} runs)")
    print(f"esda / zhian: {esda_med / mine_med:.0f}x  (target >= 100x)")
    print(f"max |z - z_esda|: {diff:.2e}  (target < 1e-6)")
    ok = mine_med <= 50 and esda_med / mine_med >= 100 and diff < 1e-6
    print("targets met" if ok else "targets NOT met")


if __name__ == "__main__":
    main()

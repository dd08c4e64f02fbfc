"""Address suggestions as one types, on a registry of 1,000,000 house numbers.

Every keystroke of realistic addresses ("临", "临渭", …, "临渭区人民和平东路5", "…57号") is
answered from the in-memory index through :func:`suggest.hits` (the character index of road
names, then the road's plates), as the endpoint does before it reads the few chosen houses by
primary key. The baseline, measured in the same run on the same keystrokes, does what a
``LIKE '%…%'`` on the road table does: test every road name, then every plate of the roads
found. The registry is bench_geocode's synthetic one. Prints keystrokes/s, the median and p99
latency of each, and the ratio.

    .venv/bin/python bench/bench_suggest.py [HOUSES] [ADDRESSES]
"""

from __future__ import annotations

import random
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from bench_geocode import COUNTIES, registry

from zhian.domains.places.registry.index import RegistryIndex, normalize_road
from zhian.domains.places.registry.suggest import hits, split_query

LIMIT = 8


def keystrokes(spans: list[tuple[str, str, int]], addresses: int) -> list[str]:
    """Every prefix of a mix of addresses, as typed one character at a time."""
    rng = random.Random(11)
    out: list[str] = []
    for i in range(addresses):
        county, road, top = rng.choice(spans)
        number = rng.randint(1, top)
        text = f"{COUNTIES[county]}{road}{number}号" if i % 2 else f"{road}{number}"
        out.extend(text[:n] for n in range(1, len(text) + 1))
    return out


def naive(index: RegistryIndex, text: str) -> list[tuple[int, int | None]]:
    """Baseline: scan every road name for the typed part, then the found roads' plates."""
    county, term, number = split_query(text)
    if not term:
        return []
    norm = normalize_road(term)
    roads = [
        p
        for p, name in enumerate(index.road_names)
        if (term in name or norm in normalize_road(name))
        and (county is None or index.road_county[p] == county)
    ]
    if not number:
        return [(p, None) for p in roads[:LIMIT]]
    out: list[tuple[int, int | None]] = []
    for p in roads:
        for key, row in index.plates[p].items():
            if str(key).startswith(number):
                out.append((p, row))
                if len(out) >= LIMIT:
                    return out
    return out


def timed(fn, typed: list[str]) -> list[float]:  # type: ignore[no-untyped-def]
    spent = []
    for text in typed:
        t = time.perf_counter()
        fn(text)
        spent.append(time.perf_counter() - t)
    return spent


def report(name: str, spent: list[float]) -> float:
    rate = len(spent) / sum(spent)
    ordered = sorted(spent)
    p99 = ordered[int(len(ordered) * 0.99)]
    print(
        f"{name:>9}: {rate:>10,.0f} keystrokes/s  median {statistics.median(spent) * 1e3:.3f} ms"
        f"  p99 {p99 * 1e3:.3f} ms"
    )
    return rate


def main() -> None:
    houses = int(sys.argv[1]) if len(sys.argv) > 1 else 1_000_000
    addresses = int(sys.argv[2]) if len(sys.argv) > 2 else 300
    t0 = time.perf_counter()
    index, spans = registry(houses)
    print(f"registry: {len(index):,} house numbers, {len(index.road_names):,} roads,")
    print(f"          built in {time.perf_counter() - t0:.1f} s")
    t0 = time.perf_counter()
    index.road_name_chars()
    print(f"          road-name character index in {time.perf_counter() - t0:.2f} s")
    typed = keystrokes(spans, addresses)
    print(f"keystrokes: {len(typed):,} from {addresses} addresses")
    visible = lambda county: True  # noqa: E731  (the city's view: every county)
    fast = report("index", timed(lambda q: hits(index, q, visible=visible, limit=LIMIT), typed))
    base = report("baseline", timed(lambda q: naive(index, q), typed[: len(typed) // 4]))
    print(f"    ratio: {fast / base:.1f}x the scan of every road per keystroke")


if __name__ == "__main__":
    main()

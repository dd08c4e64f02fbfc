"""Address matching against 1,000,000 house numbers: the in-memory index against a naive scan.

Target (issue 3): parse + match >= 10,000 addresses/s on one core with the index in <= 1 GB.
The registry is synthetic and built in memory (no database): 11 counties, ~12,500 roads,
1,000,000 numbers, 50,000 buildings with rooms. The queries mix exact addresses, variants
(suffix-less county, Chinese numerals, 大街/街), typos, numbers the road lacks, and no county.
The baseline, measured in the same run on the first queries, parses the same way and then
scans the county's roads and their houses linearly. Prints rates, the ratio, the index's
traced allocation and the process RSS.

    .venv/bin/python bench/bench_geocode.py [HOUSES] [QUERIES]
"""

from __future__ import annotations

import random
import resource
import sys
import time
import tracemalloc

from zhian.domains.places.numerals import to_arabic
from zhian.domains.places.parser import parse
from zhian.domains.places.registry.index import RegistryIndex, normalize_road
from zhian.domains.places.registry.matcher import match

COUNTIES = {
    "610502": "临渭区",
    "610503": "华州区",
    "610522": "潼关县",
    "610523": "大荔县",
    "610524": "合阳县",
    "610525": "澄城县",
    "610526": "蒲城县",
    "610527": "白水县",
    "610528": "富平县",
    "610581": "韩城市",
    "610582": "华阴市",
}
STEMS = [a + b for a in "人民朝阳解放建设东风胜利文化育才前进团结" for b in "和平新华光明幸福振兴"]
ENDINGS = ("路", "大街", "街", "巷", "东路", "西路", "南路", "北路")
CN = "零一二三四五六七八九"


def registry(houses: int) -> tuple[RegistryIndex, list[tuple[str, str, int]]]:
    """A synthetic registry and the (county, road, max number) of each road."""
    rng = random.Random(3)
    roads: list[tuple[int, str, str]] = []
    spans: list[tuple[str, str, int]] = []
    per_county = houses // len(COUNTIES)
    for county in COUNTIES:
        names = [s + e for s in STEMS for e in ENDINGS]
        rng.shuffle(names)
        left = per_county
        for name in names:
            if left <= 0:
                break
            n = min(left, rng.randint(40, 120))
            roads.append((len(roads) + 1, county, name))
            spans.append((county, name, n))
            left -= n

    def house_rows():  # type: ignore[no-untyped-def]
        hid = 0
        for rid, (_, _, n) in enumerate(spans, 1):
            for number in range(1, n + 1):
                hid += 1
                yield hid, rid, number, "", 109.5 + number * 1e-5, 34.5 + rid * 1e-5

    buildings = ((b, b * 20, str(1 + b % 6), None, None) for b in range(1, 50_001))
    rooms = ((r, 1 + r // 24, str(1 + r % 2), f"{1 + r % 6}0{1 + r % 2}") for r in range(240_000))
    index = RegistryIndex.build(
        counties=[(c, n, 109.5, 34.5) for c, n in COUNTIES.items()],
        townships=[],
        roads=roads,
        houses=house_rows(),
        buildings=buildings,
        rooms=rooms,
    )
    return index, spans


def cn_number(n: int) -> str:
    """一〇八-style digits, one of the forms callers write."""
    return "".join(CN[int(d)] for d in str(n))


def queries(spans: list[tuple[str, str, int]], count: int) -> list[str]:
    """A realistic mix of the ways an address reaches a call-taker."""
    rng = random.Random(7)
    out = []
    for i in range(count):
        county, road, top = rng.choice(spans)
        name = COUNTIES[county]
        number = rng.randint(1, top)
        kind = i % 10
        if kind < 5:
            out.append(f"陕西省渭南市{name}{road}{number}号")
        elif kind == 5:
            out.append(f"{name[:2]}{road}{cn_number(number)}号3号楼2单元401室")
        elif kind == 6:
            out.append(
                f"{name}{road.replace('街', '大街', 1) if '大' not in road else road}{number}号"
            )
        elif kind == 7:
            typo = road[0] + "红" + road[2:]
            out.append(f"{name}{typo}{number}号")
        elif kind == 8:
            out.append(f"{name}{road}{top + 5}号")
        else:
            out.append(f"{road}{number}号附近")
    return out


def naive(spans_by_county: dict[str, list[tuple[str, int]]], text: str) -> tuple[str, int] | None:
    """Baseline: parse, then scan the county's roads and their numbers one by one."""
    p = parse(text)
    if not p.road or not p.county_code:
        return None
    want = normalize_road(p.road)
    number = int(to_arabic(p.house_number or "0") or 0)
    for road, top in spans_by_county.get(p.county_code, []):
        if normalize_road(road) == want:
            for n in range(1, top + 1):
                if n == number:
                    return road, n
            return road, 0
    return None


def main() -> None:
    houses = int(sys.argv[1]) if len(sys.argv) > 1 else 1_000_000
    count = int(sys.argv[2]) if len(sys.argv) > 2 else 50_000
    tracemalloc.start()
    t0 = time.perf_counter()
    index, spans = registry(houses)
    build_s = time.perf_counter() - t0
    index_bytes, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    rss_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    texts = queries(spans, count)

    t0 = time.perf_counter()
    levels: dict[str | None, int] = {}
    for text in texts:
        m = match(index, parse(text))
        level = None if m is None else m.level
        key = None if level is None else str(level)
        levels[key] = levels.get(key, 0) + 1
    fast_s = time.perf_counter() - t0
    fast = count / fast_s

    by_county: dict[str, list[tuple[str, int]]] = {}
    for county, road, top in spans:
        by_county.setdefault(county, []).append((road, top))
    m_count = min(count, 2_000)
    t0 = time.perf_counter()
    for text in texts[:m_count]:
        naive(by_county, text)
    slow = m_count / (time.perf_counter() - t0)

    print(
        f"registry: {len(index):,} house numbers on {len(index.road_names):,} roads, "
        f"built in {build_s:.1f} s"
    )
    print(
        f"index memory: {index_bytes / 2**20:,.0f} MiB traced "
        f"(peak while building {peak / 2**20:,.0f} MiB); process max RSS {rss_mb:,.0f} MiB"
    )
    print(f"parse + match: {fast:,.0f} addresses/s ({count:,} queries in {fast_s:.2f} s)")
    print(f"levels: {dict(sorted(levels.items(), key=lambda kv: str(kv[0])))}")
    print(
        f"baseline parse + linear scan of the county ({m_count:,} queries): {slow:,.0f} addresses/s"
    )
    print(f"ratio: {fast / slow:.1f}x")
    ok = fast >= 10_000 and index_bytes <= 2**30
    print(f"target >= 10,000 addresses/s with the index <= 1 GB: {'met' if ok else 'NOT met'}")


if __name__ == "__main__":
    main()

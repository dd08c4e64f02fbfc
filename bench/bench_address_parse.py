"""Address parsing: zhian's parser against cpca and jionlp on the same 10,000 Weinan addresses.

Target (places issue): a full parse of >= 50,000 addresses/s on one core, county right more
often than cpca (batch `cpca.transform`, county level only) and jionlp (`parse_location`).
The list is built here, deterministically, in the styles people write: with and without
suffixes, with 华县 for 华州区, the two development zones (in 临渭区), townships without a
county, Chinese and full-width numerals, 3-2-401, separators, and addresses inside a report
sentence; each with the county it lies in. cpca and jionlp are measured when installed
(`.venv/bin/pip install cpca jionlp`), jionlp on a subsample since it is slow.

    .venv/bin/python bench/bench_address_parse.py [N]
"""

from __future__ import annotations

import contextlib
import io
import os
import random
import sys
import time
from collections.abc import Callable
from typing import NamedTuple

from zhian.domains.places.divisions_index import INDEX
from zhian.domains.places.parser import parse_many


def _words(text: str) -> tuple[str, ...]:
    return tuple(text.split())


COUNTIES = {
    "610502": ("临渭区", "临渭"),
    "610503": ("华州区", "华州"),
    "610522": ("潼关县", "潼关"),
    "610523": ("大荔县", "大荔"),
    "610524": ("合阳县", "合阳"),
    "610525": ("澄城县", "澄城"),
    "610526": ("蒲城县", "蒲城"),
    "610527": ("白水县", "白水"),
    "610528": ("富平县", "富平"),
    "610581": ("韩城市", "韩城"),
    "610582": ("华阴市", "华阴"),
}
ROADS = _words(
    "人民路 解放路 建设路 文化路 东风大街 朝阳大街 胜利大街 乐天大街 站南路 前进路 崇业路 "
    "仓程路 西岳路 北大街 南大街 东大街 西大街 新华路 长安路 育红路 石泉路 华山大街 金水路 "
    "太华路 团结路 光明路 二马路 滨河大道 迎宾大道 工业路 环城南路 310国道"
)
POIS = _words("万达广场 人民医院 第一中学 中心小学 汽车站 农商银行 供电局 人民公园 加油站 超市")
COMPOUNDS = _words("金色家园小区 阳光花园 锦绣苑 教师小区 电力家属院 幸福社区")
VILLAGES = _words("东 西 南 北 王 张 李 赵 刘 杨 马 高 新 白")
QUALIFIERS = _words("附近 门口 对面 旁边 东侧 西南角")
CN_DIGITS = "零一二三四五六七八九"
WRAPS = (
    "报警人称{}发生火情",
    "来电称在{}有人打架",
    "群众反映{}有人吵架",
    "报警人称，在{}，有人受伤",
    "{}发生交通事故",
    "事发地点：{}",
    "今天下午三点左右，{}有人打架",
    "我在{}这边，车被人划了",
)


def _cn(n: int) -> str:
    """A number the way people type it in Chinese: 十二, 一百零五, or digit by digit (一〇八)."""
    if n < 10:
        return CN_DIGITS[n]
    if n < 20:
        return "十" + (CN_DIGITS[n % 10] if n % 10 else "")
    if n < 100:
        return CN_DIGITS[n // 10] + "十" + (CN_DIGITS[n % 10] if n % 10 else "")
    return "".join("〇" if d == "0" else CN_DIGITS[int(d)] for d in str(n))


def _num(rng: random.Random, n: int) -> str:
    roll = rng.random()
    if roll < 0.6:
        return str(n)
    if roll < 0.75:
        return "".join(chr(ord(d) + 0xFEE0) for d in str(n))  # full-width digits
    return _cn(n)


class Sample(NamedTuple):
    """A generated address, its county, and the components it was built from."""

    text: str
    county: str
    parts: dict[str, str]


def build(n: int, seed: int = 2026) -> list[Sample]:
    """Return n Weinan addresses in varied, realistic styles, each with its known answer."""
    rng = random.Random(seed)
    towns: dict[str, list[str]] = {c: [] for c in COUNTIES}
    for name, codes in INDEX.townships.items():
        if len(codes) == 1 and not name.startswith("城关"):
            towns[codes[0]].append(name)
    codes = sorted(COUNTIES)
    out: list[Sample] = []
    for _ in range(n):
        code = rng.choice(codes)
        full, short = COUNTIES[code]
        roll = rng.random()
        if code == "610502" and roll < 0.15:
            county = rng.choice(("高新区", "经开区", "渭南高新区", "渭南市经济技术开发区"))
        elif code == "610503" and roll < 0.4:
            county = rng.choice(("华县", "渭南市华县", "陕西省渭南市华县"))
        elif roll < 0.04:
            county = rng.choice(("渭南市", "渭南", "")) + rng.choice(towns[code])  # no county
        else:
            # Mostly full names, as written on forms; one in ten without its suffix.
            form = rng.random()
            if form < 0.5:
                county = full
            elif form < 0.8:
                county = "渭南市" + full
            elif form < 0.9:
                county = "陕西省渭南市" + full
            else:
                county = rng.choice((short, short, "渭南" + short, "陕西渭南" + short))
        sep = rng.choice(("", "", "", "", " ", ","))
        road, road2 = rng.sample(ROADS, 2)
        style = rng.random()
        house = rng.randint(1, 300)
        parts = {"road": road, "house_number": str(house)}
        if style < 0.35:
            body = f"{road}{sep}{_num(rng, house)}号"
        elif style < 0.55:
            b, u, r = rng.randint(1, 30), rng.randint(1, 6), rng.randint(1, 18) * 100 + 1
            parts.update(building=str(b), unit=str(u), room=str(r))
            rooms = rng.choice(
                (
                    f"{_num(rng, b)}号楼{_num(rng, u)}单元{_num(rng, r)}室",
                    f"{b}栋{u}单元{r}",
                    f"{b}-{u}-{r}",
                    f"{_num(rng, b)}幢{_num(rng, u)}单元{r}室",
                )
            )
            body = f"{road}{_num(rng, house)}号{sep}{rng.choice(COMPOUNDS)}{rooms}"
        elif style < 0.7:
            village = rng.choice(VILLAGES) + rng.choice("庄家寨堡") + "村"
            parts = {"community": f"{village}{rng.randint(1, 12)}组", "house_number": str(house)}
            group = parts["community"][len(village) : -1]
            body = f"{village}{_num(rng, int(group))}组{house}号"
        elif style < 0.85:
            qualifier = rng.choice(QUALIFIERS)
            parts = {"road": road, "intersection": road2, "qualifier": qualifier}
            body = f"{road}与{road2}十字{qualifier}"
        else:
            poi, qualifier = rng.choice(POIS), rng.choice(QUALIFIERS)
            parts = {"road": road, "poi": poi, "qualifier": qualifier}
            body = f"{road}{poi}{qualifier}"
        addr = f"{county}{sep}{body}"
        if county == full and rng.random() < 0.05:
            addr = f"{body}（{full}）"  # the county added after the street, in brackets
        if rng.random() < 0.15:
            addr = rng.choice(WRAPS).format(addr)
        out.append(Sample(addr, code, parts))
    return out


def _time(fn: Callable[[], object]) -> float:
    t0 = time.perf_counter()
    fn()
    return time.perf_counter() - t0


def main() -> None:
    n = int(sys.argv[1]) if len(sys.argv) > 1 else 10_000
    with contextlib.suppress(AttributeError, OSError):
        os.sched_setaffinity(0, {min(os.sched_getaffinity(0))})  # one core, as the target says
    samples = build(n)
    texts = [x.text for x in samples]
    truth = [x.county for x in samples]
    names = {c: full for c, (full, _) in COUNTIES.items()}
    rows: list[tuple[str, int, float, float]] = []

    parse_many(texts[:500])  # warm-up
    best = min(_time(lambda: parse_many(texts)) for _ in range(3))
    ours = parse_many(texts)
    acc = sum(p.county_code == c for p, c in zip(ours, truth, strict=True)) / n
    rows.append(("zhian parse_many (full parse)", n, n / best, acc))
    whole = sum(
        all(d.get(k) == v for k, v in x.parts.items())
        for d, x in zip((p.as_dict() for p in ours), samples, strict=True)
    )

    try:
        import cpca
    except ImportError:
        print("cpca not installed: skipped (.venv/bin/pip install cpca)")
    else:
        cpca.transform(texts[:100])
        holder: list[object] = []
        cpca_s = min(_time(lambda: holder.append(cpca.transform(texts))) for _ in range(3))
        frame = holder[0]
        got = [str(a)[:6] for a in frame["adcode"]]  # type: ignore[index]
        acc_c = sum(g == c for g, c in zip(got, truth, strict=True)) / n
        rows.append(("cpca.transform (batch, to county)", n, n / cpca_s, acc_c))

    try:
        with contextlib.redirect_stdout(io.StringIO()):  # it prints a banner on import
            import jionlp
    except ImportError:
        print("jionlp not installed: skipped (.venv/bin/pip install jionlp)")
    else:
        m = min(n, 1_000)
        step = n // m
        sample = list(range(0, step * m, step))
        jionlp.parse_location(texts[0])
        results: list[dict[str, object]] = []
        j_s = _time(lambda: results.extend(jionlp.parse_location(texts[i]) for i in sample))
        acc_j = (
            sum(r.get("county") == names[truth[i]] for r, i in zip(results, sample, strict=True))
            / m
        )
        rows.append((f"jionlp.parse_location (every {step}th)", m, m / j_s, acc_j))

    print(f"{n:,} Weinan addresses, county accuracy against the known county; one core")
    print(f"{'parser':40} {'n':>7} {'addresses/s':>12} {'county right':>13}")
    for label, count, rate, accuracy in rows:
        print(f"{label:40} {count:>7,} {rate:>12,.0f} {accuracy:>12.1%}")
    z_rate, z_acc = rows[0][2], rows[0][3]
    for label, _, rate, accuracy in rows[1:]:
        name = label.split()[0]
        print(
            f"zhian vs {name}: {z_rate / rate:.2f}x the rate, "
            f"{(z_acc - accuracy) * 100:+.1f} points of county accuracy"
        )
    print(
        f"zhian: every other component right (road, numbers, village, crossing, qualifier, POI) "
        f"in {whole / n:.1%}"
    )
    print(f"target >= 50,000 addresses/s: {'met' if z_rate >= 50_000 else 'NOT met'}")
    misses = [
        (t, p.county_code, c)
        for t, p, c in zip(texts, ours, truth, strict=True)
        if p.county_code != c
    ]
    for text, got_code, want in misses[:10]:
        print(f"  miss: {text!r} -> {got_code} (want {want})")


if __name__ == "__main__":
    main()

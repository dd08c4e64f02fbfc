"""Every province, prefecture and county of China (GB/T 2260), indexed for the address parser.

Built once at import from data/gbt2260.csv (see scripts/gen_gbt2260.py for its source). Each
division is findable by its full name and by its short names (陕西省→陕西, 临渭区→临渭,
内蒙古自治区→内蒙古, 大厂回族自治县→大厂/大厂县), plus legacy names that still turn up in
Weinan (华县 is today's 华州区). The scanner finds the longest name at a position through a
dict keyed by the first two characters, which is cheaper than a regex alternation of ~6,000
names that CPython's engine would try one by one.
"""

from __future__ import annotations

import csv
import re
from importlib import resources
from typing import NamedTuple

HOME_PROVINCE = "61"  # Shaanxi: preferred after Weinan when a short name is ambiguous
HOME_CITY = "6105"  # Weinan, the default deployment profile
ZONE_COUNTY = "610502"  # 高新区 and 经开区 lie in 临渭区
MUNICIPALITIES = frozenset(("11", "12", "31", "50"))

# Names no longer in the code table that people still write, mapped to today's division.
LEGACY_ALIASES: dict[str, str] = {
    "华县": "610503",  # became 华州区 in 2015
    "渭南地区": "610500",  # the prefecture before it became a city in 1994
    "渭南县": "610502",  # the county that became county-level 渭南市 (1983), then 临渭区
    "华阴县": "610582",  # county-level city since 1990
    "韩城县": "610581",  # county-level city since 1983
    "内蒙": "150000",
}

_ETHNIC = (
    "蒙古|回|藏|维吾尔|苗|彝|壮|布依|朝鲜|满|侗|瑶|白|土家|哈尼|哈萨克|傣|黎|傈僳|佤|畲|"
    "高山|拉祜|水|东乡|纳西|景颇|柯尔克孜|土|达斡尔|仫佬|羌|布朗|撒拉|毛南|仡佬|锡伯|阿昌|"
    "普米|塔吉克|怒|乌孜别克|俄罗斯|鄂温克|德昂|保安|裕固|京|塔塔尔|独龙|鄂伦春|赫哲|门巴|"
    "珞巴|基诺"
)
_AUTONOMOUS = re.compile(rf"(.{{2,}}?)(?:(?:{_ETHNIC})族?)+自治(区|州|县|旗)")
_SPECIAL = re.compile(r"(.{2,}?)(?:特别行政区|自治区|自治州|自治县|自治旗|族自治旗)")
# Suffix-less forms of these would be everyday words (老城区, 新区, 矿区): full name only.
_NO_SHORT_ENDINGS = ("城区", "新区", "矿区", "郊区", "林区")

LEVEL_PROVINCE, LEVEL_PREFECTURE, LEVEL_COUNTY = 1, 2, 3


class Division(NamedTuple):
    """One row of the code table."""

    code: str
    name: str
    level: int
    parent: str


class Candidate(NamedTuple):
    """A division a surface form may stand for, with how far the form can be trusted."""

    code: str
    level: int
    short: bool  # a suffix-less form: rejected when a road or village name continues it
    needs_context: bool  # only after a province or city it belongs to (朝阳, 城区, 东区)


_LEVELS = {"province": 1, "prefecture": 2, "county": 3, "township": 4}


def _load() -> list[Division]:
    path = resources.files("zhian.domains.places").joinpath("data/gbt2260.csv")
    with path.open("r", encoding="utf-8") as fh:
        return [
            Division(r["code"], r["name"], _LEVELS[r["level"]], r["parent"])
            for r in csv.DictReader(fh)
        ]


def short_forms(name: str, level: int) -> tuple[list[str], list[str]]:
    """Return (extra full forms, suffix-less short forms) people write for a division name."""
    full: list[str] = []
    m = _AUTONOMOUS.fullmatch(name) or _SPECIAL.fullmatch(name)
    if m:
        stem = m.group(1)
        kind = m.group(2) if m.re is _AUTONOMOUS else name[-1]
        if stem.endswith("族"):
            stem = stem[:-1]
        if kind in ("州", "县", "旗"):
            full.append(stem + kind)  # 恩施州, 大厂县: the usual written forms
        return full, [stem]
    if name.endswith("特区"):
        return full, [name[:-2]]  # 六枝特区 → 六枝
    if level == LEVEL_PREFECTURE and name.endswith("地区"):
        return full, [name[:-2]] if len(name) > 3 else []
    if name.endswith(_NO_SHORT_ENDINGS):
        return full, []
    if name[-1] in "省市区县旗盟" and len(name) >= 3:
        return full, [name[:-1]]
    return full, []


def _preference(cand: Candidate) -> tuple[int, int, bool, str]:
    home = 0 if cand.code.startswith(HOME_CITY) else 1 if cand.code.startswith(HOME_PROVINCE) else 2
    # Between equals elsewhere, a municipality's district is the likelier (宝山区: Shanghai's).
    return home, cand.level, cand.code[:2] not in MUNICIPALITIES, cand.code


class DivisionIndex:
    """Names → candidate divisions, and codes → names, for the whole country."""

    def __init__(self, rows: list[Division]) -> None:
        self.by_code: dict[str, Division] = {}
        surfaces: dict[str, list[Candidate]] = {}
        townships: dict[str, list[str]] = {}

        def add(surface: str, cand: Candidate) -> None:
            lst = surfaces.setdefault(surface, [])
            if all(c.code != cand.code for c in lst):
                lst.append(cand)

        for row in rows:
            self.by_code[row.code] = row
            if row.level == 4:
                townships.setdefault(row.name, []).append(row.code[:6])
                continue
            home = row.code.startswith(HOME_PROVINCE)
            county = row.level == LEVEL_COUNTY
            # 赵县, 东区, 城区: a one-character stem is too easily an ordinary word elsewhere.
            tiny = county and len(row.name) <= 2 and not home
            add(row.name, Candidate(row.code, row.level, False, tiny))
            extra, shorts = short_forms(row.name, row.level)
            for form in extra:
                add(form, Candidate(row.code, row.level, False, tiny))
            for form in shorts:
                if len(form) >= 2:
                    add(form, Candidate(row.code, row.level, True, county and not home))
        for alias, code in LEGACY_ALIASES.items():
            add(alias, Candidate(code, self.by_code[code].level, False, False))

        by_prefix: dict[str, list[tuple[str, tuple[Candidate, ...]]]] = {}
        for surface, cands in surfaces.items():
            # A full name beats a short one for the same surface (吉林 is also 吉林市's short).
            ordered = tuple(sorted(cands, key=_preference))
            by_prefix.setdefault(surface[:2], []).append((surface, ordered))
        self.by_prefix: dict[str, tuple[tuple[str, tuple[Candidate, ...]], ...]] = {
            k: tuple(sorted(v, key=lambda sv: -len(sv[0]))) for k, v in by_prefix.items()
        }
        self.townships: dict[str, tuple[str, ...]] = {k: tuple(v) for k, v in townships.items()}
        self._names: dict[str, tuple[str | None, str | None, str | None]] = {}

    def names(self, code: str) -> tuple[str | None, str | None, str | None]:
        """Return (province, city, county) full names for a province, prefecture or county code."""
        hit = self._names.get(code)
        if hit is not None:
            return hit
        row = self.by_code.get(code)
        province = city = county = None
        if row is not None:
            if row.level == LEVEL_COUNTY:
                county = row.name
                row = self.by_code[row.parent]
            if row.level == LEVEL_PREFECTURE:
                city = row.name
                row = self.by_code[row.parent]
            province = row.name
            if city is None and row.code[:2] in MUNICIPALITIES:
                city = province  # 北京市朝阳区: the municipality is its own city
        out = (province, city, county)
        self._names[code] = out
        return out


INDEX = DivisionIndex(_load())

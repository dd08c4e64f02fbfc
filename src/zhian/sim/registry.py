"""A deterministic synthetic address registry for the Weinan demo: every county's real
townships (GB/T 2260), invented communities, roads and house numbers, some buildings and
rooms, and a few hundred organizations.

Roads run straight from near their township's seat, even numbers on one side and odd on the
other; every house lies inside its county (checked with the division locator, houses
outside dropped). Rows go in by bulk insert with ids assigned here, so seeding ~60,000
house numbers takes seconds on SQLite. Seeding twice does nothing the second time.
"""

from __future__ import annotations

import json
import math
import random
from typing import Any

import numpy as np
import shapely
from shapely.geometry import shape
from sqlalchemy import func, insert, select
from sqlalchemy.orm import Session

from zhian.core.time import utcnow
from zhian.domains.places import service as places
from zhian.domains.places.divisions_index import INDEX
from zhian.domains.places.models import Division
from zhian.domains.places.registry.choices import OrgCategory
from zhian.domains.places.registry.geocoder import COUNTY_LEVELS
from zhian.domains.places.registry.models import Building, House, Organization, Road, Room
from zhian.domains.places.registry.service import address_code

SEED = 20261129
ROADS_PER_TOWNSHIP = 6
NUMBERS = (40, 110)  # house numbers per road, low and high
SPACING_DEG = 0.00022  # about 20 m between plates on one side
ORGS_PER_COUNTY = 30
ROOM_SHARE = 0.1  # of buildings with rooms on record

_STEMS = [
    "人民",
    "朝阳",
    "解放",
    "建设",
    "东风",
    "胜利",
    "文化",
    "育才",
    "前进",
    "团结",
    "和平",
    "新华",
    "光明",
    "幸福",
    "振兴",
    "工业",
    "站前",
    "迎宾",
    "长安",
    "西岳",
    "华山",
    "渭河",
    "秦岭",
    "金水",
    "丰收",
    "红旗",
    "青年",
    "友谊",
    "民主",
    "新民",
    "兴业",
    "富民",
    "利民",
    "康宁",
    "安居",
    "乐天",
    "惠民",
    "福寿",
    "龙山",
    "凤凰",
    "桃园",
    "杏林",
    "槐荫",
    "柳巷",
    "石泉",
    "白鹿",
    "泰和",
    "永安",
    "长青",
    "裕华",
    "广场",
    "文苑",
    "书院",
    "仓颉",
]
_ENDINGS = ("路", "大街", "街", "巷", "东路", "西路", "南路", "北路", "大道")
_COMMUNITY = ("东关", "西关", "南街", "北街", "新村", "花园", "朝阳", "育才", "建设", "和平")
_VILLAGE = ("东", "西", "南", "北", "前", "后", "上", "下", "新", "老")
_SURNAMES = "王李张刘陈杨赵黄周吴徐孙马朱胡郭何高林罗"
_GIVEN = [
    "建国",
    "秀英",
    "志强",
    "海燕",
    "卫东",
    "丽华",
    "军",
    "敏",
    "伟",
    "静",
    "磊",
    "娟",
    "涛",
    "霞",
    "斌",
    "红梅",
    "永刚",
    "晓燕",
]
_BANKS = ("中国工商银行", "中国建设银行", "中国农业银行", "渭南农商银行", "邮政储蓄银行")
_COURIERS = ("顺丰速运", "中国邮政", "圆通速递", "中通快递", "韵达快递")


def _org_name(rng: random.Random, cat: OrgCategory, county: str, town: str, road: str) -> str:
    stem = rng.choice(_STEMS)
    short = county[:2]
    names = {
        OrgCategory.GOVERNMENT: f"{town}{'办事处' if town.endswith('街道') else '人民政府'}",
        OrgCategory.FINANCE: f"{rng.choice(_BANKS)}{short}{road}支行",
        OrgCategory.SCHOOL: f"{short}{stem}{rng.choice(('小学', '中学', '初级中学'))}",
        OrgCategory.KINDERGARTEN: f"{short}{stem}幼儿园",
        OrgCategory.HOSPITAL: f"{town.removesuffix('街道').removesuffix('镇')}卫生院",
        OrgCategory.HOTEL: f"{stem}{rng.choice(('宾馆', '酒店', '快捷酒店'))}",
        OrgCategory.ENTERTAINMENT: f"{stem}{rng.choice(('KTV', '网吧', '歌舞厅'))}",
        OrgCategory.LOGISTICS: f"{rng.choice(_COURIERS)}{short}{road}网点",
        OrgCategory.DANGEROUS_GOODS: f"渭南{stem}{rng.choice(('化工', '燃气', '民爆'))}有限公司",
        OrgCategory.OTHER: f"{short}{stem}商贸有限公司",
    }
    return names[cat]


class _Rows:
    """Rows to insert per table, with ids assigned after each table's current maximum."""

    def __init__(self, session: Session) -> None:
        self.session = session
        self.now = utcnow()
        self.rows: dict[Any, list[dict[str, Any]]] = {}
        self.next_id: dict[Any, int] = {}

    def add(self, model: Any, **values: Any) -> int:
        if model not in self.next_id:
            top = self.session.scalar(select(func.max(model.id))) or 0
            self.next_id[model] = int(top) + 1
        row_id = self.next_id[model]
        self.next_id[model] += 1
        values.update(id=row_id, created_at=self.now, updated_at=self.now)
        self.rows.setdefault(model, []).append(values)
        return row_id

    def flush(self) -> dict[str, int]:
        counts = {}
        for model in (Division, Road, House, Building, Room, Organization):
            rows = self.rows.get(model, [])
            table: Any = model.__table__
            for i in range(0, len(rows), 20_000):
                self.session.execute(insert(table), rows[i : i + 20_000])
            counts[table.name] = len(rows)
        return counts


def _inside(
    geom: Any, rng: np.random.Generator, near: tuple[float, float] | None
) -> tuple[float, float]:
    minx, miny, maxx, maxy = geom.bounds
    for _ in range(1000):
        if near is None:
            x, y = rng.uniform(minx, maxx), rng.uniform(miny, maxy)
        else:
            x, y = near[0] + rng.normal(0, 0.02), near[1] + rng.normal(0, 0.015)
        if shapely.contains_xy(geom, x, y):
            return float(x), float(y)
    return float(geom.representative_point().x), float(geom.representative_point().y)


def seed_registry(session: Session) -> dict[str, int]:
    """Seed the synthetic registry once (flush, no commit); returns rows written per table."""
    if session.scalar(select(func.count(Road.id))):
        return {}
    rng = random.Random(SEED)
    nrng = np.random.default_rng(SEED)
    locator = places.locator(session)
    codes = np.array([a.adcode for a in locator.areas] + [""])
    out = _Rows(session)
    existing = set(session.scalars(select(Division.adcode)))
    counties = session.execute(
        select(Division.adcode, Division.name, Division.boundary)
        .where(Division.level.in_(COUNTY_LEVELS))
        .order_by(Division.adcode)
    ).all()
    for county, county_name, boundary in counties:
        geom = shape(json.loads(boundary or "null"))
        shapely.prepare(geom)
        towns = sorted(
            (c, r.name) for c, r in INDEX.by_code.items() if r.level == 4 and c[:6] == county
        )
        serial = 0
        used: set[str] = set()
        houses: list[dict[str, Any]] = []
        for town_code, town in towns:
            seat = _inside(geom, nrng, None)
            if town_code not in existing:
                out.add(
                    Division,
                    adcode=town_code,
                    name=town,
                    level="township",
                    parent_adcode=county,
                    seat_lon=round(seat[0], 6),
                    seat_lat=round(seat[1], 6),
                )
            street = town.endswith("街道")
            communities = []
            for k in range(rng.randint(2, 4)):
                code = f"{town_code}{(1 if street else 201) + k:03d}"
                name = (
                    f"{_COMMUNITY[k]}社区"
                    if street
                    else f"{town.removesuffix('镇')}{_VILLAGE[k]}村"
                )
                if code not in existing:
                    out.add(
                        Division,
                        adcode=code,
                        name=name,
                        level="community",
                        parent_adcode=town_code,
                        seat_lon=None,
                        seat_lat=None,
                    )
                communities.append(code)
            for _ in range(ROADS_PER_TOWNSHIP):
                name = f"{rng.choice(_STEMS)}{rng.choice(_ENDINGS)}"
                while name in used:
                    name = f"{rng.choice(_STEMS)}{rng.choice(_ENDINGS)}"
                used.add(name)
                serial += 1
                road_id = out.add(Road, name=name, division=county, serial=serial)
                start = _inside(geom, nrng, seat)
                angle = rng.uniform(0, math.pi)
                n = rng.randint(*NUMBERS)
                plates = np.arange(1, n + 1)
                along = ((plates + 1) // 2) * SPACING_DEG
                side = np.where(plates % 2 == 0, 1.0, -1.0) * 0.00012
                lon = start[0] + along * math.cos(angle) - side * math.sin(angle)
                lat = start[1] + along * math.sin(angle) * 0.83 + side * math.cos(angle)
                for i in range(n):
                    houses.append(
                        {
                            "road_id": road_id,
                            "serial": serial,
                            "number": int(plates[i]),
                            "lon": float(lon[i]),
                            "lat": float(lat[i]),
                            "division": rng.choice(communities),
                            "town": town,
                        }
                    )
        where = codes[locator.locate_many([h["lon"] for h in houses], [h["lat"] for h in houses])]
        kept = [h for h, w in zip(houses, where, strict=True) if str(w).startswith(county)]
        for h in kept:
            suffixes = [""] + (["附1"] if rng.random() < 0.02 else [])
            for i, suffix in enumerate(suffixes):
                h["id"] = out.add(
                    House,
                    road_id=h["road_id"],
                    number=h["number"],
                    suffix=suffix,
                    code=address_code(county, h["division"], h["serial"], h["number"], i),
                    division=h["division"],
                    lon=round(h["lon"], 7),
                    lat=round(h["lat"], 7),
                )
        _buildings(out, rng, kept)
        _organizations(out, rng, county_name, kept)
    counts = out.flush()
    session.flush()
    return counts


def _buildings(out: _Rows, rng: random.Random, houses: list[dict[str, Any]]) -> None:
    for h in rng.sample(houses, k=len(houses) // 16):
        for b in range(1, rng.randint(2, 8) + 1):
            bid = out.add(
                Building,
                house_id=h["id"],
                number=str(b),
                division=h["division"],
                lon=round(h["lon"] + 0.0002 * b, 7),
                lat=round(h["lat"] + 0.0001, 7),
            )
            if rng.random() > ROOM_SHARE:
                continue
            for unit in ("1", "2"):
                for floor in range(1, 7):
                    for door in (1, 2):
                        out.add(
                            Room,
                            building_id=bid,
                            unit=unit,
                            number=f"{floor}0{door}",
                            division=h["division"],
                        )


def _organizations(
    out: _Rows, rng: random.Random, county_name: str, houses: list[dict[str, Any]]
) -> None:
    cats = list(OrgCategory)
    for i, h in enumerate(rng.sample(houses, k=min(ORGS_PER_COUNTY, len(houses)))):
        cat = cats[i % len(cats)]
        road = next(r["name"] for r in out.rows[Road] if r["id"] == h["road_id"])
        licence = f"91{h['division'][:6]}MA{rng.randrange(10**6, 10**7)}{rng.choice('0123456789X')}"
        out.add(
            Organization,
            name=_org_name(rng, cat, county_name, h["town"], road),
            category=cat.value,
            licence_no=licence,
            contact_name=rng.choice(_SURNAMES) + rng.choice(_GIVEN),
            contact_phone=f"1{rng.choice('3589')}{rng.randrange(10**8, 10**9)}",
            house_id=h["id"],
            division=h["division"],
        )

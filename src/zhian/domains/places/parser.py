"""Free-text Chinese address → components: divisions, township, road, door plate, rooms.

`parse` is total: any string gives a `ParsedAddress`, and text with nothing of an address in it
gives one with `matched` false and every field null. It works in three steps:

1. normalise (full-width → ASCII, separators dropped) and cut the sentence around the address
   (a leading "报警人称在…", a trailing "…发生火情");
2. find the chain of divisions (province, city, county, in any subset) anywhere in the text with
   `divisions_index`, resolving an ambiguous name by the division given before it, else Weinan,
   else Shaanxi;
3. read the rest left to right: zone, township, village or community, road (and the crossing
   road), door plate, building, unit, floor, room, qualifier; what is left is the POI text.

Numbers come out as strings of Arabic digits (十二→"12", 一〇八→"108"). `in_jurisdiction` is
false when the address is known to lie outside Weinan (another county, city or province) or
is garbage, true otherwise: an address with no division in it is taken to be local, as the
call-taker who receives it is.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import NamedTuple

from zhian.domains.places.divisions_index import (
    HOME_CITY,
    HOME_PROVINCE,
    INDEX,
    LEVEL_COUNTY,
    ZONE_COUNTY,
    Candidate,
)
from zhian.domains.places.numerals import NUMERAL_CHARS, to_arabic


class ParsedAddress(NamedTuple):
    """The components of one address; the first eleven fields are the CLI's JSON contract."""

    province: str | None = None
    city: str | None = None
    county: str | None = None
    county_code: str | None = None
    township: str | None = None
    road: str | None = None
    house_number: str | None = None
    building: str | None = None
    unit: str | None = None
    room: str | None = None
    in_jurisdiction: bool = False
    matched: bool = False
    division_code: str | None = None  # the deepest division found: county, city or province
    zone: str | None = None  # 高新区 / 经开区
    community: str | None = None  # village (with its 组), community, residential compound
    intersection: str | None = None  # the crossing road of "A路与B路十字"
    floor: str | None = None
    qualifier: str | None = None  # 附近, 门口, 对面, 东南角, 向东100米 ...
    poi: str | None = None  # what is left: a landmark, a shop, an unparsed remainder

    def as_dict(self) -> dict[str, object]:
        """Return the fields as a JSON-ready dict, contract fields first."""
        return self._asdict()


UNMATCHED = ParsedAddress()

# Full-width forms to ASCII; separators, brackets and quotes dropped (they delimit nothing the
# patterns need); dashes to "-" for the 3-2-401 shorthand.
_TABLE: dict[int, int | None] = {c: c - 0xFEE0 for c in range(0xFF01, 0xFF5F)}
_TABLE.update(dict.fromkeys(map(ord, " \t\r\n\u3000\xa0\u200b\ufeff,，、;；:：。.!！?？"), None))
_TABLE.update(dict.fromkeys(map(ord, "\"'“”‘’()（）[]【】{}《》<>|·`…"), None))
_TABLE.update(dict.fromkeys(map(ord, "－—–‐―~～_"), ord("-")))
_TABLE[ord("＃")] = ord("#")

# Bounded, so that a search over a long run of digits stays linear rather than quadratic.
_N = rf"(?:(?<![0-9])[0-9]{{1,8}}(?![0-9])|[{NUMERAL_CHARS}]{{1,8}})"
_NAME = r"[^\W0-9_号#\-]"  # a character of a name: no digits, no structural marks

_CN_NUM = "[0-9零一二两三四五六七八九十]"
_LEAD = re.compile(
    r"(?:今天|昨天|今日|昨日|今晚|昨晚|刚才|刚刚)?(?:早上|上午|中午|下午|傍晚|晚上|夜里|凌晨)?"
    rf"(?:{_CN_NUM}{{1,3}}(?:点|时)(?:{_CN_NUM}{{1,2}}分|半|许|左右|多)*)?"
    r"(?:[^0-9]{0,12}?(?:报警称|来电称|报称|反映|举报|求助|称|说))?"
    r"(?:(?:我们|我|他们|他|她|本人|有人|发现|看到|看见)?(?:在|于|位于))?"
    r"(?:(?:事发地点|事发地|案发地点|案发地|地址|地点|位置)(?:是|为|在)?)?"
)
_EVENT = re.compile(
    r"发生|有人|出现|起火|着火|失火|冒烟|打架|斗殴|被[人偷抢砸撞打划盗困]|丢失|受伤|纠纷|吵架|争吵|"
    r"车祸|交通事故|报警|求助|一辆|一名|一男|一女|需要|请求|疑似|现场|正在|目前"
)
# A suffix-less division name followed by these is part of a road or place name (长安路).
_BLOCK = re.compile(
    r"大街|大道|大厦|广场|公园|花园|家园|小区|社区|宾馆|酒店|饭店|医院|中学|小学|大学|学院|"
    r"学校|银行|超市|市场|商场|书店|公司|[路街巷村弄苑]"
)
_ADDRESSY = re.compile(r"[路街巷道号村楼栋室]")
_ZONE = re.compile(
    r"(高新技术产业开发区|高新技术开发区|高新开发区|高新区)|(经济技术开发区|经济开发区|经开区)"
)
_TOWNSHIP = re.compile(rf"({_NAME}{{1,8}}?)(街道办事处|街道办|街道|办事处|镇|乡)")
_VILLAGE = re.compile(
    rf"{_NAME}{{1,10}}?(?:社区|小区|家属院|村)(?:村委会|委会|居委会)?(?:({_N})组)?"
)
_COMMUNITY_END = re.compile(r"(?:村委会|社区|小区|家属院|家属区|村|花园|家园|苑|公寓)$")
_NUMBERED_ROAD = re.compile(r"(?<![0-9])[A-Za-z]?[0-9]{1,4}(?:国道|省道|县道|乡道)")
# A road's name does not run across the end of an area's name (新城区太史大街 → 太史大街).
_ROAD_NAME = r"[^\W0-9_号#\-区县镇乡村]"
_ROAD = re.compile(
    rf"{_NUMBERED_ROAD.pattern}"
    rf"|{_ROAD_NAME}{{1,12}}?(?:大街|大道|胡同|公路|国道|省道|路|街|巷|道|弄)"
)
_CROSS = r"(?:的)?(十字路口|十字口|十字|交叉路口|交叉口|交汇处|交界处|交口|路口)"
_INTERSECTION = re.compile(
    rf"(?:与|和|跟|同|/|&)({_ROAD.pattern})(?:{_CROSS})?|({_ROAD.pattern}){_CROSS}"
)
_DIGIT = re.compile(r"[0-9]")
_HOUSE = re.compile(rf"({_N})(?:号院|号)(?![楼房])|([0-9]+)(?![0-9号楼栋幢座单元室层户房#米\-])")
_STRUCT = re.compile(rf"{_N}(?=号|栋|幢|座|#|单元|层|楼|室|户|房|-[0-9])")
_SHORTHAND = re.compile(r"([0-9]+)-([0-9]+)(?:-([0-9]+))?(?:室|号房|号)?(?![0-9\-])")
_BUILDING = re.compile(rf"({_N})(?:号楼|号栋|号幢|号座|栋|幢|座|#楼|#)")
_UNIT = re.compile(rf"({_N})单元(?:([0-9]+)(?:室|号房|房|户|号)?(?![0-9米]))?")
_FLOOR = re.compile(rf"({_N})(?:层|楼)(?!房)")
_ROOM = re.compile(rf"({_N})(?:室|号房|房间|房|户)|([0-9]+)号?(?![0-9米])")
_QUALIFIER = re.compile(
    r"(?:(?:向|往)?[东南西北]{1,2}(?:方向)?[0-9]+米|附近|门口|对面|旁边|隔壁|周边|周围|后面|后边|"
    r"后门|前面|前边|楼下|楼上|里面|院内|一带|路边|这边|那边|这里|那里|东南角|东北角|西南角|"
    r"西北角|[东南西北](?:侧|边|面))+"
)
_FILLER = re.compile(r"(?<=.)(?:这边|那边|这里|那里)+$")  # 门口这边: the filler adds nothing
# Text that is a place by itself even with no division, road or number (万达广场).
_POI_END = re.compile(
    r"(?:广场|大厦|商场|超市|市场|医院|学校|中学|小学|大学|学院|幼儿园|公园|酒店|宾馆|饭店|银行|"
    r"车站|火车站|汽车站|加油站|公司|厂|中心|网吧|政府|派出所|大队|景区|寺|桥|站)$"
)
_ZONES = ("高新区", "经开区")


def _ctx_prefix(code: str, level: int) -> str:
    return code[:2] if level == 1 else code[:4]


def _division_at(
    s: str, i: int, ctx: str | None, ctx_level: int, allow_short: bool
) -> tuple[int, Candidate, bool] | None:
    """The longest division name at s[i:] that fits the context: (end, candidate, short)."""
    bucket = INDEX.by_prefix.get(s[i : i + 2])
    if bucket is None:
        return None
    prefix = _ctx_prefix(ctx, ctx_level) if ctx else ""
    for surface, cands in bucket:
        if not s.startswith(surface, i):
            continue
        end = i + len(surface)
        fallback: Candidate | None = None
        for cand in cands:
            if cand.level <= ctx_level:
                continue
            fits = cand.code.startswith(prefix)
            if cand.needs_context and not (ctx and fits):
                continue
            if cand.short:
                if not allow_short:
                    continue
                if _BLOCK.match(s, end):
                    # 合阳路井镇: the "road" is a township of the county just named.
                    t = _TOWNSHIP.match(s, end)
                    if t is None or t.group(1) + t.group(2) not in INDEX.townships:
                        continue
            if fits:
                return end, cand, cand.short
            if fallback is None and not cand.short:
                fallback = cand  # an explicit full name outranks a contradicting context
        if fallback is not None:
            return end, fallback, False
    return None


def _divisions(s: str, start: int) -> tuple[int, int, str | None, int, int]:
    """Find the first chain of divisions: (chain start, chain end, code, level, short start)."""
    n = len(s) - 1
    i = 0
    while i < n:
        # A suffix-less name opens a chain only where the address starts (or after 在); the
        # text itself is tried too, in case the lead's pattern took a name (青海玉树称多).
        hit = _division_at(s, i, None, 0, i in (0, start) or s[i - 1] in "在于")
        if hit is not None:
            break
        i += 1
    else:
        return -1, start, None, 0, -1
    first = i
    end, cand, short = hit
    code, level = cand.code, cand.level
    short_start = i if short else -1
    while level < LEVEL_COUNTY:
        nxt = _division_at(s, end, code, level, True)
        if nxt is None:
            break
        short_start = end if nxt[2] else -1
        end, cand = nxt[0], nxt[1]
        code, level = cand.code, cand.level
    return first, end, code, level, short_start


def _township_county(name: str, code: str | None, level: int) -> str | None:
    codes = INDEX.townships.get(name)
    if codes is None:
        return None
    prefix = _ctx_prefix(code, level) if code else ""
    fits = {c for c in codes if c.startswith(prefix)}
    return fits.pop() if len(fits) == 1 else None


def _is_home(code: str) -> bool:
    return code.startswith(HOME_CITY) or code == HOME_PROVINCE + "0000"


def _rooms(
    t: str, pos: int, house: str | None
) -> tuple[int, int, str | None, str | None, str | None, str | None, str | None]:
    """Read door plate, building, unit, floor and room from the next number on.

    Returns (start of what was read, end, house, building, unit, floor, room); start == end
    when the next number is none of these (向东100米).
    """
    building = unit = floor = room = None
    m = _STRUCT.search(t, pos)
    if m is None:
        return pos, pos, house, None, None, None, None
    spos = npos = m.start()
    h = _SHORTHAND.match(t, spos)
    if h is not None:
        if h.group(3) is None:
            return spos, h.end(), house, h.group(1), None, None, h.group(2)  # 3-401
        return spos, h.end(), house, h.group(1), h.group(2), None, h.group(3)
    if house is None:
        hm = _HOUSE.match(t, npos)
        if hm is not None and hm.group(1) is not None:
            house, npos = to_arabic(hm.group(1)), hm.end()
    bm = _BUILDING.match(t, npos)
    if bm is not None:
        building, npos = to_arabic(bm.group(1)), bm.end()
        sh = _SHORTHAND.match(t, npos)
        if sh is not None and sh.group(3) is None:
            unit, room, npos = sh.group(1), sh.group(2), sh.end()  # 3栋2-401
    um = _UNIT.match(t, npos)
    if um is not None:
        unit, room, npos = to_arabic(um.group(1)), um.group(2), um.end()
    fm = _FLOOR.match(t, npos)
    if fm is not None:
        floor, npos = to_arabic(fm.group(1)), fm.end()
    if room is None:
        rm = _ROOM.match(t, npos)
        # A bare number is a room only after a building, unit or floor (3号楼401).
        if rm is not None and (rm.group(1) or building or unit or floor):
            room, npos = to_arabic(rm.group(1) or rm.group(2)), rm.end()
    return spos, npos, house, building, unit, floor, room


def parse(text: str) -> ParsedAddress:
    """Parse one free-text address into its components; never raises."""
    s = text.translate(_TABLE)
    lead = _LEAD.match(s)
    start = lead.end() if lead else 0
    ev = _EVENT.search(s, start + 1)
    if ev is not None:
        s = s[: ev.start()]
    first, end, code, level, short_start = _divisions(s, start)
    if first < 0:
        t = s[start:]
    elif first > start and _ADDRESSY.search(s, start, first):
        t = s[start:first] + s[end:]  # 人民路12号(临渭区): the address began before
    else:
        t = s[max(end, start) :]  # 临渭区群众反映人民路…: the lead sits between the two

    zone = township = community = road = cross = house = None
    pos = 0
    m = _ZONE.match(t)
    if m is not None:
        zone = _ZONES[0] if m.group(1) else _ZONES[1]
        pos = m.end()
    m = _TOWNSHIP.match(t, pos)
    if m is not None:
        suffix = m.group(2)
        township = m.group(1) + ("街道" if suffix[0] in "街办" else suffix)
        pos = m.end()
    # A road's name holds no digit, so the search stops at the first one (人民路12号).
    dend = _DIGIT.search(t, pos)
    limit = dend.start() if dend else len(t)
    r = _ROAD.search(t, pos, limit)
    if r is None and dend is not None:
        r = _NUMBERED_ROAD.search(t, max(pos, limit - 1))  # G310国道 starts with its digits
    v = _VILLAGE.match(t, pos)
    # 北街村 is a village, not 北街; 人民路金色家园小区 is a road then a compound.
    if v is not None:
        name_end = v.end() if v.group(1) is None else v.start(1)
        if r is None or r.start() > pos or name_end - r.end() <= 2:
            community = t[pos:name_end]
            if v.group(1) is not None:
                community += to_arabic(v.group(1)) + "组"
            pos = v.end()
            if r is not None and r.start() < pos:
                r = _ROAD.search(t, pos, limit)
    pois: list[str] = []
    if r is not None:
        if r.start() > pos:
            pois.append(t[pos : r.start()])
        road = r.group(0)
        pos = r.end()
        m = _INTERSECTION.match(t, pos)
        if m is not None:
            cross = m.group(1) or m.group(3)
            pos = m.end()
        m = _HOUSE.match(t, pos)
        if m is not None:
            house = to_arabic(m.group(1) or m.group(2))
            pos = m.end()
    spos, npos, house, building, unit, floor, room = _rooms(t, pos, house)
    if npos > spos:
        if spos > pos:
            pois.append(t[pos:spos])
        pos = npos
    qualifier = None
    rest = t[pos:]
    if rest:
        q = _QUALIFIER.search(rest)
        if q is not None:
            # What follows a qualifier is the caller's story, not the place.
            qualifier = _FILLER.sub("", q.group(0))
            rest = rest[: q.start()]
        if rest:
            pois.append(rest)
    poi = None
    for part in pois:
        if community is None and _COMMUNITY_END.search(part):
            community = part
        else:
            poi = part if poi is None else poi + part
    if poi is not None and short_start >= 0 and t.startswith(poi):
        poi = s[short_start:end] + poi  # 渭南师范学院: the short name belongs to the POI

    if level < LEVEL_COUNTY:
        found = None
        if township is not None:
            found = _township_county(township, code, level)
        if found is None and zone is not None and (code is None or _is_home(code)):
            found = ZONE_COUNTY
        if found is not None:
            code, level = found, LEVEL_COUNTY
    structured = code or zone or township or community or road or house or building or unit or room
    if not structured and not (poi and (qualifier or _POI_END.search(poi))):
        return UNMATCHED
    province = city = county = None
    if code is not None:
        province, city, county = INDEX.names(code)
    return ParsedAddress(
        province,
        city,
        county,
        code if level == LEVEL_COUNTY else None,
        township or zone,
        road,
        house,
        building,
        unit,
        room,
        code is None or _is_home(code),
        True,
        code,
        zone,
        community,
        cross,
        floor,
        qualifier,
        poi,
    )


def parse_many(lines: Iterable[str]) -> list[ParsedAddress]:
    """Parse each line of an iterable of addresses, in order."""
    return [parse(line) for line in lines]

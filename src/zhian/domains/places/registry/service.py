"""The address registry: registering roads, house numbers, buildings and rooms, and reading
them inside the actor's jurisdiction. Functions flush, never commit; changes are audited."""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import func, or_, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, contains_eager

from zhian.core import scope as scoping
from zhian.core.audit import service as audit
from zhian.core.db import Base
from zhian.core.errors import Conflict, InvalidInput
from zhian.core.identity.roles import require
from zhian.core.pagination import Page, paginate
from zhian.core.records import visible_or_404
from zhian.core.scope import Actor
from zhian.domains.places import service as places
from zhian.domains.places.models import Division
from zhian.domains.places.parser import parse
from zhian.domains.places.registry.geocoder import COUNTY_LEVELS
from zhian.domains.places.registry.models import Building, House, Road, Room
from zhian.domains.places.registry.schemas import AddressOut, HouseCreate, RoadCreate


def address_code(county: str, division: str, serial: int, number: int, suffix_no: int) -> str:
    """The standard address code: county (6), township (3), road serial (4), number (5),
    suffix serial (2); e.g. 610502001 0012 00012 00."""
    township = division[6:9] if len(division) >= 9 else "000"
    return f"{county}{township}{serial:04d}{number:05d}{suffix_no:02d}"


def county_names(session: Session) -> dict[str, str]:
    """County code → name, for labels."""
    rows = session.execute(
        select(Division.adcode, Division.name).where(Division.level.in_(COUNTY_LEVELS))
    )
    return {code: name for code, name in rows}


def label(house: House, counties: dict[str, str]) -> str:
    """An address as people write it: 临渭区朝阳大街12号 (附1)."""
    road = house.road
    return f"{counties.get(road.division, '')}{road.name}{house.number}号{house.suffix}"


def _flush_new(session: Session, row: Base, conflict: Conflict) -> None:
    try:
        with session.begin_nested():
            session.add(row)
            session.flush()
    except IntegrityError:
        raise conflict from None


def _created(session: Session, actor: Actor, row: Base, kind: str, division: str) -> None:
    audit.record(
        session,
        actor=actor,
        action="create",
        record_type=kind,
        record_id=str(row.id),
        division=division,
    )


# --- registering ---------------------------------------------------------------------------


def create_road(session: Session, *, actor: Actor, data: RoadCreate) -> Road:
    """Register a road in a county of the actor's jurisdiction."""
    require(actor, "places.manage")
    county = places.find_division(session, data.division)
    if county is None or county.level not in COUNTY_LEVELS:
        raise InvalidInput(f"须为县级行政区划代码：{data.division}", field="division")
    if not scoping.can_see(actor, data.division):
        raise InvalidInput("只能在本人管辖范围内登记", field="division")
    name = data.name.strip()
    serial = (
        session.scalar(select(func.max(Road.serial)).where(Road.division == data.division)) or 0
    )
    road = Road(name=name, division=data.division, serial=serial + 1)
    _flush_new(session, road, Conflict(f"道路已登记：{name}", field="name"))
    _created(session, actor, road, "place_road", road.division)
    return road


def _visible_road(session: Session, actor: Actor, road_id: int) -> Road:
    road = session.get(Road, road_id)
    if road is None or not scoping.can_see(actor, road.division):
        raise InvalidInput(f"道路不存在：{road_id}", field="road_id")
    return road


def create_house(session: Session, *, actor: Actor, data: HouseCreate) -> House:
    """Register a house number on a road, inside the road's county, with its address code."""
    require(actor, "places.manage")
    road = _visible_road(session, actor, data.road_id)
    division = data.division or road.division
    if not division.startswith(road.division) or places.find_division(session, division) is None:
        raise InvalidInput(f"行政区划不在该道路所在区县：{division}", field="division")
    area = places.locator(session).locate(data.lon, data.lat)
    if area is None or not area.adcode.startswith(road.division):
        raise InvalidInput("坐标不在该道路所在区县内", field="lon")
    suffix = data.suffix.strip()
    suffix_no = 0
    if suffix:
        same = select(func.count(House.id)).where(
            House.road_id == road.id, House.number == data.number, House.suffix != ""
        )
        suffix_no = (session.scalar(same) or 0) + 1
    house = House(
        road_id=road.id,
        number=data.number,
        suffix=suffix,
        code=address_code(road.division, division, road.serial, data.number, suffix_no),
        division=division,
        lon=data.lon,
        lat=data.lat,
    )
    _flush_new(session, house, Conflict(f"门牌已登记：{data.number}{suffix}", field="number"))
    _created(session, actor, house, "place_house", division)
    return house


def create_building(session: Session, *, actor: Actor, house_id: int, number: str) -> Building:
    """Register a building (楼/栋/幢) at a house number."""
    require(actor, "places.manage")
    house = session.get(House, house_id)
    if house is None or not scoping.can_see(actor, house.division):
        raise InvalidInput(f"门牌不存在：{house_id}", field="house_id")
    if not number.isdigit():
        raise InvalidInput("楼号须为数字", field="number")
    building = Building(house_id=house.id, number=str(int(number)), division=house.division)
    _flush_new(session, building, Conflict(f"楼栋已登记：{number}", field="number"))
    _created(session, actor, building, "place_building", house.division)
    return building


def create_room(
    session: Session, *, actor: Actor, building_id: int, unit: str, number: str
) -> Room:
    """Register a room (室) in a unit (单元, or "" for none) of a building."""
    require(actor, "places.manage")
    building = session.get(Building, building_id)
    if building is None or not scoping.can_see(actor, building.division):
        raise InvalidInput(f"楼栋不存在：{building_id}", field="building_id")
    for name, value in (("unit", unit), ("number", number)):
        if value and not value.isdigit():
            raise InvalidInput("单元号和房号须为数字", field=name)
    if not number:
        raise InvalidInput("请填写房号", field="number")
    unit = str(int(unit)) if unit else ""
    room = Room(
        building_id=building.id, unit=unit, number=str(int(number)), division=building.division
    )
    _flush_new(session, room, Conflict(f"房间已登记：{unit}-{number}", field="number"))
    _created(session, actor, room, "place_room", building.division)
    return room


# --- reading --------------------------------------------------------------------------------


def address_out(house: House, counties: dict[str, str]) -> AddressOut:
    """The public shape of an address."""
    return AddressOut(
        id=house.id,
        code=house.code,
        label=label(house, counties),
        road_id=house.road_id,
        road=house.road.name,
        number=house.number,
        suffix=house.suffix,
        division=house.division,
        county_code=house.road.division,
        lon=house.lon,
        lat=house.lat,
    )


def list_addresses(
    session: Session,
    *,
    actor: Actor,
    page: int = 1,
    per_page: int = 50,
    q: str | None = None,
    road_id: int | None = None,
) -> Page[House]:
    """House numbers of the actor's jurisdiction, by road or by text (road, number or code)."""
    require(actor, "places.read")
    stmt = (
        select(House)
        .join(House.road)
        .options(contains_eager(House.road))
        .where(scoping.scope_clause(actor, House.division))
    )
    if road_id is not None:
        stmt = stmt.where(House.road_id == road_id)
    text = (q or "").strip()
    if text:
        parsed = parse(text)
        if parsed.road:
            stmt = stmt.where(Road.name.contains(parsed.road, autoescape=True))
            if parsed.house_number and len(parsed.house_number) <= 6:
                stmt = stmt.where(House.number == int(parsed.house_number))
        else:
            stmt = stmt.where(
                or_(
                    Road.name.contains(text, autoescape=True),
                    House.code.startswith(text, autoescape=True),
                )
            )
    return paginate(session, stmt.order_by(House.code), page, per_page)


def visible_house(session: Session, *, actor: Actor, address_id: int) -> House:
    """One house number of the actor's jurisdiction; another's is not found (and audited)."""
    require(actor, "places.read")
    house = session.scalar(
        select(House)
        .join(House.road)
        .options(contains_eager(House.road))
        .where(House.id == address_id)
    )
    return visible_or_404(
        actor, house, record_type="place_house", record_id=address_id, label="地址"
    )


def buildings_of(session: Session, house_id: int) -> Sequence[tuple[int, str, int]]:
    """(id, number, room count) of each building at a house, by number."""
    rows = session.execute(
        select(Building.id, Building.number, func.count(Room.id))
        .outerjoin(Room, Room.building_id == Building.id)
        .where(Building.house_id == house_id)
        .group_by(Building.id, Building.number)
    ).all()
    return sorted(((int(i), str(n), int(c)) for i, n, c in rows), key=lambda r: int(r[1]))


def divisions_above(session: Session, house: House) -> list[Division]:
    """The divisions a house lies in, from its county down to the deepest one recorded
    (township, community); what lies above the county is the same for every address."""
    chain: list[Division] = []
    code: str | None = house.division
    while code is not None and len(chain) < 6:
        division = session.scalar(select(Division).where(Division.adcode == code))
        if division is None:
            break
        chain.append(division)
        if division.level in COUNTY_LEVELS or code == house.road.division:
            break
        code = division.parent_adcode
    return chain[::-1]


def units_of(session: Session, house_id: int) -> dict[int, list[tuple[str, int]]]:
    """Building id → (unit, room count) of each unit with rooms, by unit number; a building's
    rooms outside any unit count under the unit ""."""
    rows = session.execute(
        select(Room.building_id, Room.unit, func.count(Room.id))
        .join(Building, Room.building_id == Building.id)
        .where(Building.house_id == house_id)
        .group_by(Room.building_id, Room.unit)
    ).all()
    units: dict[int, list[tuple[str, int]]] = {}
    for building_id, unit, rooms in rows:
        units.setdefault(int(building_id), []).append((str(unit), int(rooms)))
    for found in units.values():
        found.sort(key=lambda u: int(u[0]) if u[0] else 0)
    return units

"""A small address registry built through the services, shared by the registry tests."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from zhian.core.scope import SYSTEM
from zhian.domains.places.models import Division
from zhian.domains.places.registry import organizations, service
from zhian.domains.places.registry.choices import OrgCategory
from zhian.domains.places.registry.models import House, Road
from zhian.domains.places.registry.schemas import HouseCreate, OrganizationCreate, RoadCreate

HOME = "610502"  # 临渭区
OTHER = "610581"  # 韩城市


def seat(session: Session, county: str) -> tuple[float, float]:
    """The county's seat, which lies inside its boundary."""
    lon, lat = session.execute(
        select(Division.seat_lon, Division.seat_lat).where(Division.adcode == county)
    ).one()
    return float(lon), float(lat)


def road(session: Session, county: str, name: str, numbers: range) -> Road:
    """A road with house numbers, about 20 m apart eastwards from the county seat."""
    made = service.create_road(session, actor=SYSTEM, data=RoadCreate(name=name, division=county))
    lon, lat = seat(session, county)
    for n in numbers:
        house(session, made, n, lon + 0.0002 * n, lat)
    return made


def house(
    session: Session, on: Road, number: int, lon: float, lat: float, suffix: str = ""
) -> House:
    """One house number on a road."""
    data = HouseCreate(road_id=on.id, number=number, suffix=suffix, lon=lon, lat=lat)
    return service.create_house(session, actor=SYSTEM, data=data)


def find(session: Session, road_name: str, number: int, county: str = HOME) -> House:
    """The house at this plate."""
    return session.scalars(
        select(House)
        .join(Road, House.road_id == Road.id)
        .where(Road.name == road_name, Road.division == county, House.number == number)
    ).one()


def build(session: Session) -> dict[str, int]:
    """Roads in 临渭区 and 韩城市, a building with rooms, and an organization in each county."""
    road(session, HOME, "朝阳大街", range(1, 21))
    road(session, HOME, "东风街", range(1, 6))
    road(session, HOME, "乐天大道", range(1, 6))
    road(session, HOME, "人民路", range(1, 6))
    road(session, OTHER, "金城大街", range(1, 6))
    road(session, OTHER, "人民路", range(1, 6))
    twelve = find(session, "朝阳大街", 12)
    building = service.create_building(session, actor=SYSTEM, house_id=twelve.id, number="3")
    service.create_room(session, actor=SYSTEM, building_id=building.id, unit="2", number="401")
    ids = {"house": twelve.id, "building": building.id}
    for county, name in ((HOME, "朝阳大街"), (OTHER, "金城大街")):
        org = organizations.create_organization(
            session,
            actor=SYSTEM,
            data=OrganizationCreate(
                name=f"{name}幼儿园",
                category=OrgCategory.KINDERGARTEN,
                house_id=find(session, name, 3, county).id,
                licence_no="916105020000000001",
                contact_name="王建国",
                contact_phone="13800001234",
            ),
        )
        ids[f"org_{county}"] = org.id
    return ids

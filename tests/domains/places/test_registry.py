"""The address registry's rules and the geocoder, on SQLite and PostgreSQL."""

from __future__ import annotations

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from tests.domains.places import registry_data as data
from zhian.core.audit.models import AuditEntry
from zhian.core.audit.service import AccessDenied
from zhian.core.errors import Conflict, InvalidInput
from zhian.core.scope import SYSTEM, Actor
from zhian.domains.places.models import Division
from zhian.domains.places.registry import geocoder, organizations, service
from zhian.domains.places.registry.models import Road
from zhian.domains.places.registry.schemas import HouseCreate, RoadCreate

COUNTY = Actor(user_id=None, username="county_disp", role="dispatcher", division=data.HOME)
CITY = Actor(user_id=None, username="city_disp", role="dispatcher", division="610500")
OFFICER = Actor(user_id=None, username="county_officer", role="officer", division=data.HOME)


@pytest.fixture()
def ids(session: Session) -> dict[str, int]:
    return data.build(session)


def geo(session: Session, q: str, actor: Actor = CITY) -> dict[str, object]:
    return geocoder.geocode(session, actor=actor, q=q)


def test_address_code_is_hierarchical_and_unique(session: Session, ids: dict[str, int]) -> None:
    twelve = data.find(session, "朝阳大街", 12)
    assert twelve.code == "610502000" + "0001" + "00012" + "00"
    on = session.get(Road, twelve.road_id)
    assert on is not None
    extra = data.house(session, on, 12, twelve.lon, twelve.lat + 0.0001, suffix="附1")
    assert extra.code == twelve.code[:-2] + "01"
    with pytest.raises(Conflict) as dup:
        data.house(session, on, 12, twelve.lon, twelve.lat)
    assert dup.value.field == "number"


def test_registry_refuses_bad_input_naming_the_field(session: Session, ids: dict[str, int]) -> None:
    with pytest.raises(Conflict) as road:
        service.create_road(
            session, actor=SYSTEM, data=RoadCreate(name="朝阳大街", division=data.HOME)
        )
    assert road.value.field == "name"
    on = session.get(Road, data.find(session, "朝阳大街", 1).road_id)
    assert on is not None
    with pytest.raises(InvalidInput) as outside:
        data.house(session, on, 100, *data.seat(session, data.OTHER))  # 韩城's seat
    assert outside.value.field == "lon"
    with pytest.raises(InvalidInput) as town:
        service.create_road(session, actor=SYSTEM, data=RoadCreate(name="某路", division="610500"))
    assert town.value.field == "division"


def test_exact_house(session: Session, ids: dict[str, int]) -> None:
    out = geo(session, "陕西省渭南市临渭区朝阳大街12号")
    assert (out["address_id"], out["level"], out["confidence"]) == (ids["house"], "house", 1.0)
    assert "candidates" not in out


def test_normalized_numerals_suffixless_county_and_street_forms(
    session: Session, ids: dict[str, int]
) -> None:
    out = geo(session, "临渭朝阳大街十二号")
    assert out["address_id"] == ids["house"] and out["confidence"] == 1.0
    street = geo(session, "临渭区东风大街3号")  # the registry has 东风街
    assert street["level"] == "house" and street["confidence"] == 0.95
    assert street["address_id"] == data.find(session, "东风街", 3).id


def test_building_and_room_levels(session: Session, ids: dict[str, int]) -> None:
    room = geo(session, "临渭区朝阳大街12号3号楼2单元401室")
    assert room["level"] == "room" and room["address_id"] == ids["house"]
    shorthand = geo(session, "临渭区朝阳大街12号3-2-401")
    assert shorthand["level"] == "room"
    unknown = geo(session, "临渭区朝阳大街12号9号楼")
    assert unknown["level"] == "house" and unknown["address_id"] == ids["house"]


def test_fuzzy_road_within_the_county(session: Session, ids: dict[str, int]) -> None:
    out = geo(session, "临渭区乐天大街3号")  # the registry has 乐天大道
    assert out["level"] == "house"
    assert out["address_id"] == data.find(session, "乐天大道", 3).id
    assert 0.7 <= float(out["confidence"]) < 0.95  # type: ignore[arg-type]


def test_below_threshold_gives_candidates_not_a_guess(
    session: Session, ids: dict[str, int]
) -> None:
    out = geo(session, "临渭区朝杨大街12号")
    assert out["address_id"] is None and out["level"] == "county"
    cands = out["candidates"]
    assert isinstance(cands, list) and cands[0]["road"] == "朝阳大街"
    assert cands[0]["address_id"] == ids["house"] and cands[0]["confidence"] < 0.7


def test_same_road_in_two_counties_without_a_county_is_unsure(
    session: Session, ids: dict[str, int]
) -> None:
    out = geo(session, "人民路3号")
    assert out["address_id"] is None and out["level"] is None
    assert {c["county_code"] for c in out["candidates"]} == {data.HOME, data.OTHER}  # type: ignore[union-attr]
    unique = geo(session, "金城大街2号")
    assert unique["level"] == "house" and unique["confidence"] == 0.9


def test_a_missing_number_stays_at_road_level(session: Session, ids: dict[str, int]) -> None:
    out = geo(session, "临渭区朝阳大街99号")
    assert out["level"] == "road" and out["address_id"] is None
    assert out["confidence"] == 1.0


def test_garbage_and_elsewhere_are_unmatched(session: Session, ids: dict[str, int]) -> None:
    for text in ("@@@###", "北京市朝阳区朝阳大街12号"):
        out = geo(session, text)
        assert out.get("address_id") is None and out.get("level") is None
    with pytest.raises(InvalidInput) as empty:
        geo(session, "   ")
    assert empty.value.field == "q"


def test_another_county_is_answered_at_county_level_only(
    session: Session, ids: dict[str, int]
) -> None:
    theirs = geo(session, "韩城市金城大街2号", actor=COUNTY)
    assert theirs["level"] == "county" and theirs["address_id"] is None
    assert "candidates" not in theirs
    ours = geo(session, "人民路3号", actor=COUNTY)
    assert {c["county_code"] for c in ours["candidates"]} == {data.HOME}  # type: ignore[union-attr]
    assert geo(session, "韩城市金城大街2号")["level"] == "house"


def test_index_follows_registry_changes(session: Session, ids: dict[str, int]) -> None:
    assert geo(session, "临渭区朝阳大街30号")["level"] == "road"
    on = session.get(Road, data.find(session, "朝阳大街", 1).road_id)
    assert on is not None
    lon, lat = data.seat(session, data.HOME)
    new = data.house(session, on, 30, lon, lat + 0.0003)
    assert geo(session, "临渭区朝阳大街30号")["address_id"] == new.id


def test_address_lists_and_detail_are_scoped(session: Session, ids: dict[str, int]) -> None:
    page = service.list_addresses(session, actor=COUNTY, per_page=500)
    assert page.total == 35 and all(h.division.startswith(data.HOME) for h in page.items)
    found = service.list_addresses(session, actor=COUNTY, q="朝阳大街12号")
    assert [h.id for h in found.items] == [ids["house"]]
    theirs = data.find(session, "金城大街", 1, data.OTHER)
    with pytest.raises(AccessDenied):
        service.visible_house(session, actor=COUNTY, address_id=theirs.id)
    assert service.buildings_of(session, ids["house"]) == [(ids["building"], "3", 1)]


def test_contacts_masked_in_lists_and_shown_to_roles_that_need_them(
    session: Session, ids: dict[str, int]
) -> None:
    listed = organizations.list_organizations(session, actor=COUNTY)
    assert [o.id for o in listed.items] == [ids["org_610502"]]
    counties = service.county_names(session)
    masked = organizations.organization_out(listed.items[0], counties)
    assert (masked.contact_phone, masked.contact_name) == ("138****1234", "王**")
    org, shown = organizations.get_organization(
        session, actor=COUNTY, organization_id=ids["org_610502"]
    )
    assert (
        shown
        and organizations.organization_out(org, counties, show_contact=shown).contact_phone
        == "13800001234"
    )
    _, officer_shown = organizations.get_organization(
        session, actor=OFFICER, organization_id=ids["org_610502"]
    )
    assert not officer_shown
    reads = session.scalars(
        select(AuditEntry).where(
            AuditEntry.action == "read", AuditEntry.record_type == "place_organization"
        )
    ).all()
    assert [r.actor for r in reads][-2:] == ["county_disp", "county_officer"]
    with pytest.raises(AccessDenied):
        organizations.get_organization(session, actor=COUNTY, organization_id=ids["org_610581"])


def test_masking() -> None:
    assert organizations.mask_phone("13800000000") == "138****0000"
    assert organizations.mask_phone("12345") == "*****"
    assert organizations.mask_name("李敏") == "李*"
    assert organizations.mask_name(None) is None


def test_divisions_above_run_from_the_county_down_to_the_house(
    session: Session, ids: dict[str, int]
) -> None:
    twelve = service.visible_house(session, actor=COUNTY, address_id=ids["house"])
    assert [d.adcode for d in service.divisions_above(session, twelve)] == [data.HOME]
    zone = session.scalars(select(Division).where(Division.adcode == "610502900")).one()
    assert zone.seat_lon is not None and zone.seat_lat is not None
    road = service.create_road(
        session, actor=SYSTEM, data=RoadCreate(name="高新一路", division=data.HOME)
    )
    inside = service.create_house(
        session,
        actor=SYSTEM,
        data=HouseCreate(
            road_id=road.id, number=8, division=zone.adcode, lon=zone.seat_lon, lat=zone.seat_lat
        ),
    )
    house = service.visible_house(session, actor=COUNTY, address_id=inside.id)
    chain = service.divisions_above(session, house)
    assert [(d.adcode, d.level) for d in chain] == [(data.HOME, "district"), (zone.adcode, "zone")]


def test_units_of_count_rooms_per_unit_in_unit_order(session: Session, ids: dict[str, int]) -> None:
    for unit, number in (("10", "101"), ("10", "102"), ("", "1"), ("2", "402")):
        service.create_room(
            session, actor=SYSTEM, building_id=ids["building"], unit=unit, number=number
        )
    assert service.units_of(session, ids["house"]) == {
        ids["building"]: [("", 1), ("2", 2), ("10", 2)]
    }
    assert service.units_of(session, data.find(session, "朝阳大街", 1).id) == {}

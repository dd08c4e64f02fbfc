"""Divisions: the Weinan profile, point location, and the GCJ-02 conversion behind it."""

from __future__ import annotations

import csv
from importlib import resources

import pytest
from hypothesis import given
from hypothesis import strategies as st
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from zhian.core.errors import InvalidInput, NotFound
from zhian.core.geo import gcj02_to_wgs84, haversine_m, wgs84_to_gcj02
from zhian.core.scope import SYSTEM
from zhian.domains.places import service
from zhian.domains.places.models import Division


def _seats() -> list[dict[str, str]]:
    path = resources.files("zhian.domains.places").joinpath("data/weinan/divisions.csv")
    with path.open("r", encoding="utf-8") as fh:
        return [r for r in csv.DictReader(fh) if r["level"] != "city"]


def test_profile_has_city_eleven_counties_and_two_zones(session: Session) -> None:
    levels = dict(
        (level, n)
        for level, n in session.execute(
            select(Division.level, func.count()).group_by(Division.level)
        ).all()
    )
    assert levels.get("city") == 1
    assert levels.get("district", 0) + levels.get("county", 0) + levels.get("county_city", 0) == 11
    assert levels.get("zone") == 2
    zones = session.scalars(select(Division).where(Division.level == "zone")).all()
    assert {z.name for z in zones} == {"高新区", "经开区"}
    assert {z.parent_adcode for z in zones} == {"610502"}


def test_loading_the_profile_again_changes_nothing(session: Session) -> None:
    assert service.load_weinan_profile(session) == 0


@pytest.mark.parametrize("row", _seats(), ids=lambda r: r["adcode"])
def test_each_county_seat_locates_to_its_county(session: Session, row: dict[str, str]) -> None:
    lon, lat = gcj02_to_wgs84(float(row["seat_lon"]), float(row["seat_lat"]))
    found = service.locate(session, lon=lon, lat=lat)
    assert found["county_adcode"] == row["adcode"]


def test_a_point_in_a_zone_locates_to_the_zone_and_its_county(session: Session) -> None:
    zone = session.scalar(select(Division).where(Division.name == "高新区"))
    assert zone is not None and zone.seat_lon is not None and zone.seat_lat is not None
    found = service.locate(session, lon=zone.seat_lon, lat=zone.seat_lat)
    assert found["adcode"] == zone.adcode
    assert found["county_adcode"] == "610502"
    assert found["county_name"] == "临渭区"


def test_outside_weinan_is_not_found_and_bad_coordinates_name_the_field(session: Session) -> None:
    with pytest.raises(NotFound):
        service.locate(session, lon=108.94, lat=34.34)  # Xi'an
    with pytest.raises(InvalidInput) as err:
        service.locate(session, lon=200.0, lat=34.5)
    assert err.value.field == "lon"


def test_vectorised_lookup_agrees_with_one_point_at_a_time(session: Session) -> None:
    import numpy as np

    locator = service.locator(session)
    rng = np.random.default_rng(7)
    lon = rng.uniform(109.0, 110.7, 3000)
    lat = rng.uniform(34.2, 35.9, 3000)
    many = locator.locate_many(lon, lat)
    for i in range(0, 3000, 37):
        one = locator.locate(float(lon[i]), float(lat[i]))
        assert (one.adcode if one else None) == (
            locator.areas[many[i]].adcode if many[i] >= 0 else None
        )
    assert (many >= 0).sum() > 1000


def test_map_features_follow_scope(session: Session) -> None:
    from zhian.core.scope import Actor

    county = Actor(user_id=1, username="x", role="officer", division="610581")
    assert [
        f["properties"]["adcode"] for f in service.map_features(session, actor=county)["features"]
    ] == ["610581"]
    assert len(service.map_features(session, actor=SYSTEM)["features"]) == 13


@given(st.floats(108.0, 111.0), st.floats(33.5, 36.5))
def test_gcj02_round_trip_within_a_centimetre(lon: float, lat: float) -> None:
    glon, glat = wgs84_to_gcj02(lon, lat)
    assert 100 < haversine_m(lon, lat, glon, glat) < 1000
    back = gcj02_to_wgs84(glon, glat)
    assert haversine_m(lon, lat, *back) < 0.01

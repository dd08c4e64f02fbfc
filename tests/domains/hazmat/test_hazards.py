"""Premise hazards from the hazmat and firearms registries: a magazine, a dangerous-goods
enterprise and a firearm holder flag their own address (and the 50 m around it) for the
call-taker and the incident, and nothing elsewhere."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta
from typing import Any

import pytest

from tests.domains.places import registry_data
from tests.helpers import App, running_app
from zhian.core.db import unit_of_work
from zhian.core.time import utcnow
from zhian.domains.firearms import hazards as firearm_hazards
from zhian.domains.hazmat import hazards as hazmat_hazards
from zhian.domains.incidents import hazards

BASE = "/api/v1/hazmat"
HOME, OTHER = registry_data.HOME, registry_data.OTHER


@pytest.fixture()
def world(fresh_url: str) -> Iterator[tuple[App, dict[str, str], dict[str, str]]]:
    with running_app(fresh_url, incident_check_seconds=0) as app:
        with unit_of_work(app.factory) as session:
            registry_data.build(session)
        regulator = app.headers(app.token("reg", role="regulator", division="610500"))
        dispatcher = app.headers(app.token("cmd", role="commander", division="610500"))
        yield app, regulator, dispatcher


def _post(app: App, headers: dict[str, str], path: str, body: dict[str, Any]) -> dict[str, Any]:
    made = app.client.post(BASE + path, json=body, headers=headers)
    assert made.status_code == 201, made.text
    out: dict[str, Any] = made.json()
    return out


def _house(app: App, road: str, number: int, county: str = HOME) -> tuple[int, float, float]:
    with unit_of_work(app.factory) as session:
        house = registry_data.find(session, road, number, county)
        return house.id, house.lon, house.lat


def _flags(app: App, headers: dict[str, str], **params: object) -> list[tuple[str, str]]:
    got = app.client.get("/api/v1/hazards", params=params, headers=headers)
    assert got.status_code == 200, got.text
    return [(h["kind"], h["source"]) for h in got.json()]


def _intake(app: App, headers: dict[str, str], text: str) -> dict[str, Any]:
    made = app.client.post(
        "/api/v1/incidents", json={"type": "criminal", "location_text": text}, headers=headers
    )
    assert made.status_code == 201, made.text
    out: dict[str, Any] = made.json()
    return out


def test_start_up_registers_the_registries(
    world: tuple[App, dict[str, str], dict[str, str]],
) -> None:
    assert hazards.providers()[:1] == ["manual"]
    assert {hazmat_hazards.NAME, firearm_hazards.NAME} <= set(hazards.providers())


def test_a_magazine_flags_its_address_and_not_elsewhere(
    world: tuple[App, dict[str, str], dict[str, str]],
) -> None:
    app, regulator, dispatcher = world
    twelve, lon12, lat12 = _house(app, "朝阳大街", 12)
    one, lon1, lat1 = _house(app, "朝阳大街", 1)  # about 200 m west
    office = _post(
        app,
        regulator,
        "/enterprises",
        {"name": "渭南民爆", "kind": "producer", "division": HOME, "address": "临渭区朝阳大街1号"},
    )
    assert (office["address_id"], office["lon"], office["lat"]) == (one, lon1, lat1)
    site = _post(
        app,
        regulator,
        f"/enterprises/{office['id']}/sites",
        {"name": "1号库", "capacity": {"1.1": "10"}, "address": "临渭区朝阳大街12号"},
    )
    assert site["address_id"] == twelve

    magazine = ("explosives_magazine", hazmat_hazards.NAME)
    company = ("dangerous_goods", hazmat_hazards.NAME)
    assert _flags(app, dispatcher, lon=lon12, lat=lat12) == [magazine]
    assert _flags(app, dispatcher, lon=lon1, lat=lat1) == [company]
    # The standard address alone is enough: a call resolved to it with a rough point.
    assert _flags(app, dispatcher, lon=lon12 + 0.01, lat=lat12, address_id=twelve) == [magazine]
    assert _flags(app, dispatcher, lon=lon12 + 0.01, lat=lat12) == []

    call = _intake(app, dispatcher, "临渭区朝阳大街12号")
    assert [(h["kind"], h["label"]) for h in call["hazards"]] == [
        ("explosives_magazine", "爆炸物品储存库")
    ]
    assert call["hazards"][0]["detail"] == "1号库 · 渭南民爆 · 1.1: 10"
    detail = app.client.get(f"/api/v1/incidents/{call['id']}", headers=dispatcher).json()
    assert [h["kind"] for h in detail["hazards"]] == ["explosives_magazine"]
    assert _intake(app, dispatcher, "临渭区朝阳大街5号")["hazards"] == []

    # Asked for an instant before it was registered, the registry has nothing there.
    with unit_of_work(app.factory) as session:
        before = utcnow() - timedelta(hours=1)
        assert hazards.hazards_at(session, address_id=twelve, lon=lon12, lat=lat12, at=before) == []


def test_a_chemical_store_is_dangerous_goods_not_a_magazine(
    world: tuple[App, dict[str, str], dict[str, str]],
) -> None:
    app, regulator, dispatcher = world
    _, lon, lat = _house(app, "朝阳大街", 18)
    seller = _post(
        app, regulator, "/enterprises", {"name": "渭南化工", "kind": "seller", "division": HOME}
    )
    assert (seller["address_id"], seller["lon"]) == (None, None)
    _post(
        app,
        regulator,
        f"/enterprises/{seller['id']}/sites",
        {"name": "甲类仓库", "capacity": {"3": "5000"}, "lon": lon, "lat": lat},
    )
    assert _flags(app, dispatcher, lon=lon, lat=lat) == [("dangerous_goods", hazmat_hazards.NAME)]


def test_a_firearm_holder_and_its_armoury_flag_their_places(
    world: tuple[App, dict[str, str], dict[str, str]],
) -> None:
    app, regulator, dispatcher = world
    four, lon4, lat4 = _house(app, "金城大街", 4, OTHER)
    _, lon1, lat1 = _house(app, "金城大街", 1, OTHER)
    holder = _post(
        app,
        regulator,
        "/enterprises",
        {
            "name": "韩城保安服务公司",
            "kind": "security_company",
            "division": OTHER,
            "address": "韩城市金城大街4号",
        },
    )
    assert holder["address_id"] == four
    # The armoury at a point ~30 m off the office: both flags within the 50 m.
    _post(
        app,
        regulator,
        f"/enterprises/{holder['id']}/sites",
        {"name": "枪库", "capacity": {"firearm": "20"}, "lon": lon4 + 0.0003, "lat": lat4},
    )
    holders = ("firearm_holder", firearm_hazards.NAME)
    assert _flags(app, dispatcher, lon=lon4, lat=lat4) == [holders, holders]
    assert _flags(app, dispatcher, lon=lon1, lat=lat1) == []
    call = _intake(app, dispatcher, "韩城市金城大街4号")
    assert [(h["label"], h["detail"]) for h in call["hazards"]] == [
        ("持枪单位", "韩城保安服务公司"),
        ("持枪单位", "枪库 · 韩城保安服务公司 · firearm: 20"),
    ]


def test_an_address_the_registry_does_not_know_flags_nothing(
    world: tuple[App, dict[str, str], dict[str, str]],
) -> None:
    app, regulator, dispatcher = world
    _, lon, lat = _house(app, "朝阳大街", 20)
    unknown = _post(
        app,
        regulator,
        "/enterprises",
        {"name": "无名爆破", "kind": "blasting", "division": HOME, "address": "临渭区无此路99号"},
    )
    assert (unknown["address_id"], unknown["lon"], unknown["lat"]) == (None, None, None)
    assert _flags(app, dispatcher, lon=lon, lat=lat) == []
    half = app.client.post(
        BASE + "/enterprises",
        json={"name": "半个点", "kind": "seller", "division": HOME, "lon": lon},
        headers=regulator,
    )
    assert half.status_code == 422 and "lat" in half.text

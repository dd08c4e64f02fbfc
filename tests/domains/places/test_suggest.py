"""Address suggestions as you type: splitting what was typed, ranking, limits and scope."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from tests.domains.places import registry_data as data
from tests.helpers import App, running_app
from zhian.core.db import unit_of_work
from zhian.domains.places.registry.suggest import split_query


@pytest.fixture()
def world(fresh_url: str) -> Iterator[tuple[App, dict[str, int]]]:
    with running_app(fresh_url) as app:
        with unit_of_work(app.factory) as session:
            ids = data.build(session)
        yield app, ids


def suggest(app: App, headers: dict[str, str], q: str, **params: Any) -> list[dict[str, Any]]:
    resp = app.client.get("/api/v1/addresses/suggest", params={"q": q, **params}, headers=headers)
    assert resp.status_code == 200, resp.text
    items: list[dict[str, Any]] = resp.json()["items"]
    return items


@pytest.mark.parametrize(
    ("typed", "expected"),
    [
        ("朝阳", (None, "朝阳", "")),
        ("临渭区朝阳", ("610502", "朝阳", "")),
        ("临渭区朝阳大街12号", ("610502", "朝阳大街", "12")),
        ("朝阳大街１", (None, "朝阳大街", "1")),
        ("渭南市 朝阳大", (None, "朝阳大", "")),
        ("乐天大道十二", (None, "乐天大道", "12")),
    ],
)
def test_what_was_typed_splits_into_county_road_and_number(
    typed: str, expected: tuple[str | None, str, str]
) -> None:
    assert split_query(typed) == expected


def test_roads_then_house_numbers_as_one_types(world: tuple[App, dict[str, int]]) -> None:
    app, ids = world
    headers = app.headers(app.token("sug_disp", role="dispatcher", division=data.HOME))
    for partial in ("朝阳", "朝阳大", "朝阳街", "临渭区朝阳"):
        roads = suggest(app, headers, partial)
        assert [r["label"] for r in roads] == ["临渭区朝阳大街"], partial
        assert roads[0]["level"] == "road" and roads[0]["address_id"] is None
        assert roads[0]["url"] == f"/places?road_id={roads[0]['road_id']}"
    houses = suggest(app, headers, "朝阳大街1", limit=5)
    assert [h["label"] for h in houses] == [
        "临渭区朝阳大街1号",
        "临渭区朝阳大街10号",
        "临渭区朝阳大街11号",
        "临渭区朝阳大街12号",
        "临渭区朝阳大街13号",
    ]
    twelve = suggest(app, headers, "临渭区朝阳大街12号")
    assert [h["address_id"] for h in twelve] == [ids["house"]]
    assert twelve[0]["url"] == f"/places/addresses/{ids['house']}"
    assert len(twelve[0]["code"]) == 20
    assert suggest(app, headers, "朝阳大街99") == []
    assert suggest(app, headers, "   ") == []
    assert suggest(app, headers, "@@@###") == []


def test_suggestions_stay_inside_the_jurisdiction(world: tuple[App, dict[str, int]]) -> None:
    app, _ = world
    county = app.headers(app.token("sug_county", role="officer", division=data.HOME))
    city = app.headers(app.token("sug_city", role="leader", division="610500"))
    assert [r["county_code"] for r in suggest(app, county, "人民路")] == [data.HOME]
    assert sorted(r["county_code"] for r in suggest(app, city, "人民路")) == [
        data.HOME,
        data.OTHER,
    ]
    assert suggest(app, county, "金城") == []
    assert suggest(app, county, "金城大街3") == []
    assert [r["label"] for r in suggest(app, city, "金城大街3")] == ["韩城市金城大街3号"]
    # A zone (sub-county) user is offered the roads of their county but no house outside the zone.
    township = app.headers(app.token("sug_town", role="officer", division="610502900"))
    assert [r["level"] for r in suggest(app, township, "朝阳大街")] == ["road"]
    assert suggest(app, township, "朝阳大街1") == []


def test_new_addresses_are_suggested_and_bad_requests_refused(
    world: tuple[App, dict[str, int]],
) -> None:
    app, _ = world
    headers = app.headers(app.token("sug_new", role="dispatcher", division=data.HOME))
    assert suggest(app, headers, "新华") == []
    with unit_of_work(app.factory) as session:
        data.road(session, data.HOME, "新华街", range(7, 9))
    assert [h["label"] for h in suggest(app, headers, "新华街")] == ["临渭区新华街"]
    assert [h["label"] for h in suggest(app, headers, "新华街8")] == ["临渭区新华街8号"]
    url = "/api/v1/addresses/suggest"
    assert app.client.get(url, params={"q": "x", "limit": 21}, headers=headers).status_code == 422
    assert app.client.get(url, params={"q": "x" * 201}, headers=headers).status_code == 422
    assert app.client.get(url, params={"q": "朝阳"}).status_code == 401

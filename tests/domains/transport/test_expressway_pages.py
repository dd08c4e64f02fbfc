"""Expressways on the transport page: the bands on the map, the list, and the drawing form."""

from __future__ import annotations

import html
import json
import re
from collections.abc import Iterator
from typing import Any

import pytest
from sqlalchemy import select

from tests.api.test_console_auth import _csrf, sign_in
from tests.domains.transport.builders import HOME, OTHER
from tests.domains.transport.corridor_builders import line_geojson
from tests.helpers import App, running_app
from zhian.core.audit.models import AuditEntry
from zhian.domains.transport.models import Expressway

FORM = "data-zh-expressway-form"


@pytest.fixture()
def app(fresh_url: str) -> Iterator[App]:
    with running_app(fresh_url) as running:
        yield running


def bands(page_html: str) -> list[dict[str, Any]]:
    found = re.search(r'data-expressways="([^"]*)"', page_html)
    assert found, "the map carries no expressways"
    value: list[dict[str, Any]] = json.loads(html.unescape(found.group(1)))
    return value


def submit(app: App, **fields: str) -> Any:
    page = app.client.get("/transport")
    data = {
        "csrf_token": _csrf(page.text),
        "name": "连霍高速渭南段",
        "code": "g30",
        "width_m": "60",
        "division": HOME,
        "centreline": json.dumps(line_geojson(0, 2_000, 5_000)),
        **fields,
    }
    return app.client.post("/transport/expressways", data=data, follow_redirects=False)


def test_a_regulator_draws_one_and_it_is_listed_with_its_band(app: App) -> None:
    app.user("lw_reg", role="regulator", division=HOME)
    assert sign_in(app, "lw_reg").status_code == 303  # type: ignore[attr-defined]
    page = app.client.get("/transport")
    assert FORM in page.text and "js/expressways.js" in page.text
    assert bands(page.text) == [] and 'data-testid="no-expressways"' in page.text

    done = submit(app)
    assert done.status_code == 303, done.text
    assert done.headers["location"] == "/transport#expressways"
    page = app.client.get("/transport")
    (band,) = bands(page.text)
    assert band["code"] == "G30" and band["name"] == "连霍高速渭南段"
    assert band["area"]["type"] == "Polygon" and len(band["centreline"]["coordinates"]) == 3
    assert 'data-testid="expressways"' in page.text and "连霍高速渭南段" in page.text
    with app.factory() as session:
        road = session.scalars(select(Expressway)).one()
        assert (road.width_m, road.division) == (60.0, HOME)
        created = session.scalar(
            select(AuditEntry).where(
                AuditEntry.record_type == "transport_expressway", AuditEntry.action == "create"
            )
        )
        assert created is not None and created.actor == "lw_reg"


@pytest.mark.parametrize(
    ("change", "field", "message"),
    [
        ({"name": "  "}, "name", "请填写路段名称"),
        ({"code": "30"}, "code", "路线编号应为 G 或 S"),
        ({"width_m": "0"}, "width_m", "每侧带宽"),
        ({"width_m": "宽"}, "width_m", "每侧带宽"),
        ({"division": OTHER}, "division", "只能在本人管辖范围内登记"),
        ({"centreline": ""}, "centreline", "请在地图上点选至少两个点"),
        ({"centreline": "{not json"}, "centreline", "不是有效的 GeoJSON"),
        (
            {"centreline": '{"type": "Point", "coordinates": [109.5, 34.5]}'},
            "centreline",
            "LineString",
        ),
        (
            {"centreline": '{"type": "LineString", "coordinates": [[109.5, 34.5]]}'},
            "centreline",
            "",
        ),
    ],
)
def test_a_bad_field_is_named_in_chinese_and_the_input_kept(
    app: App, change: dict[str, str], field: str, message: str
) -> None:
    app.user("lw_reg", role="regulator", division=HOME)
    sign_in(app, "lw_reg")
    resp = submit(
        app, name=change.get("name", "渭玉高速"), **{k: v for k, v in change.items() if k != "name"}
    )
    assert resp.status_code == 422, resp.text
    error = re.search(r'data-testid="expressway-error" data-field="([^"]*)">([^<]+)<', resp.text)
    assert error, resp.text
    assert error.group(1) == field
    assert message in html.unescape(error.group(2))
    assert re.search(r"[\u4e00-\u9fff]", error.group(2))  # the console speaks Chinese
    assert "<details" in resp.text and "open>" in resp.text  # the form stays open
    kept = change.get("name", "渭玉高速").strip()
    if kept:
        assert f'value="{kept}"' in resp.text
    with app.factory() as session:
        assert session.scalars(select(Expressway)).all() == []


def test_only_those_who_manage_expressways_see_the_form(app: App) -> None:
    app.user("lw_reg", role="regulator", division=HOME)
    sign_in(app, "lw_reg")
    assert submit(app).status_code == 303
    app.client.cookies.clear()
    app.user("lw_dsp", role="dispatcher", division=HOME)
    assert sign_in(app, "lw_dsp").status_code == 303  # type: ignore[attr-defined]
    page = app.client.get("/transport")
    assert page.status_code == 200
    assert FORM not in page.text
    assert len(bands(page.text)) == 1  # but the bands are drawn for everyone who reads
    assert submit(app).status_code == 403
    with app.factory() as session:
        assert len(session.scalars(select(Expressway)).all()) == 1


def test_another_countys_expressways_are_not_shown(app: App) -> None:
    app.user("hc_reg", role="regulator", division=OTHER)
    sign_in(app, "hc_reg")
    assert submit(app, division=OTHER).status_code == 303
    app.client.cookies.clear()
    app.user("lw_reg", role="regulator", division=HOME)
    sign_in(app, "lw_reg")
    page = app.client.get("/transport")
    assert bands(page.text) == [] and "连霍高速渭南段" not in page.text

"""The live fleet: latest.geojson through the API (scoped) and the /transport console page."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.api.test_console_auth import sign_in
from tests.domains.transport.builders import HOME, OTHER, feed, provision
from tests.helpers import App, running_app
from zhian.core.db import unit_of_work

LATEST = "/api/v1/transport/vehicles/latest.geojson"


@pytest.fixture()
def app(fresh_url: str) -> Iterator[App]:
    with running_app(fresh_url) as running:
        yield running


def _fleet(app: App) -> dict[str, int]:
    """A calm vehicle and a speeding one at home, one in another county, one never seen."""
    with unit_of_work(app.factory) as session:
        calm = provision(session, 1, HOME)
        fast = provision(session, 2, HOME)
        away = provision(session, 3, OTHER)
        quiet = provision(session, 4, HOME)
        feed(session, calm, [40, 50, 45])
        feed(session, fast, [60, 95, 99])
        feed(session, away, [50, 50])
        return {"calm": calm.id, "fast": fast.id, "away": away.id, "quiet": quiet.id}


def test_latest_geojson_is_scoped_and_marks_alarms(app: App) -> None:
    ids = _fleet(app)
    county = app.headers(app.token("lw_disp", role="dispatcher", division=HOME))
    body = app.client.get(LATEST, headers=county).json()
    assert body["type"] == "FeatureCollection"
    by_id = {f["properties"]["id"]: f for f in body["features"]}
    assert set(by_id) == {ids["calm"], ids["fast"]}  # not another county's, not one unseen
    calm, fast = by_id[ids["calm"]], by_id[ids["fast"]]
    assert calm["geometry"]["type"] == "Point" and len(calm["geometry"]["coordinates"]) == 2
    assert calm["properties"]["kind"] == "vehicle" and calm["properties"]["speed_kmh"] == 45
    assert calm["properties"]["plate"] == "陕E00001" and calm["properties"]["time"]
    assert fast["properties"]["kind"] == "alarm" and fast["properties"]["alerts"] == ["overspeed"]
    city = app.headers(app.token("city_disp", role="dispatcher", division="610500"))
    everything = app.client.get(LATEST, headers=city).json()["features"]
    assert {f["properties"]["id"] for f in everything} == {ids["calm"], ids["fast"], ids["away"]}


def test_latest_geojson_needs_a_caller(app: App) -> None:
    assert app.client.get(LATEST).status_code == 401


def test_transport_page_shows_the_fleet_and_the_map(app: App) -> None:
    ids = _fleet(app)
    app.user("lw_officer", role="officer", division=HOME)
    assert sign_in(app, "lw_officer").status_code == 303  # type: ignore[attr-defined]
    page = app.client.get("/transport")
    assert page.status_code == 200
    html = page.text
    assert f'data-points="{LATEST}"' in html and 'data-refresh="5"' in html
    assert "js/map.js" in html and "<script>" not in html
    assert "陕E00001" in html and "陕E00002" in html and "陕E00004" in html
    assert "陕E00003" not in html  # another county's vehicle
    assert f'data-vehicle-id="{ids["away"]}"' not in html
    assert "超速" in html and "尚未定位" in html and "临渭区" in html
    home = app.client.get("/")
    assert 'href="/transport"' in home.text


def test_transport_page_needs_a_sign_in(app: App) -> None:
    resp = app.client.get("/transport", follow_redirects=False)
    assert resp.status_code == 303 and resp.headers["location"].startswith("/login")

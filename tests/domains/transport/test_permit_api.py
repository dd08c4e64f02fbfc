"""The permit and no-go zone API through the app, and the scope suite for permits."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from sqlalchemy.orm import Session

from tests.domains.transport.builders import HOME, OTHER, provision
from tests.domains.transport.corridor_builders import line_geojson, permit_data, square_geojson
from tests.domains.transport.test_corridor import GPX_TRACK
from tests.helpers import App, running_app
from tests.suites.scope import JurisdictionScopeSuite
from zhian.core.db import unit_of_work
from zhian.core.scope import SYSTEM
from zhian.domains.transport import permits

PERMITS = "/api/v1/transport/permits"
ZONES = "/api/v1/transport/no-go-zones"
EXPRESSWAYS = "/api/v1/transport/expressways"


class TestPermitScope(JurisdictionScopeSuite):
    list_path = PERMITS
    detail_path = PERMITS + "/{key}"
    record_type = "transport_permit"

    def make_record(self, session: Session, division: str, n: int) -> str:
        vehicle = provision(session, n, division)
        return str(permits.issue_permit(session, actor=SYSTEM, data=permit_data(vehicle.id)).id)


@pytest.fixture()
def world(fresh_url: str) -> Iterator[tuple[App, dict[str, Any], int]]:
    with running_app(fresh_url) as app:
        with unit_of_work(app.factory) as session:
            ours, theirs = provision(session, 1, HOME).id, provision(session, 2, OTHER).id
        body = permit_data(ours).model_dump(mode="json")
        yield app, body, theirs


def test_issue_and_read_a_permit(world: tuple[App, dict[str, Any], int]) -> None:
    app, body, _ = world
    headers = app.headers(app.token("lw_reg", role="regulator", division=HOME))
    resp = app.client.post(PERMITS, json=body, headers=headers)
    assert resp.status_code == 201, resp.text
    out = resp.json()
    assert out["status"] == "active" and out["corridor"]["type"] == "LineString"
    assert out["corridor_width_m"] == 50.0 and out["division"] == HOME
    got = app.client.get(f"{PERMITS}/{out['id']}", headers=headers)
    assert got.status_code == 200 and got.json() == out
    gpx = {**body, "corridor": None, "corridor_gpx": GPX_TRACK}
    resp = app.client.post(PERMITS, json=gpx, headers=headers)
    assert resp.status_code == 201, resp.text
    assert len(resp.json()["corridor"]["coordinates"]) == 3
    listed = app.client.get(PERMITS, params={"status": "active"}, headers=headers).json()
    assert listed["total"] == 2
    dispatcher = app.headers(app.token("lw_dsp", role="dispatcher", division=HOME))
    assert app.client.post(PERMITS, json=body, headers=dispatcher).status_code == 403


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"corridor": {"type": "Point", "coordinates": [109.5, 34.5]}}, "corridor"),
        ({"corridor": None}, "corridor"),
        ({"corridor_gpx": "<gpx><trk>"}, "corridor"),
        ({"corridor": None, "corridor_gpx": "<gpx><trk>"}, "corridor_gpx"),
        ({"corridor_width_m": 0}, "corridor_width_m"),
        ({"un_number": "12"}, "un_number"),
        ({"hazard_class": "8"}, "hazard_class"),
        ({"valid_until": "2026-10-01T00:00:00Z"}, "valid_until"),
        ({"valid_from": "2026-10-01T00:00:00"}, "valid_from"),
        ({"vehicle_id": 999_999}, "vehicle_id"),
        ({"approved_stops": [{"name": "服务区", "lon": 200.0, "lat": 34.5}]}, "lon"),
        ({"waypoints": [{"name": " ", "lon": 109.5, "lat": 34.5}]}, "name"),
    ],
)
def test_bad_permit_input_names_the_field(
    world: tuple[App, dict[str, Any], int], change: dict[str, Any], field: str
) -> None:
    app, body, _ = world
    headers = app.headers(app.token("lw_reg", role="regulator", division=HOME))
    resp = app.client.post(PERMITS, json={**body, **change}, headers=headers)
    assert resp.status_code == 422, resp.text
    assert resp.json()["detail"][0]["loc"][-1] == field


def test_waypoints_and_approved_stops_round_trip(
    world: tuple[App, dict[str, Any], int],
) -> None:
    app, body, _ = world
    headers = app.headers(app.token("lw_reg", role="regulator", division=HOME))
    stops = [{"name": "渭南服务区", "lon": 109.52, "lat": 34.5}]
    points = [{"name": "G30 渭南东收费站", "lon": 109.55, "lat": 34.5}]
    resp = app.client.post(
        PERMITS, json={**body, "approved_stops": stops, "waypoints": points}, headers=headers
    )
    assert resp.status_code == 201, resp.text
    out = resp.json()
    assert out["approved_stops"] == stops and out["waypoints"] == points
    assert app.client.get(f"{PERMITS}/{out['id']}", headers=headers).json() == out
    plain = app.client.post(PERMITS, json=body, headers=headers).json()
    assert plain["approved_stops"] == [] and plain["waypoints"] == []


def test_another_countys_vehicle_gets_no_permit(world: tuple[App, dict[str, Any], int]) -> None:
    app, body, theirs = world
    headers = app.headers(app.token("lw_reg", role="regulator", division=HOME))
    resp = app.client.post(PERMITS, json={**body, "vehicle_id": theirs}, headers=headers)
    assert resp.status_code == 422 and resp.json()["detail"][0]["loc"][-1] == "vehicle_id"


def test_no_go_zones(world: tuple[App, dict[str, Any], int]) -> None:
    app, _, _ = world
    headers = app.headers(app.token("lw_reg", role="regulator", division=HOME))
    body = {
        "name": "渭南高级中学",
        "kind": "school",
        "area": square_geojson(0, 0, 100),
        "restricted_hours": "07:00-09:00",
        "division": HOME,
    }
    resp = app.client.post(ZONES, json=body, headers=headers)
    assert resp.status_code == 201, resp.text
    assert resp.json()["restricted_hours"] == "07:00-09:00"
    for change, field in (
        ({"restricted_hours": "7-9"}, "restricted_hours"),
        ({"area": line_geojson(0, 10)}, "area"),
        ({"kind": "park"}, "kind"),
        ({"division": OTHER}, "division"),
    ):
        bad = app.client.post(ZONES, json={**body, **change}, headers=headers)
        assert bad.status_code == 422, bad.text
        assert bad.json()["detail"][0]["loc"][-1] == field
    listed = app.client.get(ZONES, headers=headers).json()
    assert listed["total"] == 1 and listed["items"][0]["area"]["type"] == "Polygon"
    other = app.headers(app.token("hc_reg", role="regulator", division=OTHER))
    assert app.client.get(ZONES, headers=other).json()["total"] == 0


def test_expressways(world: tuple[App, dict[str, Any], int]) -> None:
    app, _, _ = world
    headers = app.headers(app.token("lw_reg", role="regulator", division=HOME))
    body = {
        "name": "连霍高速渭南段",
        "code": "G30",
        "centreline": line_geojson(0, 5_000),
        "division": HOME,
    }
    resp = app.client.post(EXPRESSWAYS, json=body, headers=headers)
    assert resp.status_code == 201, resp.text
    assert resp.json()["width_m"] == 40.0 and resp.json()["code"] == "G30"
    for change, field in (
        ({"code": "30"}, "code"),
        ({"centreline": square_geojson(0, 0, 10)}, "centreline"),
        ({"width_m": 0}, "width_m"),
        ({"division": OTHER}, "division"),
    ):
        bad = app.client.post(EXPRESSWAYS, json={**body, **change}, headers=headers)
        assert bad.status_code == 422, bad.text
        assert bad.json()["detail"][0]["loc"][-1] == field
    assert app.client.get(EXPRESSWAYS, headers=headers).json()["total"] == 1
    other = app.headers(app.token("hc_reg", role="regulator", division=OTHER))
    assert app.client.get(EXPRESSWAYS, headers=other).json()["total"] == 0
    dispatcher = app.headers(app.token("lw_dsp", role="dispatcher", division=HOME))
    assert app.client.post(EXPRESSWAYS, json=body, headers=dispatcher).status_code == 403

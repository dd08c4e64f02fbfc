"""The incidents HTTP contracts, through the running app, and the jurisdiction scope suite."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from tests.domains.incidents.builders import HOME, OTHER, make_incident, make_unit, seat
from tests.domains.places import registry_data
from tests.helpers import App, running_app
from tests.suites.scope import JurisdictionScopeSuite
from zhian.core.audit.models import AuditEntry
from zhian.core.db import unit_of_work

INCIDENTS = "/api/v1/incidents"
UNITS = "/api/v1/units"


class TestIncidentScope(JurisdictionScopeSuite):
    list_path = INCIDENTS
    detail_path = INCIDENTS + "/{key}"
    record_type = "incident_incident"

    def make_record(self, session: Session, division: str, n: int) -> str:
        return str(make_incident(session, division=division, offset=(0.0001 * n, 0.0)).id)


class TestUnitScope(JurisdictionScopeSuite):
    list_path = UNITS
    detail_path = UNITS + "/{key}"
    record_type = "incident_unit"

    def make_record(self, session: Session, division: str, n: int) -> str:
        return str(make_unit(session, n, division=division).id)


@pytest.fixture()
def world(fresh_url: str) -> Iterator[tuple[App, dict[str, str], tuple[float, float]]]:
    with running_app(fresh_url) as app:
        with unit_of_work(app.factory) as session:
            registry_data.build(session)
            home = seat(session)
        headers = app.headers(app.token("api_disp", role="dispatcher", division=HOME))
        yield app, headers, home


def test_intake_detail_list_contract(
    world: tuple[App, dict[str, str], tuple[float, float]],
) -> None:
    app, headers, (lon, lat) = world
    body = {
        "type": "criminal",
        "lon": lon,
        "lat": lat,
        "narrative": "盗窃",
        "caller_phone": "13800001234",
    }
    resp = app.client.post(INCIDENTS, json=body, headers=headers)
    assert resp.status_code == 201, resp.text
    made = resp.json()
    assert {"id", "division", "lon", "lat", "status"} <= made.keys()
    assert (made["division"], made["status"], made["priority"]) == (HOME, "received", 1)
    assert made["caller_phone"] == "138****1234" and made["possible_duplicates"] == []
    again = app.client.post(INCIDENTS, json=body, headers=headers).json()
    assert again["possible_duplicates"] == [made["id"]]
    detail = app.client.get(f"{INCIDENTS}/{made['id']}", headers=headers).json()
    assert detail["caller_phone"] == "13800001234" and detail["caller_masked"] is False
    listed = app.client.get(INCIDENTS, headers=headers).json()
    assert listed["total"] == 2 and listed["items"][0]["caller_phone"] == "138****1234"


def test_geocoded_intake_carries_level_and_candidates(
    world: tuple[App, dict[str, str], tuple[float, float]],
) -> None:
    app, headers, _ = world
    resp = app.client.post(
        INCIDENTS, json={"type": "dispute", "location_text": "临渭区朝杨大街12号"}, headers=headers
    )
    assert resp.status_code == 201, resp.text
    made = resp.json()
    assert made["location_level"] and made["candidates"][0]["road"] == "朝阳大街"


def test_intake_refusals_name_the_field(
    world: tuple[App, dict[str, str], tuple[float, float]],
) -> None:
    app, headers, _ = world
    for body, field in (
        ({"type": "dispute", "lon": 116.4, "lat": 39.9}, "lon"),
        ({"type": "dispute"}, "location_text"),
        ({"type": "nonsense", "lon": 109.5, "lat": 34.5}, "type"),
        ({"type": "dispute", "lon": 109.5, "lat": 34.5, "priority": 5}, "priority"),
    ):
        resp = app.client.post(INCIDENTS, json=body, headers=headers)
        assert resp.status_code == 422, (body, resp.text)
        assert field in json.dumps(resp.json()), resp.text


def test_units_recommend_assign(world: tuple[App, dict[str, str], tuple[float, float]]) -> None:
    app, headers, (lon, lat) = world
    ids = []
    for n, dx in ((1, 0.02), (2, 0.002)):
        resp = app.client.post(
            UNITS,
            json={"callsign": f"渭巡{n}", "kind": "patrol_car", "division": HOME},
            headers=headers,
        )
        assert resp.status_code == 201, resp.text
        unit = resp.json()
        assert unit["status"] == "off_duty"
        moved = app.client.put(
            f"{UNITS}/{unit['id']}/position", json={"lon": lon + dx, "lat": lat}, headers=headers
        )
        assert moved.status_code == 200 and moved.json()["lon"] == lon + dx
        on = app.client.post(
            f"{UNITS}/{unit['id']}/status", json={"status": "available"}, headers=headers
        )
        assert on.status_code == 200 and on.json()["status"] == "available"
        ids.append(unit["id"])
    bad = app.client.post(f"{UNITS}/{ids[0]}/status", json={"status": "on_scene"}, headers=headers)
    assert bad.status_code == 409 and bad.json()["detail"][0]["field"] == "status"
    dup = app.client.post(
        UNITS, json={"callsign": "渭巡1", "kind": "foot", "division": HOME}, headers=headers
    )
    assert dup.status_code == 409
    incident = app.client.post(
        INCIDENTS, json={"type": "traffic", "lon": lon, "lat": lat}, headers=headers
    ).json()
    recs = app.client.get(f"{INCIDENTS}/{incident['id']}/recommendations", headers=headers)
    assert recs.status_code == 200, recs.text
    ranked = recs.json()
    assert [r["unit_id"] for r in ranked] == [ids[1], ids[0]]
    assert {"unit_id", "distance_m", "eta_s"} <= ranked[0].keys()
    assert ranked[0]["distance_m"] < ranked[1]["distance_m"]
    assigned = app.client.post(
        f"{INCIDENTS}/{incident['id']}/assign", json={"unit_id": ids[1]}, headers=headers
    )
    assert assigned.status_code == 200, assigned.text
    assert assigned.json()["status"] == "dispatched" and assigned.json()["dispatched_at"]
    unit = app.client.get(f"{UNITS}/{ids[1]}", headers=headers).json()
    assert (unit["status"], unit["incident_id"]) == ("dispatched", incident["id"])
    left = app.client.get(f"{INCIDENTS}/{incident['id']}/recommendations", headers=headers).json()
    assert [r["unit_id"] for r in left] == [ids[0]]
    listed = app.client.get(UNITS, params={"status": "available"}, headers=headers).json()
    assert [u["id"] for u in listed["items"]] == [ids[0]]
    with app.factory() as session:
        actions = session.scalars(
            select(AuditEntry.action).where(AuditEntry.record_id == str(incident["id"]))
        ).all()
    assert "assign" in actions


def test_roles_and_other_county(world: tuple[App, dict[str, str], tuple[float, float]]) -> None:
    app, headers, (lon, lat) = world
    officer = app.headers(app.token("api_officer", role="officer", division=HOME))
    denied = app.client.post(
        INCIDENTS, json={"type": "dispute", "lon": lon, "lat": lat}, headers=officer
    )
    assert denied.status_code == 403
    other = app.client.post(
        UNITS, json={"callsign": "韩巡1", "kind": "foot", "division": OTHER}, headers=headers
    )
    assert other.status_code == 422 and other.json()["detail"][0]["field"] == "division"
    body: dict[str, Any] = {"type": "dispute", "lon": lon, "lat": lat}
    made = app.client.post(INCIDENTS, json=body, headers=headers).json()
    assign = app.client.post(
        f"{INCIDENTS}/{made['id']}/assign", json={"unit_id": 999999}, headers=headers
    )
    assert assign.status_code == 422 and assign.json()["detail"][0]["field"] == "unit_id"


def test_duplicates_before_registering(
    world: tuple[App, dict[str, str], tuple[float, float]],
) -> None:
    app, headers, (lon, lat) = world
    made = app.client.post(
        INCIDENTS, json={"type": "dispute", "lon": lon, "lat": lat}, headers=headers
    ).json()
    app.client.post(INCIDENTS, json={"type": "traffic", "lon": lon, "lat": lat}, headers=headers)
    app.client.post(
        INCIDENTS, json={"type": "dispute", "lon": lon, "lat": lat + 0.0045}, headers=headers
    )
    url = f"{INCIDENTS}/duplicates"
    # ~200 m north of the first call: only it (same type, near, recent) is offered.
    near = {"type": "dispute", "lon": lon, "lat": lat + 0.0018}
    resp = app.client.get(url, params=near, headers=headers)
    assert resp.status_code == 200, resp.text
    found = resp.json()
    assert [d["id"] for d in found] == [made["id"]]
    assert found[0]["url"] == f"/incidents/{made['id']}" and found[0]["status"] == "received"
    assert 150 < found[0]["distance_m"] < 250
    assert app.client.get(url, params={**near, "type": "criminal"}, headers=headers).json() == []
    # Nothing is registered by asking.
    assert app.client.get(INCIDENTS, headers=headers).json()["total"] == 3
    other = app.headers(app.token("dup_other", role="dispatcher", division=OTHER))
    assert app.client.get(url, params=near, headers=other).json() == []
    officer = app.headers(app.token("dup_officer", role="officer", division=HOME))
    assert app.client.get(url, params=near, headers=officer).status_code == 403
    bad = app.client.get(url, params={"type": "dispute", "lon": lon}, headers=headers)
    assert bad.status_code == 422 and "lat" in bad.text

"""The HTTP routes of incident operations, and the scope suite for zones, hazards, alerts."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta

import pytest
from sqlalchemy.orm import Session

from tests.domains.incidents.builders import (
    CITY_DISPATCHER,
    HOME,
    OTHER,
    make_incident,
    make_unit,
    make_zone,
    seat,
    square,
)
from tests.domains.places import registry_data
from tests.helpers import App, running_app
from tests.suites.scope import JurisdictionScopeSuite
from zhian.core.db import unit_of_work
from zhian.core.time import utcnow
from zhian.domains.incidents import alerts, hazards
from zhian.domains.incidents.schemas import HazardCreate

ZONES = "/api/v1/patrol-zones"
HAZARDS = "/api/v1/premise-hazards"
ALERTS = "/api/v1/incident-alerts"
LEVELS = "/api/v1/duty-levels"


class TestPatrolZoneScope(JurisdictionScopeSuite):
    list_path = ZONES
    detail_path = ZONES + "/{key}"
    record_type = "incident_patrol_zone"

    def make_record(self, session: Session, division: str, n: int) -> str:
        return str(make_zone(session, f"巡区{division}-{n}", division=division, half=0.001).id)


class TestPremiseHazardScope(JurisdictionScopeSuite):
    list_path = HAZARDS
    detail_path = HAZARDS + "/{key}"
    record_type = "incident_premise_hazard"

    def make_record(self, session: Session, division: str, n: int) -> str:
        road = registry_data.road(session, division, f"测试路{n}", range(1, 2))
        house = registry_data.find(session, road.name, 1, division)
        data = HazardCreate(address_id=house.id, kind="dog", expires_at=utcnow() + timedelta(1))
        return str(hazards.create_hazard(session, actor=CITY_DISPATCHER, data=data).id)


class TestAlertScope(JurisdictionScopeSuite):
    list_path = ALERTS
    detail_path = ALERTS + "/{key}"
    record_type = "incident_alert"

    def make_record(self, session: Session, division: str, n: int) -> str:
        incident = make_incident(session, division=division, offset=(0.0001 * n, 0.0))
        (alert,) = alerts.check_overdue(session, now=incident.received_at + timedelta(hours=1))
        return str(alert.id)


@pytest.fixture()
def world(fresh_url: str) -> Iterator[tuple[App, dict[str, str], dict[str, int]]]:
    with running_app(fresh_url, incident_check_seconds=0) as app:
        with unit_of_work(app.factory) as session:
            ids = registry_data.build(session)
        headers = app.headers(app.token("ops_cmd", role="commander", division="610500"))
        yield app, headers, ids


def test_zone_and_level_routes(world: tuple[App, dict[str, str], dict[str, int]]) -> None:
    app, headers, _ = world
    with unit_of_work(app.factory) as session:
        lon, lat = seat(session)
        make_unit(session, 1, at=(lon, lat))
    body = {
        "name": "朝阳巡区",
        "division": HOME,
        "geometry": square(lon, lat),
        "units_per_level": [3, 2, 1, 1],
    }
    made = app.client.post(ZONES, json=body, headers=headers)
    assert made.status_code == 201, made.text
    zone = made.json()
    assert (zone["level"], zone["required"], zone["available"], zone["short"]) == (4, 1, 1, False)
    bad = app.client.post(
        ZONES, json={**body, "name": "x", "units_per_level": [1]}, headers=headers
    )
    assert bad.status_code == 422 and "units_per_level" in bad.text
    outside = app.client.post(
        ZONES, json={**body, "name": "y", "geometry": square(lon + 1.0, lat)}, headers=headers
    )
    assert outside.status_code == 422 and "geometry" in outside.text
    switched = app.client.post(LEVELS, json={"division": "610500", "level": 2}, headers=headers)
    assert switched.status_code == 201, switched.text
    assert switched.json()["level"] == 2 and switched.json()["set_on"] == "610500"
    levels = {lv["division"]: lv for lv in app.client.get(LEVELS, headers=headers).json()}
    assert levels[HOME]["level"] == 2 and levels[OTHER]["set_on"] == "610500"
    now = app.client.get(f"{ZONES}/{zone['id']}", headers=headers).json()
    assert (now["level"], now["required"], now["short"]) == (2, 2, True)
    county = app.headers(app.token("home_cmd", role="commander", division=HOME))
    refused = app.client.post(LEVELS, json={"division": OTHER, "level": 1}, headers=county)
    assert refused.status_code == 422 and "division" in refused.text
    disp = app.headers(app.token("home_disp", role="dispatcher", division=HOME))
    assert (
        app.client.post(LEVELS, json={"division": HOME, "level": 1}, headers=disp).status_code
        == 403
    )


def test_hazards_travel_with_the_incident(
    world: tuple[App, dict[str, str], dict[str, int]],
) -> None:
    app, headers, ids = world
    expires = (utcnow() + timedelta(days=2)).isoformat()
    flagged = app.client.post(
        HAZARDS,
        json={"address_id": ids["house"], "kind": "firearm_holder", "expires_at": expires},
        headers=headers,
    )
    assert flagged.status_code == 201, flagged.text
    naive = app.client.post(
        HAZARDS,
        json={"address_id": ids["house"], "kind": "dog", "expires_at": "2027-01-01T00:00:00"},
        headers=headers,
    )
    assert naive.status_code == 422 and "expires_at" in naive.text
    made = app.client.post(
        "/api/v1/incidents",
        json={"type": "criminal", "location_text": "临渭区朝阳大街12号"},
        headers=headers,
    ).json()
    assert made["address_id"] == ids["house"]
    assert [h["kind"] for h in made["hazards"]] == ["firearm_holder"]
    detail = app.client.get(f"/api/v1/incidents/{made['id']}", headers=headers).json()
    assert [h["label"] for h in detail["hazards"]] == ["持枪单位"]
    with unit_of_work(app.factory) as session:
        unit = make_unit(session, 2, at=seat(session))
    assigned = app.client.post(
        f"/api/v1/incidents/{made['id']}/assign", json={"unit_id": unit.id}, headers=headers
    )
    assert assigned.status_code == 200, assigned.text
    assert [h["kind"] for h in assigned.json()["hazards"]] == ["firearm_holder"]
    here = app.client.get(
        "/api/v1/hazards",
        params={"lon": made["lon"], "lat": made["lat"], "address_id": ids["house"]},
        headers=headers,
    )
    assert [h["source"] for h in here.json()] == ["manual"]
    revoked = app.client.delete(f"{HAZARDS}/{flagged.json()['id']}", headers=headers)
    assert revoked.status_code == 200 and revoked.json()["revoked_at"] is not None
    again = app.client.get(f"/api/v1/incidents/{made['id']}", headers=headers).json()
    assert again["hazards"] == []
    listed = app.client.get("/api/v1/incidents", headers=headers).json()
    assert listed["items"][0]["hazards"] is None  # not asked for in lists


def test_reassign_through_the_api(world: tuple[App, dict[str, str], dict[str, int]]) -> None:
    app, headers, _ = world
    with unit_of_work(app.factory) as session:
        incident = make_incident(session)
        a, b, c = (make_unit(session, n, at=seat(session)).id for n in (3, 4, 5))
    path = f"/api/v1/incidents/{incident.id}/assign"
    both = app.client.post(path, json={"unit_ids": [a, b]}, headers=headers)
    assert both.status_code == 200 and both.json()["status"] == "dispatched"
    swap = app.client.post(path, json={"unit_id": c, "replace": True}, headers=headers)
    assert swap.status_code == 200, swap.text
    states = {
        u: app.client.get(f"/api/v1/units/{u}", headers=headers).json()["status"] for u in (a, b, c)
    }
    assert states == {a: "available", b: "available", c: "dispatched"}
    none = app.client.post(path, json={}, headers=headers)
    assert none.status_code == 422 and "unit_id" in none.text

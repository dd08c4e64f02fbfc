"""The transport API through the app: provisioning, tracks, alerts, and the scope suite."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from tests.domains.transport.builders import HOME, OTHER, RULES, feed, provision
from tests.helpers import App, running_app
from tests.suites.scope import JurisdictionScopeSuite
from zhian.core.audit.models import AuditEntry
from zhian.core.db import unit_of_work
from zhian.core.scope import SYSTEM
from zhian.domains.transport import service
from zhian.domains.transport.models import Alert
from zhian.domains.transport.schemas import CarrierCreate

VEHICLES = "/api/v1/transport/vehicles"
ALERTS = "/api/v1/transport/alerts"
BODY = {
    "plate": "陕E12345",
    "plate_color": 2,
    "terminal_phone": "13800138000",
    "division": HOME,
    "hazard_classes": ["2.1", "3"],
    "body_type": "tank",
}


class TestVehicleScope(JurisdictionScopeSuite):
    list_path = VEHICLES
    detail_path = VEHICLES + "/{key}"
    record_type = "transport_vehicle"

    def make_record(self, session: Session, division: str, n: int) -> str:
        return str(provision(session, n, division).id)


class TestVehiclePositionsScope(TestVehicleScope):
    """The track of another county's vehicle is as absent as the vehicle."""

    detail_path = VEHICLES + "/{key}/positions"


class TestCarrierScope(JurisdictionScopeSuite):
    list_path = "/api/v1/transport/carriers"
    detail_path = "/api/v1/transport/carriers/{key}"
    record_type = "transport_carrier"

    def make_record(self, session: Session, division: str, n: int) -> str:
        data = CarrierCreate(name=f"危运{n}", licence_no=f"LIC-{division}-{n}", division=division)
        return str(service.create_carrier(session, actor=SYSTEM, data=data).id)


@pytest.fixture()
def app(fresh_url: str) -> Iterator[App]:
    with running_app(fresh_url) as running:
        yield running


def test_provision_then_read(app: App) -> None:
    headers = app.headers(app.token("lw_reg", role="regulator", division=HOME))
    resp = app.client.post(VEHICLES, json=BODY, headers=headers)
    assert resp.status_code == 201, resp.text
    body = resp.json()
    assert body["plate"] == "陕E12345" and body["hazard_classes"] == ["2.1", "3"]
    assert body["registered"] is False and "auth_code_hash" not in body
    got = app.client.get(f"{VEHICLES}/{body['id']}", headers=headers)
    assert got.status_code == 200 and got.json() == body
    listed = app.client.get(VEHICLES, params={"plate": "12345"}, headers=headers).json()
    assert [v["id"] for v in listed["items"]] == [body["id"]]


@pytest.mark.parametrize(
    ("change", "field", "status"),
    [
        ({"plate": "12345"}, "plate", 422),
        ({"plate_color": 8}, "plate_color", 422),
        ({"terminal_phone": "phone"}, "terminal_phone", 422),
        ({"hazard_classes": ["10"]}, "hazard_classes", 422),
        ({"division": OTHER}, "division", 422),
        ({"body_type": None}, "body_type", 422),
        ({"terminal_phone": "13800138001"}, "plate", 409),
        ({"plate": "陕E54321"}, "terminal_phone", 409),
    ],
)
def test_bad_or_duplicate_input_names_the_field(
    app: App, change: dict[str, Any], field: str, status: int
) -> None:
    headers = app.headers(app.token("lw_reg", role="regulator", division=HOME))
    assert app.client.post(VEHICLES, json=BODY, headers=headers).status_code == 201
    resp = app.client.post(VEHICLES, json={**BODY, **change}, headers=headers)
    assert resp.status_code == status, resp.text
    detail = resp.json()["detail"][0]
    assert detail["loc"][-1] == field


def test_roles_are_enforced(app: App) -> None:
    dispatcher = app.headers(app.token("lw_dsp", role="dispatcher", division=HOME))
    assert app.client.post(VEHICLES, json=BODY, headers=dispatcher).status_code == 403
    assert app.client.get(VEHICLES, headers=dispatcher).status_code == 200
    mediator = app.headers(app.token("lw_med", role="mediator", division=HOME))
    assert app.client.get(ALERTS, headers=mediator).status_code == 403
    assert app.client.get(VEHICLES).status_code == 401


def test_positions_and_alerts_contract(app: App) -> None:
    with unit_of_work(app.factory) as session:
        vehicle = provision(session)
        feed(session, vehicle, [40, 85, 90, 60, 60, 60], alarms=[0, 0, 1, 1, 0, 0], rules=RULES)
        vehicle_id = vehicle.id
    headers = app.headers(app.token("lw_dsp", role="dispatcher", division=HOME))
    resp = app.client.get(f"{VEHICLES}/{vehicle_id}/positions", headers=headers)
    assert resp.status_code == 200 and resp.headers["X-Zhian-Truncated"] == "false"
    track = resp.json()
    assert len(track) == 6
    assert set(track[0]) == {"lon", "lat", "speed_kmh", "heading", "time", "alarm", "status"}
    assert track[0]["time"].startswith("2026-11-01T00:00:00")
    assert [p["speed_kmh"] for p in track] == [40, 85, 90, 60, 60, 60]
    window = app.client.get(
        f"{VEHICLES}/{vehicle_id}/positions",
        params={"since": "2026-11-01T08:00:01+08:00", "until": "2026-11-01T00:00:03Z", "limit": 1},
        headers=headers,
    )
    assert window.status_code == 200 and window.headers["X-Zhian-Truncated"] == "true"
    assert [p["speed_kmh"] for p in window.json()] == [85]
    naive = app.client.get(
        f"{VEHICLES}/{vehicle_id}/positions",
        params={"since": "2026-11-01T00:00:00"},
        headers=headers,
    )
    assert naive.status_code == 422 and naive.json()["detail"][0]["field"] == "since"
    too_many = app.client.get(
        f"{VEHICLES}/{vehicle_id}/positions", params={"limit": 10_001}, headers=headers
    )
    assert too_many.status_code == 422 and too_many.json()["detail"][0]["loc"][-1] == "limit"

    page = app.client.get(ALERTS, params={"status": "open"}, headers=headers).json()
    assert page["total"] == 2 and {a["kind"] for a in page["items"]} == {"overspeed", "emergency"}
    emergency = next(a for a in page["items"] if a["kind"] == "emergency")
    assert emergency["plate"] == "陕E00001" and emergency["active"] is False
    bad = app.client.get(ALERTS, params={"status": "closed"}, headers=headers)
    assert bad.status_code == 422 and bad.json()["detail"][0]["loc"][-1] == "status"

    resolve = f"{ALERTS}/{emergency['id']}/resolve"
    empty = app.client.post(resolve, json={"note": "  "}, headers=headers)
    assert empty.status_code == 422 and empty.json()["detail"][0]["loc"][-1] == "note"
    done = app.client.post(resolve, json={"note": "已联系驾驶员，误触"}, headers=headers)
    assert done.status_code == 200, done.text
    assert done.json()["status"] == "resolved" and done.json()["resolved_by"] == "lw_dsp"
    assert app.client.post(resolve, json={"note": "again"}, headers=headers).status_code == 409
    still_open = app.client.get(ALERTS, params={"status": "open"}, headers=headers).json()
    assert [a["kind"] for a in still_open["items"]] == ["overspeed"]
    with app.factory() as session:
        entry = session.scalar(
            select(AuditEntry).where(
                AuditEntry.action == "resolve", AuditEntry.record_id == str(emergency["id"])
            )
        )
        assert entry is not None and entry.actor == "lw_dsp"


def test_another_countys_alert_cannot_be_resolved(app: App) -> None:
    with unit_of_work(app.factory) as session:
        vehicle = provision(session, 5, OTHER)
        feed(session, vehicle, [40], alarms=[1])
        alert_id = session.scalar(select(Alert.id).where(Alert.vehicle_id == vehicle.id))
    headers = app.headers(app.token("lw_cmd", role="regulator", division=HOME))
    resp = app.client.post(f"{ALERTS}/{alert_id}/resolve", json={"note": "x"}, headers=headers)
    assert resp.status_code == 404
    listed = app.client.get(ALERTS, headers=headers).json()
    assert listed["total"] == 0
    with app.factory() as session:
        denied = session.scalars(
            select(AuditEntry).where(
                AuditEntry.outcome == "denied", AuditEntry.record_type == "transport_alert"
            )
        ).all()
        assert len(denied) == 1

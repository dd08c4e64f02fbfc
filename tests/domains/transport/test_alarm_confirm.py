"""Resolving an emergency alert confirms it to the vehicle's terminal (JT/T 808 0x8203)."""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import Iterator
from datetime import timedelta
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from tests.domains.transport.builders import HOME, RULES, feed, provision
from tests.domains.transport.test_end_to_end import START, WAIT, wait_for
from tests.helpers import App, running_app
from zhian.app import create_app
from zhian.core.audit.models import AuditEntry
from zhian.core.db import make_engine, make_sessionmaker, unit_of_work
from zhian.core.settings import Settings
from zhian.domains.transport.models import Alert
from zhian.sim.jt808_terminal import SimTerminal

ALERTS = "/api/v1/transport/alerts"


@pytest.fixture()
def app(fresh_url: str) -> Iterator[App]:
    with running_app(fresh_url) as running:
        yield running


class FakeDownlink:
    """Stands in for the gateway: records what it was asked, answers ``outcome``."""

    def __init__(self, outcome: str) -> None:
        self.outcome = outcome
        self.calls: list[tuple[str, int]] = []

    async def confirm_alarm(self, phone: str, alarm_types: int, *, timeout: float) -> str:
        self.calls.append((phone, alarm_types))
        return self.outcome


def alerts_of(app: App) -> tuple[dict[str, int], str]:
    """An emergency and an overspeed alert on one vehicle: their ids, and the terminal phone."""
    with unit_of_work(app.factory) as session:
        vehicle = provision(session)
        feed(session, vehicle, [40, 90, 90, 60, 60, 60], alarms=[1, 1, 0, 0, 0, 0], rules=RULES)
        rows = session.execute(
            select(Alert.kind, Alert.id).where(Alert.vehicle_id == vehicle.id)
        ).all()
        return {kind: alert_id for kind, alert_id in rows}, vehicle.terminal_phone


def confirmations(app: App, alert_id: int) -> list[AuditEntry]:
    with app.factory() as session:
        return list(
            session.scalars(
                select(AuditEntry).where(
                    AuditEntry.action == "confirm_terminal_alarm",
                    AuditEntry.record_id == str(alert_id),
                )
            )
        )


def test_without_a_gateway_the_resolve_stands_and_says_not_delivered(app: App) -> None:
    ids, _ = alerts_of(app)
    headers = app.headers(app.token("lw_dsp", role="dispatcher", division=HOME))
    done = app.client.post(
        f"{ALERTS}/{ids['emergency']}/resolve", json={"note": "已处置"}, headers=headers
    )
    assert done.status_code == 200, done.text
    body = done.json()
    assert body["status"] == "resolved"
    assert body["terminal_confirmed"] is False
    assert body["terminal_confirmation"] == "not_connected"
    (entry,) = confirmations(app, ids["emergency"])
    assert entry.outcome == "failure" and entry.actor == "lw_dsp"
    detail = json.loads(entry.detail or "{}")
    assert detail["result"] == "not_connected" and detail["alarm_types"] == 1

    # Nothing the terminal holds: nothing to confirm, nothing audited as such.
    other = app.client.post(
        f"{ALERTS}/{ids['overspeed']}/resolve", json={"note": "已提醒"}, headers=headers
    )
    assert other.status_code == 200, other.text
    assert other.json()["terminal_confirmed"] is None
    assert other.json()["terminal_confirmation"] is None
    assert confirmations(app, ids["overspeed"]) == []


def test_the_downlink_gets_the_terminal_and_the_emergency_bit(app: App) -> None:
    ids, phone = alerts_of(app)
    fake = FakeDownlink("confirmed")
    app.client.app.state.terminal_downlink = fake  # type: ignore[attr-defined]
    headers = app.headers(app.token("lw_dsp", role="dispatcher", division=HOME))
    path = f"{ALERTS}/{ids['emergency']}/resolve"

    # A refused resolve never reaches the terminal.
    assert app.client.post(path, json={"note": " "}, headers=headers).status_code == 422
    assert fake.calls == []

    done = app.client.post(path, json={"note": "已处置"}, headers=headers)
    assert done.status_code == 200, done.text
    assert done.json()["terminal_confirmed"] is True
    assert done.json()["terminal_confirmation"] == "confirmed"
    assert fake.calls == [(phone, 1)]
    (entry,) = confirmations(app, ids["emergency"])
    assert entry.outcome == "success"

    # Resolved already: a second resolve is a conflict and sends nothing again.
    assert app.client.post(path, json={"note": "again"}, headers=headers).status_code == 409
    assert fake.calls == [(phone, 1)]


@pytest.mark.parametrize("outcome", ["refused", "no_answer"])
def test_a_terminal_that_does_not_acknowledge(app: App, outcome: str) -> None:
    ids, _ = alerts_of(app)
    app.client.app.state.terminal_downlink = FakeDownlink(outcome)  # type: ignore[attr-defined]
    headers = app.headers(app.token("lw_dsp", role="dispatcher", division=HOME))
    done = app.client.post(
        f"{ALERTS}/{ids['emergency']}/resolve", json={"note": "已处置"}, headers=headers
    )
    assert done.status_code == 200, done.text
    assert done.json()["status"] == "resolved"
    assert (done.json()["terminal_confirmed"], done.json()["terminal_confirmation"]) == (
        False,
        outcome,
    )


async def press_resolve_and_drive_on(
    port: int, vehicle: Any, resolve: Any, open_emergency: Any
) -> dict[str, Any]:
    """The driver presses the button; once the alert is open, the operator resolves it while
    the terminal keeps reading; then the terminal reports on."""
    terminal = SimTerminal(vehicle["phone"], plate=vehicle["plate"], timeout=WAIT)
    await terminal.connect("127.0.0.1", port)
    assert await terminal.register() == 0 and await terminal.authenticate() == 0
    terminal.press_emergency()
    for i in range(2):
        when = START + timedelta(seconds=10 * i)
        assert await terminal.locate(109.5 + i * 0.001, 34.5, 40, when) == 0
    alert_id = await asyncio.to_thread(open_emergency)
    assert alert_id, "the emergency alert did not open within the timeout"
    answer, confirm = await asyncio.gather(
        asyncio.to_thread(resolve, alert_id), terminal.wait_confirmation(WAIT)
    )
    after = START + timedelta(seconds=30)
    assert await terminal.locate(109.503, 34.5, 40, after) == 0
    alarm_after = terminal.alarm
    await terminal.close()
    return {"answer": answer, "confirm": confirm, "alarm_after": alarm_after}


def test_end_to_end_the_terminal_is_told_and_stops_reporting_the_button(fresh_url: str) -> None:
    engine = make_engine(fresh_url)
    factory = make_sessionmaker(engine)
    with unit_of_work(factory) as session:
        found = provision(session)
        vehicle = {"id": found.id, "phone": found.terminal_phone, "plate": found.plate}
    web = create_app(
        Settings(database_url=fresh_url, bus="memory"), session_factory=factory, jt808_port=0
    )
    try:
        with TestClient(web, base_url="http://testserver") as client:
            app = App(client, factory)
            headers = app.headers(app.token("lw_dsp", role="dispatcher", division=HOME))

            def open_emergency() -> int | None:
                def check() -> int | None:
                    page = client.get(
                        ALERTS, params={"status": "open", "kind": "emergency"}, headers=headers
                    ).json()
                    return page["items"][0]["id"] if page["items"] else None

                found: int | None = wait_for(check)
                return found

            def resolve(alert_id: int) -> Any:
                return client.post(
                    f"{ALERTS}/{alert_id}/resolve", json={"note": "已联系驾驶员"}, headers=headers
                )

            seen = asyncio.run(
                asyncio.wait_for(
                    press_resolve_and_drive_on(
                        web.state.jt808.port, vehicle, resolve, open_emergency
                    ),
                    60,
                )
            )
            answer = seen["answer"]
            assert answer.status_code == 200, answer.text
            assert answer.json()["terminal_confirmed"] is True
            assert (seen["confirm"].alarm_serial, seen["confirm"].alarm_types) == (0, 1)
            assert seen["alarm_after"] == 0

            positions_path = f"/api/v1/transport/vehicles/{vehicle['id']}/positions"

            def three() -> list[dict[str, Any]] | None:
                body = client.get(positions_path, headers=headers).json()
                return body if len(body) >= 3 else None

            positions = wait_for(three)
            assert positions is not None, "the fix after the confirmation did not arrive"
            assert [p["alarm"] & 1 for p in positions] == [1, 1, 0]
            time.sleep(0.2)
            # The cleared button opens no new emergency alert.
            page = client.get(ALERTS, params={"kind": "emergency"}, headers=headers).json()
            assert [(a["status"]) for a in page["items"]] == ["resolved"]
    finally:
        engine.dispose()

"""An operator acknowledges an alert before resolving it; an emergency alert's terminal is
told (0x8203) on the acknowledge, and on the resolve only if that did not get through; no
database lock is held while the terminal is waited for."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator

import pytest
from sqlalchemy import select, text

from tests.domains.transport.builders import HOME, OTHER, RULES, report
from tests.domains.transport.test_alarm_confirm import FakeDownlink, alerts_of, confirmations
from tests.helpers import App, running_app
from zhian.core.audit.models import AuditEntry
from zhian.core.db import unit_of_work
from zhian.domains.transport import tracking
from zhian.domains.transport.models import Position, Vehicle

ALERTS = "/api/v1/transport/alerts"


@pytest.fixture()
def app(fresh_url: str) -> Iterator[App]:
    with running_app(fresh_url) as running:
        yield running


def acknowledgements(app: App, alert_id: int) -> list[AuditEntry]:
    with app.factory() as session:
        return list(
            session.scalars(
                select(AuditEntry).where(
                    AuditEntry.action == "acknowledge", AuditEntry.record_id == str(alert_id)
                )
            )
        )


def test_acknowledge_confirms_to_the_terminal_and_the_resolve_sends_nothing_again(
    app: App,
) -> None:
    ids, phone = alerts_of(app)
    fake = FakeDownlink("confirmed")
    app.client.app.state.terminal_downlink = fake  # type: ignore[attr-defined]
    headers = app.headers(app.token("lw_dsp", role="dispatcher", division=HOME))
    path = f"{ALERTS}/{ids['emergency']}"

    done = app.client.post(f"{path}/acknowledge", headers=headers)
    assert done.status_code == 200, done.text
    body = done.json()
    assert body["status"] == "open" and body["acknowledged_by"] == "lw_dsp"
    assert body["acknowledged_at"] is not None and body["resolved_at"] is None
    assert (body["terminal_confirmed"], body["terminal_confirmation"]) == (True, "confirmed")
    assert fake.calls == [(phone, 1)]
    (entry,) = acknowledgements(app, ids["emergency"])
    assert entry.actor == "lw_dsp" and entry.outcome == "success"
    assert [e.outcome for e in confirmations(app, ids["emergency"])] == ["success"]

    # Still open (the contract of ?status=open holds), now showing who took it up.
    listed = app.client.get(ALERTS, params={"status": "open"}, headers=headers).json()
    (mine,) = [a for a in listed["items"] if a["id"] == ids["emergency"]]
    assert mine["acknowledged_by"] == "lw_dsp" and mine["terminal_confirmation"] == "confirmed"

    again = app.client.post(f"{path}/acknowledge", headers=headers)
    assert again.status_code == 409, again.text
    assert again.json()["detail"][0]["loc"][-1] == "acknowledged_at"
    assert fake.calls == [(phone, 1)]

    resolved = app.client.post(f"{path}/resolve", json={"note": "已处置"}, headers=headers)
    assert resolved.status_code == 200, resolved.text
    assert resolved.json()["status"] == "resolved"
    assert resolved.json()["terminal_confirmed"] is True
    assert fake.calls == [(phone, 1)]  # the terminal cleared its bit already
    assert len(confirmations(app, ids["emergency"])) == 1

    late = app.client.post(f"{path}/acknowledge", headers=headers)
    assert late.status_code == 409
    assert late.json()["detail"][0]["loc"][-1] == "status"


def test_a_confirmation_that_did_not_get_through_goes_out_again_on_resolve(app: App) -> None:
    ids, phone = alerts_of(app)
    headers = app.headers(app.token("lw_dsp", role="dispatcher", division=HOME))
    path = f"{ALERTS}/{ids['emergency']}"

    # No gateway in this process when it is acknowledged.
    done = app.client.post(f"{path}/acknowledge", headers=headers)
    assert done.status_code == 200, done.text
    assert (done.json()["terminal_confirmed"], done.json()["terminal_confirmation"]) == (
        False,
        "not_connected",
    )

    fake = FakeDownlink("confirmed")
    app.client.app.state.terminal_downlink = fake  # type: ignore[attr-defined]
    resolved = app.client.post(f"{path}/resolve", json={"note": "已处置"}, headers=headers)
    assert resolved.status_code == 200, resolved.text
    assert resolved.json()["terminal_confirmation"] == "confirmed"
    assert fake.calls == [(phone, 1)]
    assert [e.outcome for e in confirmations(app, ids["emergency"])] == ["failure", "success"]


def test_acknowledging_other_kinds_sends_nothing_and_is_scoped(app: App) -> None:
    ids, _ = alerts_of(app)
    fake = FakeDownlink("confirmed")
    app.client.app.state.terminal_downlink = fake  # type: ignore[attr-defined]
    path = f"{ALERTS}/{ids['overspeed']}/acknowledge"

    officer = app.headers(app.token("lw_off", role="officer", division=HOME))
    assert app.client.post(path, headers=officer).status_code == 403
    elsewhere = app.headers(app.token("hc_dsp", role="dispatcher", division=OTHER))
    assert app.client.post(path, headers=elsewhere).status_code == 404
    assert acknowledgements(app, ids["overspeed"]) == []

    dispatcher = app.headers(app.token("lw_dsp", division=HOME))
    done = app.client.post(path, headers=dispatcher)
    assert done.status_code == 200, done.text
    assert (done.json()["terminal_confirmed"], done.json()["terminal_confirmation"]) == (
        None,
        None,
    )
    assert fake.calls == []
    assert app.client.post(f"{ALERTS}/999999/acknowledge", headers=dispatcher).status_code == 404


class SilentTerminal:
    """A terminal that never answers; while the platform waits for it, the truck's next fix
    comes in through another connection, as the bus consumer's would."""

    def __init__(self, app: App, phone: str, backend: str) -> None:
        self.app, self.phone, self.backend = app, phone, backend
        self.stored: list[int] = []

    def _next_fix(self) -> None:
        with unit_of_work(self.app.factory) as session:
            if self.backend == "postgresql":
                # Without the fix the request's row locks would hold this forever.
                session.execute(text("SET LOCAL lock_timeout = '15s'"))
            vehicle = session.scalars(
                select(Vehicle).where(Vehicle.terminal_phone == self.phone)
            ).one()
            fix = report(vehicle, 60, alarm=1)
            stored = tracking.record_position(
                session, report=fix, event_id="ev-during-wait", rules=RULES
            )
            assert stored is not None
            session.flush()
            self.stored.append(stored.id)

    async def confirm_alarm(self, phone: str, alarm_types: int, *, timeout: float) -> str:
        await asyncio.to_thread(self._next_fix)
        return "no_answer"


@pytest.mark.parametrize("action", ["acknowledge", "resolve"])
def test_no_lock_is_held_while_a_silent_terminal_is_waited_for(
    app: App, backend: str, action: str
) -> None:
    ids, phone = alerts_of(app)
    silent = SilentTerminal(app, phone, backend)
    app.client.app.state.terminal_downlink = silent  # type: ignore[attr-defined]
    headers = app.headers(app.token("lw_dsp", role="dispatcher", division=HOME))
    path = f"{ALERTS}/{ids['emergency']}/{action}"
    done = app.client.post(path, json={"note": "已处置"}, headers=headers)
    assert done.status_code == 200, done.text
    assert done.json()["terminal_confirmation"] == "no_answer"
    assert len(silent.stored) == 1
    with app.factory() as session:
        assert session.get(Position, silent.stored[0]) is not None
    # The change was committed before the terminal was asked, the outcome after it.
    (entry,) = confirmations(app, ids["emergency"])
    assert entry.outcome == "failure"

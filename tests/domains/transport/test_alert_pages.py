"""Acknowledging and resolving alerts on the transport console page (forms, CSRF, errors)."""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import datetime, timedelta

import pytest
from sqlalchemy import select, update

from tests.api.test_console_auth import _csrf, sign_in
from tests.domains.transport.builders import HOME, RULES, feed, provision
from tests.domains.transport.test_alarm_confirm import FakeDownlink, alerts_of
from tests.helpers import App, running_app
from zhian.core.audit.models import AuditEntry
from zhian.core.db import unit_of_work
from zhian.core.identity.models import AuthSession
from zhian.core.time import as_utc, utcnow
from zhian.domains.transport.models import Alert


@pytest.fixture()
def app(fresh_url: str) -> Iterator[App]:
    with running_app(fresh_url) as running:
        yield running


def row(page_html: str, alert_id: int) -> str:
    found = re.search(rf'<tr data-alert-id="{alert_id}".*?</tr>', page_html, re.S)
    assert found, f"alert {alert_id} is not listed"
    return found.group(0)


def post(app: App, path: str, **fields: str) -> object:
    token = _csrf(app.client.get("/transport").text)
    return app.client.post(path, data={"csrf_token": token, **fields}, follow_redirects=False)


def test_acknowledge_then_resolve_from_the_page(app: App) -> None:
    ids, phone = alerts_of(app)
    fake = FakeDownlink("confirmed")
    app.client.app.state.terminal_downlink = fake  # type: ignore[attr-defined]
    app.user("lw_dsp", role="dispatcher", division=HOME)
    assert sign_in(app, "lw_dsp").status_code == 303  # type: ignore[attr-defined]
    emergency = ids["emergency"]

    page = app.client.get("/transport")
    mine = row(page.text, emergency)
    assert 'data-state="open"' in mine and "待确认" in mine
    assert f'action="/transport/alerts/{emergency}/acknowledge"' in mine

    # Without the session's CSRF token nothing happens.
    forged = app.client.post(f"/transport/alerts/{emergency}/acknowledge", data={})
    assert forged.status_code == 403 and fake.calls == []

    done = post(app, f"/transport/alerts/{emergency}/acknowledge")
    assert done.status_code == 303  # type: ignore[attr-defined]
    assert done.headers["location"] == f"/transport?handled={emergency}#alerts"  # type: ignore[attr-defined]
    assert fake.calls == [(phone, 1)]
    page = app.client.get(f"/transport?handled={emergency}")
    mine = row(page.text, emergency)
    assert 'data-state="acknowledged"' in mine and "lw_dsp" in mine and "终端已确认" in mine
    assert "/acknowledge" not in mine  # taken up: only the resolve form is left
    assert 'data-testid="alert-handled"' in page.text and "已确认，处置中" in page.text

    # Acknowledged twice (another tab): refused, naming the field, on the page.
    again = post(app, f"/transport/alerts/{emergency}/acknowledge")
    assert again.status_code == 409  # type: ignore[attr-defined]
    assert 'data-field="acknowledged_at"' in again.text  # type: ignore[attr-defined]

    empty = post(app, f"/transport/alerts/{emergency}/resolve", note="  ")
    assert empty.status_code == 422  # type: ignore[attr-defined]
    mine = row(empty.text, emergency)  # type: ignore[attr-defined]
    assert 'data-field="note"' in mine and "须填写处置说明" in mine

    too_long = post(app, f"/transport/alerts/{emergency}/resolve", note="长" * 2001)
    assert too_long.status_code == 422  # type: ignore[attr-defined]
    assert 'data-field="note"' in too_long.text  # type: ignore[attr-defined]
    with app.factory() as session:
        assert session.get(Alert, emergency).status == "open"  # type: ignore[union-attr]

    done = post(app, f"/transport/alerts/{emergency}/resolve", note="已联系驾驶员，误触")
    assert done.status_code == 303  # type: ignore[attr-defined]
    assert fake.calls == [(phone, 1)]  # confirmed on the acknowledge already
    page = app.client.get(f"/transport?handled={emergency}")
    assert f'<tr data-alert-id="{emergency}"' not in page.text
    flash = re.search(r'data-testid="alert-handled".*?</div>', page.text, re.S)
    assert flash and 'data-status="resolved"' in flash.group(0) and "终端已确认" in flash.group(0)
    with app.factory() as session:
        alert = session.get(Alert, emergency)
        assert alert is not None and alert.note == "已联系驾驶员，误触"
        actions = session.scalars(
            select(AuditEntry.action).where(AuditEntry.record_id == str(emergency))
        ).all()
        assert {"acknowledge", "confirm_terminal_alarm", "resolve"} <= set(actions)


def test_without_the_permission_the_alerts_are_listed_without_forms(app: App) -> None:
    ids, _ = alerts_of(app)
    app.user("lw_off", role="officer", division=HOME)
    assert sign_in(app, "lw_off").status_code == 303  # type: ignore[attr-defined]
    page = app.client.get("/transport")
    mine = row(page.text, ids["emergency"])
    assert "/acknowledge" not in mine and "/resolve" not in mine
    refused = post(app, f"/transport/alerts/{ids['emergency']}/acknowledge")
    assert refused.status_code == 403  # type: ignore[attr-defined]
    with app.factory() as session:
        alert = session.get(Alert, ids["emergency"])
        assert alert is not None and alert.acknowledged_at is None


def test_the_open_page_learns_of_alerts_raised_since_without_keeping_the_session_alive(
    app: App,
) -> None:
    alerts_of(app)
    app.user("lw_dsp", role="dispatcher", division=HOME)
    assert sign_in(app, "lw_dsp").status_code == 303  # type: ignore[attr-defined]
    page = app.client.get("/transport").text
    found = re.search(r'data-live-src="(/transport/alerts/raised\?after=(\d+))"', page)
    assert found, "the alerts section says where to check"
    check, known = found.group(1), int(found.group(2))
    assert app.client.get(check).json() == {"after": known, "count": 0}

    # Two more alerts on a second truck, and one in another county: only ours count.
    with unit_of_work(app.factory) as session:
        ours = provision(session, 2)
        feed(session, ours, [40, 90, 90], alarms=[1, 1, 1], rules=RULES)
        theirs = provision(session, 3, division="610581")
        feed(session, theirs, [40], alarms=[1], rules=RULES)
    assert app.client.get(check).json() == {"after": known, "count": 2}
    assert app.client.get("/transport/alerts/raised?after=0").json()["count"] == 4

    # A check is not activity: with the session's last sight an hour back, it stays there,
    # while loading a page moves it.
    def last_seen() -> datetime:
        with app.factory() as session:
            return as_utc(session.scalar(select(AuthSession.last_seen_at)))

    with unit_of_work(app.factory) as session:
        session.execute(update(AuthSession).values(last_seen_at=utcnow() - timedelta(minutes=10)))
    before = last_seen()
    assert app.client.get(check).status_code == 200
    assert last_seen() == before
    assert app.client.get("/transport").status_code == 200
    assert last_seen() > before

    # Signed out, a check is sent to sign in rather than answered.
    app.client.cookies.clear()
    assert app.client.get(check, follow_redirects=False).status_code in (302, 303, 401)

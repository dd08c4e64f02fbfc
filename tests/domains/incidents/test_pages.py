"""The call-taker's form and an incident's page, through the console (cookie and CSRF)."""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import timedelta

import pytest

from tests.api.test_console_auth import _csrf, sign_in
from tests.domains.incidents.builders import CITY_DISPATCHER, HOME, make_unit, seat
from tests.domains.places import registry_data
from tests.helpers import App, running_app
from zhian.core.db import unit_of_work
from zhian.core.time import utcnow
from zhian.domains.incidents import hazards
from zhian.domains.incidents.choices import UnitStatus
from zhian.domains.incidents.models import Unit
from zhian.domains.incidents.schemas import HazardCreate


@pytest.fixture()
def console(fresh_url: str) -> Iterator[tuple[App, dict[str, int]]]:
    with running_app(fresh_url, incident_check_seconds=0) as app:
        with unit_of_work(app.factory) as session:
            ids = registry_data.build(session)
            hazards.create_hazard(
                session,
                actor=CITY_DISPATCHER,
                data=HazardCreate(
                    address_id=ids["house"],
                    kind="dangerous_goods",
                    note="液化气储罐",
                    expires_at=utcnow() + timedelta(days=3),
                ),
            )
            lon, lat = seat(session)
            ids["near"] = make_unit(session, 1, at=(lon + 0.003, lat)).id
            ids["far"] = make_unit(session, 2, at=(lon + 0.02, lat)).id
            ids["busy"] = make_unit(session, 3, at=(lon, lat), status=UnitStatus.BUSY).id
        app.user("page_disp", role="dispatcher", division=HOME)
        sign_in(app, "page_disp")
        yield app, ids


def _take(app: App, **fields: str) -> object:
    form = app.client.get("/incidents/new")
    assert form.status_code == 200
    data = {"csrf_token": _csrf(form.text), "type": "dispute", **fields}
    return app.client.post("/incidents/new", data=data, follow_redirects=False)


def test_call_to_assigned_unit_in_a_few_clicks(console: tuple[App, dict[str, int]]) -> None:
    app, ids = console
    taken = _take(app, location_text="临渭区朝阳大街12号", narrative="邻里纠纷")
    assert taken.status_code == 303  # type: ignore[attr-defined]
    where = taken.headers["location"]  # type: ignore[attr-defined]
    assert re.fullmatch(r"/incidents/\d+", where)
    page = app.client.get(where)
    assert page.status_code == 200
    assert "液化气储罐" in page.text and 'data-testid="hazards"' in page.text
    rows = re.findall(r'<tr data-unit-id="(\d+)">', page.text)
    assert rows[:2] == [str(ids["near"]), str(ids["far"])]  # nearest first, busy left out
    assert str(ids["busy"]) not in rows
    sent = app.client.post(
        where + "/assign",
        data={"csrf_token": _csrf(page.text), "unit_id": str(ids["near"])},
        follow_redirects=False,
    )
    assert sent.status_code == 303
    after = app.client.get(where)
    assert f'<li data-unit-id="{ids["near"]}">' in after.text
    with app.factory() as session:
        unit = session.get(Unit, ids["near"])
        assert unit is not None and unit.status == "dispatched"
    refused = app.client.post(
        where + "/assign",
        data={"csrf_token": _csrf(page.text), "unit_id": str(ids["busy"])},
        follow_redirects=False,
    )
    assert refused.status_code == 409 and 'data-testid="assign-error"' in refused.text
    again = app.client.get("/incidents/new")
    second = app.client.post(
        "/incidents/new",
        data={
            "csrf_token": _csrf(again.text),
            "type": "dispute",
            "location_text": "临渭区朝阳大街12号",
        },
        follow_redirects=False,
    )
    dup = app.client.get(second.headers["location"])
    assert 'data-testid="duplicates"' in dup.text and f'href="{where}"' in dup.text


def test_form_refusals_name_the_field(console: tuple[App, dict[str, int]]) -> None:
    app, _ = console
    for fields, field in (
        ({}, "location_text"),
        ({"lon": "116.4", "lat": "39.9"}, "lon"),
        ({"lon": "abc", "lat": "34.5"}, "lon"),
        ({"lon": "109.5"}, "lat"),
        ({"type": "nonsense", "lon": "109.5", "lat": "34.5"}, "type"),
    ):
        resp = _take(app, **fields)
        assert resp.status_code == 422, (fields, resp.text)  # type: ignore[attr-defined]
        assert f'data-field="{field}"' in resp.text, fields  # type: ignore[attr-defined]


def test_officers_do_not_take_calls(fresh_url: str) -> None:
    with running_app(fresh_url, incident_check_seconds=0) as app:
        app.user("page_officer", role="officer", division=HOME)
        sign_in(app, "page_officer")
        assert app.client.get("/incidents/new").status_code == 403
        board = app.client.get("/incidents")
        assert board.status_code == 200 and 'data-testid="new-incident"' not in board.text

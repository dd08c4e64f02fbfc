"""The live board: what a viewer's board holds, its change stamp, and the page."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy.orm import Session

from tests.domains.incidents.builders import (
    CITY_DISPATCHER,
    HOME,
    OTHER,
    actor,
    make_incident,
    make_unit,
    seat,
)
from tests.helpers import running_app
from zhian.core.db import unit_of_work
from zhian.domains.incidents import alerts, board, service, units
from zhian.domains.incidents.choices import IncidentStatus, UnitStatus

COUNTY = actor(division=HOME)


def test_board_holds_open_visible_records_only(session: Session) -> None:
    mine = make_incident(session, type="criminal")
    theirs = make_incident(session, division=OTHER)
    done = make_incident(session, offset=(0.001, 0.0))
    service.set_incident_status(
        session, actor=CITY_DISPATCHER, incident_id=done.id, status=IncidentStatus.CANCELLED
    )
    on = make_unit(session, 1, at=seat(session))
    make_unit(session, 2, status=UnitStatus.OFF_DUTY)
    make_unit(session, 3, division=OTHER)
    now = mine.received_at + timedelta(minutes=4)
    alerts.check_overdue(session, now=now)
    snap = board.snapshot(session, actor=COUNTY, now=now)
    assert [i["id"] for i in snap["incidents"]] == [mine.id]
    assert snap["incidents"][0]["overdue"] is True
    assert snap["incidents"][0]["type_label"] == "刑事案件"
    assert [u["id"] for u in snap["units"]] == [on.id]
    assert [a["incident_id"] for a in snap["alerts"]] == [mine.id]
    city = board.snapshot(session, actor=CITY_DISPATCHER, now=now, locale="en")
    assert {i["id"] for i in city["incidents"]} == {mine.id, theirs.id}
    assert city["units"][0]["status_label"] == "Available"
    assert "caller_phone" not in city["incidents"][0]


def test_stamp_moves_with_what_the_viewer_sees_only(session: Session) -> None:
    first = board.stamp(session, actor=COUNTY)
    make_incident(session, division=OTHER)
    assert board.stamp(session, actor=COUNTY) == first
    incident = make_incident(session)
    second = board.stamp(session, actor=COUNTY)
    assert second != first
    unit = make_unit(session, 4, at=seat(session))
    third = board.stamp(session, actor=COUNTY)
    assert third != second
    service.assign(session, actor=CITY_DISPATCHER, incident_id=incident.id, unit_ids=[unit.id])
    fourth = board.stamp(session, actor=COUNTY)
    assert fourth != third
    units.set_status(session, actor=CITY_DISPATCHER, unit_id=unit.id, status=UnitStatus.ON_SCENE)
    assert board.stamp(session, actor=COUNTY) != fourth


def test_board_page_renders_for_an_officer(fresh_url: str) -> None:
    with running_app(fresh_url, incident_check_seconds=0) as app:
        with unit_of_work(app.factory) as session:
            incident = make_incident(session, narrative="测试")
        from tests.api.test_console_auth import sign_in

        app.user("board_officer", role="officer", division=HOME)
        sign_in(app, "board_officer")
        page = app.client.get("/incidents")
        assert page.status_code == 200, page.text
        assert f'data-incident-id="{incident.id}"' in page.text
        assert 'data-events="/incidents/board/events"' in page.text

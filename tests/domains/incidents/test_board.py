"""The live board: what a viewer's board holds, its change stamp, and the page."""

from __future__ import annotations

import asyncio
import json
from datetime import timedelta
from typing import Any

import pytest
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
from tests.helpers import make_user, running_app
from zhian.core.db import make_engine, make_sessionmaker, read_only, unit_of_work
from zhian.core.identity import sessions
from zhian.core.identity.models import AuthSession, User
from zhian.core.time import utcnow
from zhian.domains.incidents import alerts, board, pages, service, units
from zhian.domains.incidents.choices import IncidentStatus, UnitStatus
from zhian.domains.incidents.models import OPEN_INCIDENT

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


class _Request:
    """What the event stream reads of a request: the app's state and the connection."""

    def __init__(self, app: Any) -> None:
        self.app = app

    async def is_disconnected(self) -> bool:
        return False


def test_stream_sends_changes_and_ends_at_sign_out(
    fresh_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(pages, "POLL_S", 0.01)
    with running_app(fresh_url, incident_check_seconds=0) as app:
        with unit_of_work(app.factory) as session:
            user = make_user(session, "stream_disp", role="dispatcher", division=HOME)
            _, auth = sessions.start(session, user=user, client_addr=None)
            viewer = pages.Viewer(actor(division=HOME), auth.id, "zh_CN")
            user_id, auth_id = user.id, auth.id

        async def follow() -> list[str]:
            stream = pages._events(_Request(app.client.app), viewer)  # type: ignore[arg-type]
            got = [await anext(stream), await anext(stream)]  # retry, the first board
            with unit_of_work(app.factory) as session:
                made = make_incident(session)
            while True:
                chunk = await anext(stream)
                if chunk.startswith("event: board"):
                    got.append(chunk)
                    assert f'"id":{made.id}' in chunk
                    break
            with unit_of_work(app.factory) as session:
                sessions.end(
                    session, row=session.get(AuthSession, auth_id), user=session.get(User, user_id)
                )
            got.append(await anext(stream))
            with pytest.raises(StopAsyncIteration):
                await anext(stream)
            return got

        chunks = asyncio.run(follow())
    assert chunks[0].startswith("retry:")
    assert chunks[1].startswith("event: board\nid: 1\n")
    assert '"incidents":[]' in chunks[1]
    assert chunks[2].startswith("event: board\nid: 2\n")
    assert chunks[3].startswith("event: signed-out")


def test_open_filter_repeats_the_partial_index_predicate(session: Session) -> None:
    # PostgreSQL's generic plan can only use ix_incident_incident_open when the statement
    # carries the predicate's values as literals, exactly as the index was declared.
    sql = str(
        board._open_incidents(CITY_DISPATCHER).compile(
            session.get_bind(), compile_kwargs={"render_postcompile": True}
        )
    )
    values = OPEN_INCIDENT.removeprefix("status IN ")
    assert f"incident_incident.status IN {values}" in sql
    assert values == "(" + ", ".join(f"'{s}'" for s in board.OPEN) + ")"


def test_unit_part_is_kept_until_a_visible_unit_changes(
    fresh_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(board, "monotonic", lambda: 1000.0)  # within one age bucket
    engine = make_engine(fresh_url)
    factory = make_sessionmaker(engine)
    try:
        with unit_of_work(factory) as session:
            first = make_unit(session, 1, at=seat(session)).id
            make_unit(session, 2, at=seat(session))
            theirs = make_unit(session, 3, division=OTHER, at=seat(session, OTHER)).id
        with read_only(factory) as session:
            now = utcnow()
            one = board.snapshot(session, actor=COUNTY, now=now)["units"]
            known = board.stamp(session, actor=COUNTY)
            again = board.snapshot(session, actor=COUNTY, now=now, known=known)["units"]
            city = board.snapshot(session, actor=CITY_DISPATCHER, now=now)["units"]
        assert again is one and len(one) == 2 and len(city) == 3
        with unit_of_work(factory) as session:  # another county's unit: the county's part stays
            units.set_status(session, actor=CITY_DISPATCHER, unit_id=theirs, status=UnitStatus.BUSY)
        with read_only(factory) as session:
            assert board.snapshot(session, actor=COUNTY, now=now)["units"] is one
            assert board.snapshot(session, actor=CITY_DISPATCHER, now=now)["units"] is not city
        with unit_of_work(factory) as session:
            units.set_status(session, actor=CITY_DISPATCHER, unit_id=first, status=UnitStatus.BUSY)
        with read_only(factory) as session:
            changed = board.snapshot(session, actor=COUNTY, now=now)["units"]
        assert [u["status"] for u in changed if u["id"] == first] == ["busy"]
        # A change not yet committed is shown to its own transaction only, and never kept.
        with factory() as session:
            units.set_status(
                session, actor=CITY_DISPATCHER, unit_id=first, status=UnitStatus.OFF_DUTY
            )
            own = board.snapshot(session, actor=COUNTY, now=now)["units"]
            assert first not in [u["id"] for u in own]
            session.rollback()
        with read_only(factory) as session:
            assert board.snapshot(session, actor=COUNTY, now=now)["units"] is changed
    finally:
        engine.dispose()


def test_board_json_is_the_snapshot_encoded(session: Session) -> None:
    make_incident(session, type="criminal", narrative='引号"和\\反斜杠')
    make_unit(session, 1, at=seat(session))
    snap = board.snapshot(session, actor=COUNTY, now=utcnow())
    expected = json.dumps(snap, ensure_ascii=False, separators=(",", ":"))
    assert board.to_json(snap) == expected
    assert board.to_json(snap) == expected  # the units' text made once, then reused
    plain = {**snap, "units": list(snap["units"])}
    assert board.to_json(plain) == expected


def test_a_kept_unit_part_lasts_one_age_bucket_at_most(
    fresh_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    clock = [1000.0]
    monkeypatch.setattr(board, "monotonic", lambda: clock[0])
    engine = make_engine(fresh_url)
    factory = make_sessionmaker(engine)
    try:
        with unit_of_work(factory) as session:
            make_unit(session, 1, at=seat(session))
        with read_only(factory) as session:
            one = board.snapshot(session, actor=COUNTY, now=utcnow())["units"]
            assert board.snapshot(session, actor=COUNTY, now=utcnow())["units"] is one
            # A change whose stamp did not move (a late commit on PostgreSQL) shows up once
            # the bucket has passed.
            clock[0] += board.UNIT_PART_MAX_AGE_S
            assert board.snapshot(session, actor=COUNTY, now=utcnow())["units"] is not one
    finally:
        engine.dispose()

"""Dispatch and arrival targets are one setting each (``ZHIAN_DISPATCH_TARGET_MINUTES``,
``ZHIAN_ARRIVAL_TARGET_MINUTES``): the overdue check, the board and the response-time
report all follow it."""

from __future__ import annotations

import time
from datetime import timedelta

import pytest
from pydantic import ValidationError
from sqlalchemy.orm import Session

from tests.domains.incidents.builders import CITY_DISPATCHER, HOME, make_incident
from tests.domains.incidents.test_reports import REPORT, seed
from tests.helpers import running_app
from zhian.core.db import unit_of_work
from zhian.core.settings import DEFAULT_TARGETS, ResponseTargets, Settings
from zhian.domains.incidents import board

QUICK = "1:1,2:5,3:10,4:30"  # priority 1 overdue after one minute instead of three


def test_targets_parse_and_bad_ones_are_refused() -> None:
    assert dict(DEFAULT_TARGETS.dispatch_s) == {1: 180.0, 2: 300.0, 3: 600.0, 4: 1800.0}
    assert dict(DEFAULT_TARGETS.arrival_s) == {1: 600.0, 2: 900.0, 3: 1800.0, 4: 3600.0}
    settings = Settings(dispatch_target_minutes=" 4:30, 3:10,2:5,1:0.5 ")
    assert dict(settings.response_targets.dispatch_s) == {1: 30.0, 2: 300.0, 3: 600.0, 4: 1800.0}
    assert settings.response_targets.arrival_s == DEFAULT_TARGETS.arrival_s
    for bad in (
        "1:3,2:5,3:10",
        "1:3,2:5,3:10,4:0",
        "1:3,2:5,3:10,4:x",
        "1:3,2:5,3:10,5:1",
        "1:3,1:4,2:5,3:10,4:30",
        "1:3,2:5,3:10,4",
        "1:3,2:5,3:10,4:nan",
    ):
        with pytest.raises(ValidationError, match="dispatch_target_minutes"):
            Settings(dispatch_target_minutes=bad)
    with pytest.raises(ValidationError, match="arrival_target_minutes"):
        Settings(arrival_target_minutes="1:10")


def test_the_board_marks_overdue_by_the_targets_given(session: Session) -> None:
    incident = make_incident(session, type="criminal")  # priority 1
    now = incident.received_at + timedelta(seconds=90)
    quick = ResponseTargets.parse(QUICK, "1:10,2:15,3:30,4:60")

    def overdue(targets: ResponseTargets) -> bool:
        snap = board.snapshot(session, actor=CITY_DISPATCHER, now=now, targets=targets)
        (shown,) = [i for i in snap["incidents"] if i["id"] == incident.id]
        return bool(shown["overdue"])

    assert overdue(DEFAULT_TARGETS) is False
    assert overdue(quick) is True


def test_a_changed_dispatch_target_changes_the_periodic_overdue_check(fresh_url: str) -> None:
    with running_app(fresh_url, incident_check_seconds=0.02, dispatch_target_minutes=QUICK) as app:
        with unit_of_work(app.factory) as session:
            # Waiting 90 s: late against one minute, in time against the default three.
            late = make_incident(session, type="criminal")
            late.received_at -= timedelta(seconds=90)
            waiting = make_incident(session, type="dispute", offset=(0.01, 0.0))
            waiting.received_at -= timedelta(seconds=90)  # priority 3: ten minutes
            late_id = late.id
        headers = app.headers(app.token("target_reader", role="leader", division=HOME))
        periodic = app.client.app.state.periodic  # type: ignore[attr-defined]
        after = periodic.rounds("incidents.checks") + 2  # a whole round after the commit
        deadline_at = time.monotonic() + 20
        while periodic.rounds("incidents.checks") < after and time.monotonic() < deadline_at:
            time.sleep(0.02)
        assert periodic.rounds("incidents.checks") >= after
        listed = app.client.get("/api/v1/incident-alerts", headers=headers).json()
        assert [a["incident_id"] for a in listed["items"]] == [late_id]
        assert "1 分钟内未派警" in listed["items"][0]["message"]


def test_a_changed_target_changes_the_report_target_column(fresh_url: str) -> None:
    with running_app(
        fresh_url,
        dispatch_target_minutes="1:4,2:5,3:2,4:30",
        arrival_target_minutes="1:10,2:15,3:20,4:60",
    ) as app:
        with unit_of_work(app.factory) as session:
            seed(session)
        county = app.headers(app.token("target_disp", role="dispatcher", division=HOME))
        period = {"since": "2026-11-02T00:00:00", "until": "2026-11-03T00:00:00"}
        body = app.client.get(REPORT, params=period, headers=county).json()
        assert [(t["priority"], t["dispatch_s"], t["arrival_s"]) for t in body["targets"]] == [
            (1, 240.0, 600.0),
            (2, 300.0, 900.0),
            (3, 120.0, 1200.0),
            (4, 1800.0, 3600.0),
        ]
        home = body["divisions"][0]
        p1, _, p3, _ = home["by_priority"]
        assert p1["dispatch"]["target_s"] == 240.0 and p3["dispatch"]["target_s"] == 120.0
        # Dispatch 200 s at priority 1 now meets its target; 60, 120, 400 at priority 3 against
        # two minutes: two of three (with the defaults: 3 of 4 in all, see test_reports).
        assert home["dispatch"]["within_target"] == 3
        assert p3["dispatch"]["within_target"] == 2 and p1["dispatch"]["within_target"] == 1
        csv_rows = (
            app.client.get(REPORT, params={**period, "format": "csv"}, headers=county)
            .content.decode("utf-8-sig")
            .splitlines()
        )
        header = csv_rows[0].split(",")
        p3_row = dict(zip(header, csv_rows[4].split(","), strict=True))
        assert (p3_row["优先级"], p3_row["派警目标(秒)"], p3_row["到场目标(秒)"]) == (
            "3",
            "120.0",
            "1200.0",
        )

"""Response-time reports against hand-computed figures, their files, and the analysis routes."""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import pytest
from openpyxl import load_workbook
from sqlalchemy import select
from sqlalchemy.orm import Session

from tests.api.test_console_auth import sign_in
from tests.domains.incidents.builders import CITY_DISPATCHER, HOME, OTHER, actor, make_incident
from tests.helpers import App, running_app
from zhian.core.audit.models import AuditEntry
from zhian.core.db import unit_of_work
from zhian.core.errors import InvalidInput, NotFound
from zhian.domains.incidents import analysis, reports

T0 = datetime(2026, 11, 2, 1, 0, tzinfo=UTC)  # 09:00 in Beijing
SINCE = datetime(2026, 11, 2, 0, 0)  # naive: Beijing time
UNTIL = datetime(2026, 11, 3, 0, 0)


def _call(
    session: Session,
    *,
    at: timedelta,
    dispatch_s: float | None,
    arrive_s: float | None,
    division: str = HOME,
    type: str = "dispute",
) -> None:
    incident = make_incident(session, division=division, type=type)
    incident.received_at = T0 + at
    if dispatch_s is not None:
        incident.dispatched_at = incident.received_at + timedelta(seconds=dispatch_s)
    if arrive_s is not None:
        incident.arrived_at = incident.received_at + timedelta(seconds=arrive_s)
    session.flush()


def seed(session: Session) -> None:
    """Five calls in 临渭区 and one in 韩城市 on 2 November, one in 临渭区 two days before."""
    hour = timedelta(hours=1)
    _call(session, at=0 * hour, dispatch_s=60, arrive_s=500)
    _call(session, at=1 * hour, dispatch_s=120, arrive_s=2000)
    _call(session, at=1 * hour + timedelta(minutes=5), dispatch_s=400, arrive_s=None)
    _call(session, at=2 * hour, dispatch_s=200, arrive_s=None, type="criminal")
    _call(session, at=3 * hour, dispatch_s=None, arrive_s=None, type="traffic")
    _call(session, at=0 * hour, dispatch_s=30, arrive_s=300, division=OTHER)
    _call(session, at=-48 * hour, dispatch_s=5000, arrive_s=9000)


def test_county_report_by_hand(session: Session) -> None:
    seed(session)
    report = analysis.response_report(session, actor=actor(division=HOME), since=SINCE, until=UNTIL)
    assert [d.division for d in report.divisions] == [HOME]
    home = report.divisions[0]
    assert home.name == "临渭区" and home.incidents == 5 == report.total.incidents
    assert home.by_type["dispute"] == 3 and home.by_type["criminal"] == 1
    assert home.by_type["traffic"] == 1 and sum(home.by_type.values()) == 5
    assert {h: n for h, n in enumerate(home.by_hour) if n} == {9: 1, 10: 2, 11: 1, 12: 1}
    # Dispatch times 60, 120, 400 (priority 3) and 200 (priority 1, target 180: missed).
    d = home.dispatch
    assert (d.n, d.median_s, d.p90_s, d.target_s) == (4, 160.0, 340.0, None)
    assert (d.within_target, d.within_target_pct) == (3, 75.0)
    a = home.arrival
    assert (a.n, a.median_s, a.p90_s, a.within_target, a.within_target_pct) == (
        2,
        1250.0,
        1850.0,
        1,
        50.0,
    )
    p1, p2, p3, p4 = home.by_priority
    assert (p3.incidents, p3.dispatch.median_s, p3.dispatch.p90_s) == (3, 120.0, 344.0)
    assert (p3.dispatch.target_s, p3.dispatch.within_target_pct) == (600.0, 100.0)
    assert (p3.arrival.target_s, p3.arrival.within_target) == (1800.0, 1)
    assert (p1.incidents, p1.dispatch.median_s, p1.dispatch.within_target) == (1, 200.0, 0)
    assert p1.arrival.n == 0 and p1.arrival.median_s is None and p1.arrival.target_s == 600.0
    assert (p2.incidents, p2.dispatch.n, p2.dispatch.within_target_pct) == (1, 0, None)
    assert p4.incidents == 0
    entry = session.scalars(select(AuditEntry).order_by(AuditEntry.seq.desc())).first()
    assert entry is not None and entry.action == "report"
    assert entry.record_type == "incident_response_report" and entry.division == HOME


def test_city_report_has_each_division_and_the_total(session: Session) -> None:
    seed(session)
    report = analysis.response_report(session, actor=CITY_DISPATCHER, since=SINCE, until=UNTIL)
    assert [(d.division, d.incidents) for d in report.divisions] == [(HOME, 5), (OTHER, 1)]
    total = report.total
    # Dispatch 30, 60, 120, 200, 400: p90 at rank 3.6 → 200 + 0.6 * 200.
    assert (total.dispatch.n, total.dispatch.median_s, total.dispatch.p90_s) == (5, 120.0, 320.0)
    assert total.dispatch.within_target == 4 and total.division is None
    only_other = analysis.response_report(
        session, actor=CITY_DISPATCHER, since=SINCE, until=UNTIL, division=OTHER
    )
    assert only_other.total.incidents == 1 and only_other.total.arrival.median_s == 300.0


def test_report_scope_and_period_refusals(session: Session) -> None:
    with pytest.raises(NotFound):
        analysis.response_report(session, actor=actor(division=HOME), division=OTHER)
    with pytest.raises(InvalidInput) as err:
        analysis.response_report(session, actor=CITY_DISPATCHER, since=UNTIL, until=SINCE)
    assert err.value.field == "until"


def test_csv_and_xlsx_carry_the_table(session: Session) -> None:
    seed(session)
    report = analysis.response_report(session, actor=CITY_DISPATCHER, since=SINCE, until=UNTIL)
    body = reports.to_csv(report)
    assert body.startswith("\ufeff".encode())
    rows = list(csv.reader(io.StringIO(body.decode("utf-8-sig"))))
    header = rows[0]
    assert header[:4] == ["区划代码", "区划", "优先级", "警情数"]
    assert len(rows) == 1 + 3 * 5  # two divisions and the total, each all + four priorities
    home = dict(zip(header, rows[1], strict=True))
    assert (home["区划代码"], home["优先级"], home["警情数"]) == (HOME, "全部", "5")
    assert (home["纠纷"], home["10时"], home["派警中位数(秒)"]) == ("3", "2", "160.0")
    assert (home["派警达标率(%)"], home["到场P90(秒)"]) == ("75.0", "1850.0")
    p3 = dict(zip(header, rows[4], strict=True))
    assert (p3["优先级"], p3["派警P90(秒)"], p3["纠纷"]) == ("3", "344.0", "")
    total = dict(zip(header, rows[-5], strict=True))
    assert (total["区划"], total["警情数"], total["派警P90(秒)"]) == ("合计", "6", "320.0")

    book = load_workbook(io.BytesIO(reports.to_xlsx(report)))
    assert book.sheetnames == ["响应时间", "说明"]
    sheet = list(book["响应时间"].iter_rows(values_only=True))
    assert list(sheet[0]) == header and sheet[1][3] == 5 and sheet[1][2] == "全部"
    assert sheet[4][header.index("派警P90(秒)")] == 344.0
    about = list(book["说明"].iter_rows(values_only=True))
    assert about[1][:2] == ("起", "2026-11-02 00:00") and about[5] == (1, 180, 600)


REPORT = "/api/v1/incidents/reports/response-times"
HOTSPOTS = "/api/v1/incidents/hotspots"


@pytest.fixture()
def app(fresh_url: str) -> Iterator[App]:
    with running_app(fresh_url) as app:
        with unit_of_work(app.factory) as session:
            seed(session)
        yield app


def test_report_routes(app: App) -> None:
    county = app.headers(app.token("rep_disp", role="dispatcher", division=HOME))
    period = {"since": "2026-11-02T00:00:00", "until": "2026-11-03T00:00:00"}
    resp = app.client.get(REPORT, params=period, headers=county)
    assert resp.status_code == 200, resp.text
    body = resp.json()
    assert body["total"]["incidents"] == 5 and body["divisions"][0]["dispatch"]["p90_s"] == 340.0
    assert body["since"].startswith("2026-11-01T16:00:00")

    csv_resp = app.client.get(REPORT, params={**period, "format": "csv"}, headers=county)
    assert csv_resp.status_code == 200
    assert csv_resp.headers["content-type"].startswith("text/csv")
    assert "attachment" in csv_resp.headers["content-disposition"]
    assert csv_resp.content.decode("utf-8-sig").splitlines()[1].startswith(f"{HOME},临渭区,全部,5")
    xlsx = app.client.get(REPORT, params={**period, "format": "xlsx"}, headers=county)
    assert xlsx.status_code == 200 and xlsx.content[:2] == b"PK"
    assert load_workbook(io.BytesIO(xlsx.content))["响应时间"]["D2"].value == 5

    assert app.client.get(REPORT, params={"division": OTHER}, headers=county).status_code == 404
    assert app.client.get(REPORT, params={"format": "pdf"}, headers=county).status_code == 422
    with unit_of_work(app.factory) as session:
        entries = session.execute(
            select(AuditEntry.action, AuditEntry.detail)
            .where(AuditEntry.record_type == "incident_response_report")
            .order_by(AuditEntry.seq)
        ).all()
    assert [(a, json.loads(d)["format"]) for a, d in entries] == [
        ("report", "json"),
        ("export", "csv"),
        ("export", "xlsx"),
    ]


def test_hotspot_route(app: App) -> None:
    county = app.headers(app.token("hot_disp", role="dispatcher", division=HOME))
    params = {"since": "2026-10-01T00:00:00", "cell_m": "1000"}
    resp = app.client.get(HOTSPOTS, params=params, headers=county)
    assert resp.status_code == 200, resp.text
    layer = resp.json()
    assert layer["type"] == "FeatureCollection" and layer["incidents"] == 6
    props = layer["features"][0]["properties"]
    assert {"row", "col", "count", "z", "p", "bin"} <= props.keys()
    kde = app.client.get(HOTSPOTS, params={**params, "method": "kde"}, headers=county).json()
    assert kde["method"] == "kde" and "density" in kde["features"][0]["properties"]
    crim = app.client.get(HOTSPOTS, params={**params, "type": "criminal"}, headers=county).json()
    assert crim["incidents"] == 1
    for bad in ({"type": "nonsense"}, {"method": "idw"}, {"cell_m": "5"}):
        assert app.client.get(HOTSPOTS, params=bad, headers=county).status_code == 422, bad
    assert app.client.get(HOTSPOTS, params={"division": OTHER}, headers=county).status_code == 404
    officer = app.headers(app.token("hot_reg", role="regulator", division=HOME))
    assert app.client.get(HOTSPOTS, headers=officer).status_code == 403


def test_analysis_page(app: App) -> None:
    app.user("lw_leader", role="leader", division=HOME)
    assert sign_in(app, "lw_leader").status_code == 303  # type: ignore[attr-defined]
    page = app.client.get(
        "/incidents/analysis", params={"since": "2026-11-02", "until": "2026-11-02"}
    )
    assert page.status_code == 200, page.text
    html = page.text
    assert "js/hotspots.js" in html and "<script>" not in html
    since = "since=2026-11-02T00%3A00%3A00&amp;until=2026-11-03T00%3A00%3A00"
    assert f'data-hotspots="{HOTSPOTS}?{since}&amp;cell_m=500&amp;method=gi"' in html
    assert f'href="{REPORT}?{since}&amp;format=csv"' in html
    assert f'data-division="{HOME}"' in html and f'data-division="{OTHER}"' not in html
    # 临渭区: dispatch median 160 s, p90 340 s, 75 % within target.
    assert "<td>2:40</td><td>5:40</td>" in html and "75.0%" in html
    linked = app.client.get(REPORT + "?" + since.replace("&amp;", "&"))
    assert linked.json()["total"]["incidents"] == 5
    assert app.client.get("/incidents/analysis", params={"method": "idw"}).status_code == 422

"""Trip playback: thinning, the trip window of a permit, alerts at their fix, scope, audit."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from tests.api.test_console_auth import sign_in
from tests.domains.transport.builders import HOME, RULES, START, actor, feed, provision
from tests.domains.transport.corridor_builders import issue
from tests.helpers import App, running_app
from tests.suites.scope import JurisdictionScopeSuite
from zhian.core.audit.models import AuditEntry
from zhian.core.db import unit_of_work
from zhian.core.errors import InvalidInput
from zhian.core.time import as_utc
from zhian.domains.transport import playback
from zhian.domains.transport.models import Permit

VEHICLES = "/api/v1/transport/vehicles"
PERMITS = "/api/v1/transport/permits"
WINDOW = {"since": "2026-11-01T00:00:00Z", "until": "2026-11-02T00:00:00Z"}


def _audits(session: Session, action: str) -> list[AuditEntry]:
    return list(session.scalars(select(AuditEntry).where(AuditEntry.action == action)).all())


def test_short_track_is_whole_and_long_track_thinned_keeping_both_ends(session: Session) -> None:
    vehicle = provision(session)
    feed(session, vehicle, [40.0] * 50)
    reader = actor(role="dispatcher")
    since, until = START, START + timedelta(hours=1)

    whole = playback.vehicle_track(
        session, actor=reader, vehicle_id=vehicle.id, since=since, until=until, max_points=50
    )
    assert (whole.total, whole.stride, len(whole.positions)) == (50, 1, 50)

    thin = playback.vehicle_track(
        session, actor=reader, vehicle_id=vehicle.id, since=since, until=until, max_points=10
    )
    seconds = [int((as_utc(p.time) - START).total_seconds()) for p in thin.positions]
    assert thin.total == 50 and thin.stride == 6
    assert seconds == [0, 6, 12, 18, 24, 30, 36, 42, 48, 49]
    assert len(thin.positions) <= 10
    entry = _audits(session, "read_track")[-1]
    assert entry.record_type == "transport_vehicle" and entry.record_id == str(vehicle.id)
    assert json.loads(entry.detail or "{}")["count"] == 10


def test_window_is_half_open_and_checked(session: Session) -> None:
    vehicle = provision(session)
    feed(session, vehicle, [40.0] * 10)
    reader = actor(role="dispatcher")
    track = playback.vehicle_track(
        session,
        actor=reader,
        vehicle_id=vehicle.id,
        since=START + timedelta(seconds=2),
        until=START + timedelta(seconds=5),
    )
    assert [as_utc(p.time) for p in track.positions] == [
        START + timedelta(seconds=s) for s in (2, 3, 4)
    ]
    for since, until, field in (
        (START, START, "since"),
        (START.replace(tzinfo=None), START + timedelta(hours=1), "since"),
        (START, START + playback.MAX_WINDOW + timedelta(seconds=1), "until"),
    ):
        with pytest.raises(InvalidInput) as caught:
            playback.vehicle_track(
                session, actor=reader, vehicle_id=vehicle.id, since=since, until=until
            )
        assert caught.value.field == field


def test_alerts_of_the_window_are_marked_at_the_fix_where_they_opened(session: Session) -> None:
    vehicle = provision(session)
    speeds = [40.0] * 20 + [95.0] * 5 + [40.0] * 25
    feed(session, vehicle, speeds, rules=RULES)
    reader = actor(role="dispatcher")
    track = playback.vehicle_track(
        session,
        actor=reader,
        vehicle_id=vehicle.id,
        since=START,
        until=START + timedelta(hours=1),
        max_points=4,  # thinned: the opening fix (second 20) is not among those returned
    )
    assert START + timedelta(seconds=20) not in [as_utc(p.time) for p in track.positions]
    [alert] = [a for a in track.alerts if a.kind == "overspeed"]
    assert as_utc(alert.opened_at) == START + timedelta(seconds=20)
    assert alert.lon == pytest.approx(109.5 + 20 * 1e-4) and alert.lat == pytest.approx(34.5)
    later = playback.vehicle_track(
        session,
        actor=reader,
        vehicle_id=vehicle.id,
        since=START + timedelta(seconds=40),
        until=START + timedelta(hours=1),
    )
    assert [a for a in later.alerts if a.kind == "overspeed"] == []  # ended at second 27


def test_permit_track_covers_the_trip_until_it_closed(session: Session) -> None:
    vehicle = provision(session)
    permit = issue(session, vehicle)
    feed(session, vehicle, [40.0] * 10)
    # A fix before the permit's validity is not part of its trip.
    feed(session, vehicle, [40.0], start=-2 * 3600)
    reader = actor(role="dispatcher")
    track = playback.permit_track(session, actor=reader, permit_id=permit.id)
    assert track.total == 10 and track.permit is not None and track.permit.id == permit.id
    assert track.corridor_area is not None and track.corridor_area["type"] == "Polygon"
    assert as_utc(track.since) == as_utc(permit.valid_from)
    entry = _audits(session, "read_track")[-1]
    assert (entry.record_type, entry.record_id) == ("transport_permit", str(permit.id))

    row = session.get(Permit, permit.id)
    assert row is not None
    row.closed_at = START + timedelta(seconds=5)
    row.status = "closed"
    session.flush()
    closed = playback.permit_track(session, actor=reader, permit_id=permit.id)
    assert closed.total == 5 and as_utc(closed.until) == START + timedelta(seconds=5)


class TestPermitTrackScope(JurisdictionScopeSuite):
    """Another county's trip is as absent as its permit, and the refusal is audited."""

    list_path = PERMITS
    detail_path = PERMITS + "/{key}/track"
    record_type = "transport_permit"

    def make_record(self, session: Session, division: str, n: int) -> str:
        return str(issue(session, provision(session, n, division)).id)


class TestVehicleTrackScope(JurisdictionScopeSuite):
    list_path = VEHICLES
    detail_path = VEHICLES + "/{key}/track?since=2026-11-01T00:00:00Z&until=2026-11-02T00:00:00Z"
    record_type = "transport_vehicle"

    def make_record(self, session: Session, division: str, n: int) -> str:
        return str(provision(session, n, division).id)


@pytest.fixture()
def app(fresh_url: str) -> Iterator[App]:
    with running_app(fresh_url) as running:
        yield running


def test_track_api_contract_and_pages(app: App) -> None:
    with unit_of_work(app.factory) as session:
        vehicle = provision(session)
        permit = issue(session, vehicle)
        feed(session, vehicle, [40.0, 95.0, 95.0, 40.0, 40.0, 40.0, 40.0])
        ids = (vehicle.id, permit.id)
    headers = app.headers(app.token("lw_dsp", role="dispatcher", division=HOME))
    resp = app.client.get(f"{VEHICLES}/{ids[0]}/track", params=WINDOW, headers=headers)
    assert resp.status_code == 200, resp.text
    body: dict[str, Any] = resp.json()
    assert body["total"] == 7 and body["stride"] == 1 and body["permit"] is None
    assert set(body["positions"][0]) == {
        "lon",
        "lat",
        "speed_kmh",
        "heading",
        "time",
        "alarm",
        "status",
    }
    assert [a["kind"] for a in body["alerts"]] == ["overspeed"]
    assert body["alerts"][0]["lon"] == body["positions"][1]["lon"]

    trip = app.client.get(f"{PERMITS}/{ids[1]}/track", params={"max_points": 3}, headers=headers)
    assert trip.status_code == 200, trip.text
    assert trip.json()["stride"] == 4 and len(trip.json()["positions"]) == 3
    assert trip.json()["corridor_area"]["type"] == "Polygon"

    missing = app.client.get(f"{VEHICLES}/{ids[0]}/track", headers=headers)
    assert missing.status_code == 422
    bad = app.client.get(f"{PERMITS}/{ids[1]}/track", params={"max_points": 1}, headers=headers)
    assert bad.status_code == 422 and bad.json()["detail"][0]["loc"][-1] == "max_points"
    # The positions contract is untouched.
    old = app.client.get(f"{VEHICLES}/{ids[0]}/positions", headers=headers)
    assert old.status_code == 200 and len(old.json()) == 7


def test_playback_pages_render_and_link(app: App) -> None:
    with unit_of_work(app.factory) as session:
        vehicle = provision(session)
        permit = issue(session, vehicle)
        feed(session, vehicle, [40.0] * 3)
        ids = (vehicle.id, permit.id)
    app.user("lw_page", role="dispatcher", division=HOME)
    assert sign_in(app, "lw_page").status_code == 303  # type: ignore[attr-defined]
    index = app.client.get("/transport")
    assert f"/transport/vehicles/{ids[0]}/playback" in index.text
    page = app.client.get(f"/transport/vehicles/{ids[0]}/playback")
    assert page.status_code == 200
    assert f"/api/v1/transport/vehicles/{ids[0]}/track?since=" in page.text
    assert f"/transport/permits/{ids[1]}/playback" in page.text
    assert "<script>" not in page.text
    trip = app.client.get(f"/transport/permits/{ids[1]}/playback")
    assert trip.status_code == 200 and f"/api/v1/transport/permits/{ids[1]}/track" in trip.text
    ranged = app.client.get(
        f"/transport/vehicles/{ids[0]}/playback",
        params={"since": "2026-11-01T08:00", "until": "2026-11-01T09:30:00"},  # Beijing time
    )
    assert (
        "since=2026-11-01T00%3A00%3A00%2B00%3A00&amp;until=2026-11-01T01%3A30%3A00" in ranged.text
    )
    bad = app.client.get(f"/transport/vehicles/{ids[0]}/playback", params={"since": "yesterday"})
    assert bad.status_code == 200 and "zh-field-error" in bad.text and "data-track" not in bad.text
    assert app.client.get("/transport/vehicles/999999/playback").status_code == 404

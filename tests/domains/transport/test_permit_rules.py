"""Permits and zones driving alerts through record_position, on both backends."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from sqlalchemy.orm import Session

from tests.domains.transport.builders import RULES, START, provision, report
from tests.domains.transport.corridor_builders import LENGTH_M, at_m, issue, zone
from tests.domains.transport.test_tracking import alerts
from zhian.domains.transport import tracking
from zhian.domains.transport.models import Vehicle


def drive(
    session: Session, vehicle: Vehicle, path: list[tuple[int, float, float]], **extra: Any
) -> None:
    """Record fixes (second, x m, y m) along the local grid."""
    for second, x, y in path:
        lon, lat = at_m(x, y)
        fix = report(vehicle, second, lon=lon, lat=lat, **extra)
        tracking.record_position(
            session, report=fix, event_id=f"c-{vehicle.id}-{second}", rules=RULES
        )


def test_deviation_opens_one_alert_per_episode_after_n_seconds(session: Session) -> None:
    vehicle = provision(session)
    permit = issue(session, vehicle)
    kind = "corridor_deviation"
    drive(session, vehicle, [(0, 1_000, 0)] + [(t, 1_000 + t, 200) for t in range(10, 80, 10)])
    assert alerts(session, vehicle, kind) == []  # outside from t=10; at t=70 exactly 60 s
    drive(session, vehicle, [(80, 1_080, 200)])
    (alert,) = alerts(session, vehicle, kind)
    assert alert.active and alert.permit_id == permit.id
    assert alert.opened_at == START + timedelta(seconds=10)
    # Back inside for two fixes, out again: the same episode.
    drive(session, vehicle, [(90, 1_100, 0), (100, 1_110, 0), (110, 1_120, 200)])
    assert len(alerts(session, vehicle, kind)) == 1
    # Three fixes inside end it; leaving again for longer than 60 s opens a second alert.
    drive(session, vehicle, [(t, 1_200 + t, 0) for t in (120, 130, 140)])
    assert not alert.active and alert.ended_at == START + timedelta(seconds=140)
    drive(session, vehicle, [(t, 1_500 + t, -300) for t in range(150, 220, 10)])
    assert len(alerts(session, vehicle, kind)) == 1
    drive(session, vehicle, [(220, 1_800, -300)])
    assert [a.active for a in alerts(session, vehicle, kind)] == [False, True]


def test_no_permit_no_deviation(session: Session) -> None:
    vehicle = provision(session)
    issue(session, vehicle, valid_from=(START + timedelta(hours=2)).isoformat())
    drive(session, vehicle, [(t, 1_000, 900) for t in range(0, 300, 10)])
    assert alerts(session, vehicle, "corridor_deviation") == []


def test_arrival_closes_the_permit_and_ends_the_deviation(session: Session) -> None:
    vehicle = provision(session)
    permit = issue(session, vehicle)
    drive(session, vehicle, [(t, 5_000, 200) for t in range(0, 100, 10)])
    (alert,) = alerts(session, vehicle, "corridor_deviation")
    drive(session, vehicle, [(100, LENGTH_M - 350, 0)])
    assert permit.status == "active"
    drive(session, vehicle, [(110, LENGTH_M - 250, 0)])
    assert permit.status == "closed" and permit.closed_at == START + timedelta(seconds=110)
    assert not alert.active
    # The trip is over: driving off raises nothing more.
    drive(session, vehicle, [(t, 9_000, 2_000) for t in range(120, 400, 10)])
    assert len(alerts(session, vehicle, "corridor_deviation")) == 1


def test_no_go_zone_one_alert_per_entry(session: Session) -> None:
    vehicle = provision(session)  # no permit needed: zones apply to every goods vehicle
    area = zone(session)
    kind = "no_go_zone"
    drive(session, vehicle, [(0, 3_000, 2_000), (10, 3_050, 2_000)])
    (alert,) = alerts(session, vehicle, kind)
    assert alert.zone_id == area.id and alert.opened_at == START
    drive(session, vehicle, [(20, 3_500, 2_000), (30, 3_500, 2_000), (40, 3_000, 2_000)])
    assert len(alerts(session, vehicle, kind)) == 1 and alert.active
    drive(session, vehicle, [(t, 3_500, 2_000) for t in (50, 60, 70)])
    assert not alert.active and alert.ended_at == START + timedelta(seconds=70)
    drive(session, vehicle, [(80, 3_000, 2_050)])
    assert [a.active for a in alerts(session, vehicle, kind)] == [False, True]


def test_no_go_zone_only_during_restricted_hours(session: Session) -> None:
    # START is 08:00 in Shanghai: inside 07:00-09:00, outside 10:00-12:00.
    zone(session, hours="10:00-12:00")
    outside_hours = provision(session, 2)
    drive(session, outside_hours, [(0, 3_000, 2_000), (10, 3_000, 2_000)])
    assert alerts(session, outside_hours, "no_go_zone") == []
    drive(session, outside_hours, [(2 * 3600, 3_000, 2_000)])  # 10:00 local
    assert len(alerts(session, outside_hours, "no_go_zone")) == 1


def test_police_units_ignore_zones(session: Session) -> None:
    zone(session)
    police = provision(
        session,
        9,
        plate="陕E0009警",
        plate_color=4,
        is_police_unit=True,
        body_type=None,
        hazard_classes=[],
    )
    drive(session, police, [(0, 3_000, 2_000)])
    assert alerts(session, police, "no_go_zone") == []


def test_a_terminal_without_a_gnss_fix_raises_no_place_or_speed_alert(session: Session) -> None:
    # Status bit 1 clear: the terminal reports zeros (or its last position) and no real speed.
    vehicle = provision(session)
    issue(session, vehicle)
    zone(session)
    drive(session, vehicle, [(0, 1_000, 0)])
    unpositioned = [(t, -10_000_000, -10_000_000) for t in range(10, 200, 10)]
    drive(session, vehicle, unpositioned, status=1, speed=150.0)
    drive(session, vehicle, [(t, 3_000, 2_000) for t in range(200, 260, 10)], status=1)
    for kind in ("corridor_deviation", "no_go_zone", "overspeed"):
        assert alerts(session, vehicle, kind) == [], kind
    assert vehicle.last_position_at == START + timedelta(seconds=250)  # alive all along
    # The button still counts, fix or not.
    drive(session, vehicle, [(260, 3_000, 2_000)], status=1, alarm=1)
    assert len(alerts(session, vehicle, "emergency")) == 1
    # With the fix back, the same places and speed do raise them.
    drive(session, vehicle, [(t, 3_000, 2_000) for t in range(270, 400, 10)], speed=150.0)
    assert alerts(session, vehicle, "no_go_zone") and alerts(session, vehicle, "overspeed")

"""Fatigue, unscheduled stop, night driving, signal loss and the road's speed limit,
through the stored fixes, on both backends."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy.orm import Session

from tests.domains.transport.builders import HOME, RULES, START, actor, provision, report
from tests.domains.transport.corridor_builders import at_m, issue, line_geojson
from tests.domains.transport.test_tracking import alerts
from zhian.domains.transport import permits, signal, tracking
from zhian.domains.transport.models import Vehicle
from zhian.domains.transport.permit_schemas import ExpresswayCreate


def drive(
    session: Session, vehicle: Vehicle, fixes: list[tuple[float, float, float]], *, start: int = 0
) -> None:
    """Record fixes (minutes after START + ``start`` h, easting m, speed) on the test road."""
    for minute, x, speed in fixes:
        second = int(start * 3600 + minute * 60)
        lon, lat = at_m(x, 0.0)
        fix = report(vehicle, second, speed=speed, lon=lon, lat=lat)
        tracking.record_position(
            session, report=fix, event_id=f"m-{vehicle.id}-{second}", rules=RULES
        )


def test_fatigue_after_four_hours_ends_with_the_rest(session: Session) -> None:
    vehicle = provision(session)
    # Four hours and five minutes of driving, a fix every five minutes, 2 km apart.
    drive(session, vehicle, [(m, 400 * m, 60) for m in range(0, 241, 5)])
    assert alerts(session, vehicle, "fatigue") == []
    drive(session, vehicle, [(245, 400 * 245, 60), (250, 400 * 250, 60)])
    (alert,) = alerts(session, vehicle, "fatigue")
    assert alert.active and alert.opened_at == START + timedelta(minutes=245)
    # A ten-minute halt is not a rest; twenty minutes are, and end the episode at its start.
    drive(session, vehicle, [(251, 100_000, 0), (261, 100_000, 0), (262, 100_400, 60)])
    assert alert.active
    drive(session, vehicle, [(263, 100_800, 0), (275, 100_800, 0), (283, 100_800, 0)])
    assert not alert.active and alert.ended_at == START + timedelta(minutes=263)
    drive(session, vehicle, [(284, 101_000, 60), (300, 105_000, 60)])
    assert len(alerts(session, vehicle, "fatigue")) == 1


def test_unscheduled_stop_only_away_from_approved_stops(session: Session) -> None:
    vehicle = provision(session)
    rest_area = at_m(6_000, 0)
    issue(
        session,
        vehicle,
        approved_stops=[{"name": "服务区", "lon": rest_area[0], "lat": rest_area[1]}],
    )
    # A long halt at the approved stop: nothing.
    drive(session, vehicle, [(0, 5_000, 50), (2, 6_050, 0), (30, 6_050, 0), (31, 6_500, 50)])
    assert alerts(session, vehicle, "unscheduled_stop") == []
    # The same halt 1 km before it: one alert, from the start of the halt, where it stood.
    drive(session, vehicle, [(40, 7_000, 0), (50, 7_000, 0), (56, 7_000, 0), (60, 7_000, 0)])
    (alert,) = alerts(session, vehicle, "unscheduled_stop")
    assert alert.opened_at == START + timedelta(minutes=40) and alert.active
    lon, lat = at_m(7_000, 0)
    assert (round(alert.lon or 0, 6), round(alert.lat or 0, 6)) == (round(lon, 6), round(lat, 6))
    drive(session, vehicle, [(61, 7_200, 40), (62, 7_600, 40), (63, 8_000, 40)])
    assert not alert.active and alert.ended_at == START + timedelta(minutes=63)


def test_no_stop_alert_without_a_trip(session: Session) -> None:
    vehicle = provision(session)
    drive(session, vehicle, [(0, 7_000, 0), (30, 7_000, 0), (60, 7_000, 0)])
    assert alerts(session, vehicle, "unscheduled_stop") == []


def test_night_driving_on_a_trip(session: Session) -> None:
    vehicle = provision(session)
    issue(session, vehicle)
    # START is 08:00 in Shanghai; 14 h later is 22:00, the start of the default night hours.
    drive(session, vehicle, [(0, 1_000, 50), (1, 1_500, 50)], start=13)
    assert alerts(session, vehicle, "night_driving") == []
    drive(session, vehicle, [(60, 2_000, 50), (61, 2_500, 50)], start=13)
    (alert,) = alerts(session, vehicle, "night_driving")
    assert alert.opened_at == START + timedelta(hours=14)


def test_signal_loss_while_a_permit_is_active(session: Session) -> None:
    vehicle = provision(session)
    permit = issue(session, vehicle)  # valid from START - 1 h to START + 1 day
    drive(session, vehicle, [(0, 1_000, 50)])
    assert signal.check(session, now=START + timedelta(minutes=9), rules=RULES) == (0, 0)
    assert signal.check(session, now=START + timedelta(minutes=11), rules=RULES) == (1, 0)
    assert signal.check(session, now=START + timedelta(minutes=30), rules=RULES) == (0, 0)
    (alert,) = alerts(session, vehicle, "signal_loss")
    assert alert.opened_at == START and alert.active and alert.lon is not None
    drive(session, vehicle, [(31, 1_500, 50)])
    assert not alert.active and alert.ended_at == START + timedelta(minutes=31)
    # Silent again until the permit ends: a second episode, ended by the check after it.
    assert signal.check(session, now=START + timedelta(minutes=45), rules=RULES) == (1, 0)
    after = permit.valid_until + timedelta(minutes=1)
    assert signal.check(session, now=after, rules=RULES) == (0, 1)
    assert [a.active for a in alerts(session, vehicle, "signal_loss")] == [False, False]


def test_no_signal_alert_without_a_trip_or_for_police(session: Session) -> None:
    vehicle = provision(session)
    drive(session, vehicle, [(0, 1_000, 50)])
    police = provision(session, 2, is_police_unit=True, hazard_classes=[], body_type=None)
    drive(session, police, [(0, 1_000, 50)])
    assert signal.check(session, now=START + timedelta(hours=2), rules=RULES) == (0, 0)


def test_a_vehicle_that_never_reported_is_silent_from_the_permit_start(session: Session) -> None:
    vehicle = provision(session)
    issue(session, vehicle, valid_from=START.isoformat())
    assert signal.check(session, now=START + timedelta(minutes=11), rules=RULES) == (1, 0)
    (alert,) = alerts(session, vehicle, "signal_loss")
    assert alert.opened_at == START and alert.lon is None


def test_the_speed_limit_follows_the_road(session: Session) -> None:
    vehicle = provision(session)
    city = actor(division="610500", name="city_reg")
    permits.create_expressway(
        session,
        actor=city,
        data=ExpresswayCreate.model_validate(
            {"name": "G30", "code": "G30", "centreline": line_geojson(0, 5_000), "division": HOME}
        ),
    )
    # 70 km/h on the expressway (0-5 km): within its 80 km/h limit.
    drive(session, vehicle, [(m, 1_000 * m, 70) for m in range(5)])
    assert alerts(session, vehicle, "overspeed") == []
    # The same 70 km/h past its end, on an ordinary road: over 60 km/h.
    drive(session, vehicle, [(6, 6_000, 70)])
    (alert,) = alerts(session, vehicle, "overspeed")
    assert alert.opened_at == START + timedelta(minutes=6)
    # 85 on the expressway is over its limit too (a new episode after three calm fixes).
    drive(session, vehicle, [(m, 6_500, 50) for m in (7, 8, 9)] + [(10, 2_000, 85)])
    assert [a.active for a in alerts(session, vehicle, "overspeed")] == [False, True]

"""Patrol zones and duty levels: drawing zones, switching levels within one's scope, counting
available units inside each zone, and the alert while a zone is short."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from tests.domains.incidents.builders import (
    CITY_COMMANDER,
    CITY_DISPATCHER,
    HOME,
    OTHER,
    actor,
    make_incident,
    make_unit,
    make_zone,
    seat,
    square,
)
from zhian.core.audit.models import AuditEntry
from zhian.core.errors import Conflict, Forbidden, InvalidInput
from zhian.core.time import utcnow
from zhian.domains.incidents import alerts, service, units, zones
from zhian.domains.incidents.choices import UnitStatus
from zhian.domains.incidents.models import Alert
from zhian.domains.incidents.schemas import DutyLevelIn, PatrolZoneCreate

HOME_COMMANDER = actor(role="commander", division=HOME, name="home_cmd")


def _zone_data(session: Session, **over: object) -> PatrolZoneCreate:
    data: dict[str, object] = {
        "name": "朝阳巡区",
        "division": HOME,
        "geometry": square(*seat(session)),
        "units_per_level": [4, 3, 2, 1],
    }
    data.update(over)
    return PatrolZoneCreate.model_validate(data)


def test_zone_must_be_a_valid_polygon_inside_its_division(session: Session) -> None:
    lon, lat = seat(session)
    bow_tie = {
        "type": "Polygon",
        "coordinates": [
            [[lon, lat], [lon + 0.01, lat + 0.01], [lon + 0.01, lat], [lon, lat + 0.01], [lon, lat]]
        ],
    }
    for geometry in (
        {"type": "Point", "coordinates": [lon, lat]},
        {"type": "Polygon"},
        bow_tie,
        square(*seat(session, OTHER)),
    ):
        with pytest.raises(InvalidInput) as err:
            zones.create_zone(
                session, actor=CITY_COMMANDER, data=_zone_data(session, geometry=geometry)
            )
        assert err.value.field == "geometry", geometry
    made = zones.create_zone(session, actor=CITY_COMMANDER, data=_zone_data(session))
    assert made.division == HOME and made.units_level_1 == 4
    with pytest.raises(Conflict):
        zones.create_zone(session, actor=CITY_COMMANDER, data=_zone_data(session))


def test_only_commanders_of_the_division_draw_zones(session: Session) -> None:
    with pytest.raises(Forbidden):
        zones.create_zone(session, actor=CITY_DISPATCHER, data=_zone_data(session))
    other = actor(role="commander", division=OTHER, name="other_cmd")
    with pytest.raises(InvalidInput) as err:
        zones.create_zone(session, actor=other, data=_zone_data(session))
    assert err.value.field == "division"


def _level(session: Session, division: str) -> int:
    return zones.levels_of(session, {division})[division].level


def test_levels_city_then_county_then_city(session: Session) -> None:
    assert _level(session, HOME) == 4 and _level(session, OTHER) == 4
    zones.switch_level(session, actor=CITY_COMMANDER, data=DutyLevelIn(division="610500", level=2))
    assert _level(session, HOME) == 2 and _level(session, OTHER) == 2
    zones.switch_level(session, actor=HOME_COMMANDER, data=DutyLevelIn(division=HOME, level=1))
    assert _level(session, HOME) == 1 and _level(session, OTHER) == 2
    assert _level(session, "610502900") == 1  # a development zone follows its county
    zones.switch_level(session, actor=CITY_COMMANDER, data=DutyLevelIn(division="610500", level=3))
    assert _level(session, HOME) == 3 and _level(session, OTHER) == 3
    entries = session.scalars(
        select(AuditEntry.division).where(AuditEntry.action == "duty_level").order_by(AuditEntry.id)
    ).all()
    assert entries == ["610500", HOME, "610500"]


def test_a_county_switches_only_its_own_level(session: Session) -> None:
    for division in (OTHER, "610500"):
        with pytest.raises(InvalidInput) as err:
            zones.switch_level(
                session, actor=HOME_COMMANDER, data=DutyLevelIn(division=division, level=1)
            )
        assert err.value.field == "division"
    for division in ("610000", "610502900"):
        with pytest.raises(InvalidInput):
            zones.switch_level(
                session, actor=CITY_COMMANDER, data=DutyLevelIn(division=division, level=1)
            )
    with pytest.raises(Forbidden):
        zones.switch_level(
            session, actor=actor(division=HOME), data=DutyLevelIn(division=HOME, level=1)
        )
    levels = zones.division_levels(session, actor=HOME_COMMANDER)
    assert [(lv.division, lv.level) for lv in levels] == [(HOME, 4)]
    assert len(zones.division_levels(session, actor=CITY_COMMANDER)) == 12


def test_counts_available_units_inside_only(session: Session) -> None:
    zone = make_zone(session, "朝阳巡区", units_per_level=(3, 2, 2, 1))
    lon, lat = seat(session)
    (status,) = zones.status_of(session, [zone])
    assert (status.level, status.required, status.available, status.short) == (4, 1, 0, True)
    make_unit(session, 1, at=(lon + 0.002, lat))  # inside, available
    make_unit(session, 2, at=(lon + 0.05, lat))  # outside
    make_unit(session, 3, at=(lon, lat), status=UnitStatus.BUSY)  # inside, busy
    make_unit(session, 4, status=UnitStatus.AVAILABLE)  # no position
    (status,) = zones.status_of(session, [zone])
    assert (status.available, status.short) == (1, False)
    zones.switch_level(session, actor=CITY_COMMANDER, data=DutyLevelIn(division=HOME, level=2))
    (status,) = zones.status_of(session, [zone])
    assert (status.level, status.required, status.available, status.short) == (2, 2, 1, True)


def test_short_zone_alert_opens_once_and_closes_when_staffed(session: Session) -> None:
    zone = make_zone(session, "朝阳巡区", units_per_level=(2, 2, 1, 1))
    now = utcnow()
    opened, closed = zones.check_zones(session, now=now)
    assert [a.zone_id for a in opened] == [zone.id] and closed == []
    assert zones.check_zones(session, now=now + timedelta(seconds=15)) == ([], [])
    unit = make_unit(session, 1, at=seat(session))
    opened, closed = zones.check_zones(session, now=now + timedelta(seconds=30))
    assert opened == [] and [a.zone_id for a in closed] == [zone.id]
    # Sent away, the unit no longer counts: the zone is short again, with a new alert.
    incident = make_incident(session, offset=(0.3, 0.0))
    service.assign(session, actor=CITY_DISPATCHER, incident_id=incident.id, unit_ids=[unit.id])
    opened, _ = zones.check_zones(session, now=now + timedelta(seconds=45))
    assert [a.zone_id for a in opened] == [zone.id]
    rows = session.scalars(select(Alert).where(Alert.zone_id == zone.id)).all()
    assert len(rows) == 2 and sum(a.closed_at is None for a in rows) == 1
    # Moved inside another way: position updates count too.
    other = make_unit(session, 2, at=(seat(session)[0] + 0.5, seat(session)[1]))
    units.move_unit(
        session, actor=CITY_DISPATCHER, unit_id=other.id, lon=seat(session)[0], lat=seat(session)[1]
    )
    _, closed = zones.check_zones(session, now=now + timedelta(seconds=60))
    assert [a.zone_id for a in closed] == [zone.id]


def test_one_open_alert_per_zone_whoever_raises_it(session: Session) -> None:
    zone = make_zone(session, "朝阳巡区")
    now = utcnow()

    def short_alert() -> Alert:
        return Alert(
            kind="zone_short", division=HOME, zone_id=zone.id, message="短缺", opened_at=now
        )

    assert alerts.open_alert(session, short_alert()) is True
    assert alerts.open_alert(session, short_alert()) is False  # another process was first
    assert zones.check_zones(session, now=now)[0] == []

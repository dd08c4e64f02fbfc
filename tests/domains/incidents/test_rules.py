"""The unit and incident status machines: the table, and the service that applies it."""

from __future__ import annotations

import itertools

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from tests.domains.incidents.builders import CITY_DISPATCHER, make_incident, make_unit
from zhian.core.errors import Conflict
from zhian.domains.incidents import rules, service, units
from zhian.domains.incidents.choices import IncidentStatus, UnitStatus
from zhian.domains.incidents.models import UnitStatusChange

U = UnitStatus

ALLOWED = [
    (U.OFF_DUTY, U.AVAILABLE),
    (U.AVAILABLE, U.OFF_DUTY),
    (U.AVAILABLE, U.DISPATCHED),
    (U.AVAILABLE, U.BUSY),
    (U.DISPATCHED, U.EN_ROUTE),
    (U.DISPATCHED, U.ON_SCENE),
    (U.DISPATCHED, U.AVAILABLE),
    (U.EN_ROUTE, U.ON_SCENE),
    (U.EN_ROUTE, U.AVAILABLE),
    (U.ON_SCENE, U.TRANSPORTING),
    (U.ON_SCENE, U.BUSY),
    (U.ON_SCENE, U.AVAILABLE),
    (U.TRANSPORTING, U.BUSY),
    (U.TRANSPORTING, U.AVAILABLE),
    (U.BUSY, U.AVAILABLE),
    (U.BUSY, U.OFF_DUTY),
]
REFUSED = [
    (U.OFF_DUTY, U.DISPATCHED),
    (U.OFF_DUTY, U.ON_SCENE),
    (U.AVAILABLE, U.ON_SCENE),
    (U.AVAILABLE, U.TRANSPORTING),
    (U.DISPATCHED, U.OFF_DUTY),
    (U.EN_ROUTE, U.DISPATCHED),
    (U.ON_SCENE, U.EN_ROUTE),
    (U.TRANSPORTING, U.ON_SCENE),
    (U.BUSY, U.DISPATCHED),
    (U.AVAILABLE, U.AVAILABLE),
]


def test_the_table_is_exactly_the_allowed_pairs() -> None:
    assert set(ALLOWED) == rules.UNIT_TRANSITIONS
    for a, b in itertools.product(U, U):
        assert rules.unit_may(a, b) == ((a, b) in set(ALLOWED))


@pytest.mark.parametrize(("current", "new"), ALLOWED)
def test_allowed_transition_passes(current: U, new: U) -> None:
    rules.check_unit(current, new)


@pytest.mark.parametrize(("current", "new"), REFUSED)
def test_refused_transition_is_a_conflict(current: U, new: U) -> None:
    with pytest.raises(Conflict) as err:
        rules.check_unit(current, new)
    assert err.value.status_code == 409 and err.value.field == "status"


def test_incident_machine() -> None:
    assert rules.incident_may("received", "dispatched")
    assert rules.incident_may("on_scene", "cleared")
    assert not rules.incident_may("cleared", "received")
    assert not rules.incident_may("received", "on_scene")


def test_every_change_is_timestamped(session: Session) -> None:
    unit = make_unit(session, 1, status=None)
    for new in (U.AVAILABLE, U.BUSY, U.AVAILABLE, U.OFF_DUTY):
        units.set_status(session, actor=CITY_DISPATCHER, unit_id=unit.id, status=new)
    rows = session.scalars(
        select(UnitStatusChange)
        .where(UnitStatusChange.unit_id == unit.id)
        .order_by(UnitStatusChange.id)
    ).all()
    assert [(r.from_status, r.to_status) for r in rows] == [
        (None, "off_duty"),
        ("off_duty", "available"),
        ("available", "busy"),
        ("busy", "available"),
        ("available", "off_duty"),
    ]
    assert all(r.changed_at is not None and r.changed_by == "city_disp" for r in rows)
    with pytest.raises(Conflict):
        units.set_status(session, actor=CITY_DISPATCHER, unit_id=unit.id, status=U.ON_SCENE)


def test_assignment_drives_both_machines(session: Session) -> None:
    incident = make_incident(session)
    unit = make_unit(session, 2)
    service.assign(session, actor=CITY_DISPATCHER, incident_id=incident.id, unit_ids=[unit.id])
    assert (incident.status, unit.status, unit.incident_id) == (
        "dispatched",
        "dispatched",
        incident.id,
    )
    assert incident.dispatched_at is not None
    with pytest.raises(Conflict):  # no longer available
        service.assign(session, actor=CITY_DISPATCHER, incident_id=incident.id, unit_ids=[unit.id])
    units.set_status(session, actor=CITY_DISPATCHER, unit_id=unit.id, status=U.EN_ROUTE)
    assert incident.status == "en_route"
    units.set_status(session, actor=CITY_DISPATCHER, unit_id=unit.id, status=U.ON_SCENE)
    assert incident.status == "on_scene" and incident.arrived_at is not None
    service.set_incident_status(
        session, actor=CITY_DISPATCHER, incident_id=incident.id, status=IncidentStatus.CLEARED
    )
    assert incident.cleared_at is not None
    units.set_status(session, actor=CITY_DISPATCHER, unit_id=unit.id, status=U.AVAILABLE)
    assert unit.incident_id is None
    with pytest.raises(Conflict):
        service.assign(session, actor=CITY_DISPATCHER, incident_id=incident.id, unit_ids=[unit.id])

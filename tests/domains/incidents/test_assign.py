"""One action to assign, add or reassign units."""

from __future__ import annotations

import json

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from tests.domains.incidents.builders import CITY_DISPATCHER, make_incident, make_unit, seat
from zhian.core.audit.models import AuditEntry
from zhian.core.errors import Conflict, InvalidInput
from zhian.domains.incidents import service
from zhian.domains.incidents.choices import UnitStatus
from zhian.domains.incidents.models import Unit


def _status(session: Session, *units: Unit) -> list[tuple[str, int | None]]:
    for unit in units:
        session.refresh(unit)
    return [(u.status, u.incident_id) for u in units]


def test_assign_then_add_then_reassign(session: Session) -> None:
    incident = make_incident(session)
    a, b, c = (make_unit(session, n, at=seat(session)) for n in (1, 2, 3))
    service.assign(session, actor=CITY_DISPATCHER, incident_id=incident.id, unit_ids=[a.id])
    assert incident.status == "dispatched" and incident.dispatched_at == a.status_at
    first_dispatch = incident.dispatched_at
    service.assign(session, actor=CITY_DISPATCHER, incident_id=incident.id, unit_ids=[b.id])
    assert _status(session, a, b) == [("dispatched", incident.id)] * 2
    assert incident.dispatched_at == first_dispatch
    service.assign(
        session, actor=CITY_DISPATCHER, incident_id=incident.id, unit_ids=[c.id], replace=True
    )
    assert _status(session, a, b, c) == [
        ("available", None),
        ("available", None),
        ("dispatched", incident.id),
    ]
    entry = session.scalars(
        select(AuditEntry).where(AuditEntry.action == "reassign").order_by(AuditEntry.id.desc())
    ).first()
    assert entry is not None and json.loads(entry.detail)["released"] == [a.id, b.id]


def test_several_units_at_once_and_all_or_nothing(session: Session) -> None:
    incident = make_incident(session)
    a, b = (make_unit(session, n, at=seat(session)) for n in (4, 5))
    busy = make_unit(session, 6, at=seat(session), status=UnitStatus.BUSY)
    with pytest.raises(Conflict) as err:
        service.assign(
            session, actor=CITY_DISPATCHER, incident_id=incident.id, unit_ids=[a.id, busy.id]
        )
    assert err.value.field == "unit_id"
    service.assign(session, actor=CITY_DISPATCHER, incident_id=incident.id, unit_ids=[a.id, b.id])
    assert _status(session, a, b) == [("dispatched", incident.id)] * 2


def test_assign_needs_a_unit(session: Session) -> None:
    incident = make_incident(session)
    with pytest.raises(InvalidInput) as err:
        service.assign(session, actor=CITY_DISPATCHER, incident_id=incident.id, unit_ids=[])
    assert err.value.field == "unit_id"
    with pytest.raises(InvalidInput):
        service.assign(session, actor=CITY_DISPATCHER, incident_id=incident.id, unit_ids=[10**9])

"""Intake: priorities, locating (coordinates or geocoded text), duplicates, the caller's phone."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from tests.domains.incidents.builders import CITY_DISPATCHER, HOME, actor, make_incident, seat
from tests.domains.places import registry_data
from zhian.core.audit.models import AuditEntry
from zhian.core.errors import Forbidden, InvalidInput
from zhian.domains.incidents import service
from zhian.domains.incidents.schemas import IncidentCreate


def test_default_priority_and_division(session: Session) -> None:
    incident = make_incident(session, type="criminal")
    assert (incident.priority, incident.division, incident.status) == (1, HOME, "received")
    assert incident.location_level == "point"
    assert make_incident(session, type="fraud_report", priority=2).priority == 2


def test_outside_weinan_names_lon(session: Session) -> None:
    data = IncidentCreate(type="dispute", lon=116.4, lat=39.9)
    with pytest.raises(InvalidInput) as err:
        service.create_incident(session, actor=CITY_DISPATCHER, data=data)
    assert err.value.status_code == 422 and err.value.field == "lon"


def test_location_is_required(session: Session) -> None:
    with pytest.raises(InvalidInput) as err:
        service.create_incident(session, actor=CITY_DISPATCHER, data=IncidentCreate(type="dispute"))
    assert err.value.field == "location_text"


def test_officer_cannot_take_calls(session: Session) -> None:
    lon, lat = seat(session)
    with pytest.raises(Forbidden):
        service.create_incident(
            session,
            actor=actor(role="officer"),
            data=IncidentCreate(type="dispute", lon=lon, lat=lat),
        )


def test_duplicates_same_type_within_300_m_and_15_minutes(session: Session) -> None:
    first = make_incident(session)
    # ~200 m north: a duplicate; ~500 m: not; another type: not.
    second, _, dups = service.create_incident(
        session,
        actor=CITY_DISPATCHER,
        data=IncidentCreate(type="dispute", lon=first.lon, lat=first.lat + 0.0018),
    )
    assert dups == [first.id]
    _, _, far = service.create_incident(
        session,
        actor=CITY_DISPATCHER,
        data=IncidentCreate(type="dispute", lon=first.lon, lat=first.lat + 0.0045),
    )
    assert far == []
    _, _, other_type = service.create_incident(
        session,
        actor=CITY_DISPATCHER,
        data=IncidentCreate(type="traffic", lon=first.lon, lat=first.lat),
    )
    assert other_type == []
    first.received_at -= timedelta(minutes=16)
    second.received_at -= timedelta(minutes=16)
    session.flush()
    _, _, stale = service.create_incident(
        session,
        actor=CITY_DISPATCHER,
        data=IncidentCreate(type="dispute", lon=first.lon, lat=first.lat),
    )
    assert first.id not in stale and second.id not in stale


def test_geocoded_intake(session: Session) -> None:
    registry_data.build(session)
    house = registry_data.find(session, "朝阳大街", 12)
    incident, _, _ = service.create_incident(
        session,
        actor=CITY_DISPATCHER,
        data=IncidentCreate(type="dispute", location_text="临渭区朝阳大街12号"),
    )
    assert incident.location_level in ("house", "address")
    assert (incident.lon, incident.lat) == pytest.approx((house.lon, house.lat), abs=1e-6)
    assert incident.division.startswith(HOME)
    fuzzy, candidates, _ = service.create_incident(
        session,
        actor=CITY_DISPATCHER,
        data=IncidentCreate(type="dispute", location_text="临渭区朝杨大街12号"),
    )
    assert candidates and candidates[0]["road"] == "朝阳大街"
    assert fuzzy.location_level is not None


def test_caller_phone_masked_and_audited(session: Session) -> None:
    incident = make_incident(session, caller_phone="13800001234")
    listed = service.incident_out(incident)
    assert listed.caller_phone == "138****1234" and listed.caller_masked
    _, shown = service.get_incident(session, actor=actor(), incident_id=incident.id)
    assert shown
    _, shown = service.get_incident(
        session, actor=actor(role="officer", name="off"), incident_id=incident.id
    )
    assert not shown
    reads = session.scalars(
        select(AuditEntry.detail).where(
            AuditEntry.action == "read",
            AuditEntry.record_type == "incident_incident",
            AuditEntry.record_id == str(incident.id),
        )
    ).all()
    details = [json.loads(d) if isinstance(d, str) else d for d in reads]
    assert [d["caller"] for d in details] == ["shown", "masked"]

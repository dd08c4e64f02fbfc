"""Provisioning vehicles and carriers, and reading them, on SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from pydantic import ValidationError
from sqlalchemy import select
from sqlalchemy.orm import Session

from tests.domains.transport.builders import (
    HOME,
    OTHER,
    START,
    actor,
    feed,
    provision,
    vehicle_data,
)
from zhian.core.audit.models import AuditEntry
from zhian.core.audit.service import AccessDenied
from zhian.core.errors import Conflict, Forbidden, InvalidInput, NotFound
from zhian.domains.transport import service
from zhian.domains.transport.schemas import CarrierCreate


def test_provisioning_normalizes_and_audits(session: Session) -> None:
    data = vehicle_data(
        7, plate=" 陕e 00007 ", terminal_phone="013800130007", hazard_classes="3, 2.1,3"
    )
    vehicle = service.provision_vehicle(session, actor=actor(), data=data)
    assert (vehicle.plate, vehicle.terminal_phone) == ("陕E00007", "13800130007")
    assert vehicle.hazard_classes == "2.1,3"
    assert vehicle.auth_code_hash is None
    entry = session.scalar(
        select(AuditEntry).where(
            AuditEntry.record_type == "transport_vehicle", AuditEntry.record_id == str(vehicle.id)
        )
    )
    assert entry is not None and entry.action == "create" and entry.division == HOME


@pytest.mark.parametrize(
    ("overrides", "field"),
    [
        ({"plate": "ABC123"}, "plate"),
        ({"plate_color": 7}, "plate_color"),
        ({"terminal_phone": "13800x"}, "terminal_phone"),
        ({"terminal_phone": "000000"}, "terminal_phone"),
        ({"terminal_phone": "1" * 21}, "terminal_phone"),
        ({"hazard_classes": ["2.4"]}, "hazard_classes"),
        ({"body_type": "flatbed"}, "body_type"),
        ({"division": "61"}, "division"),
    ],
)
def test_bad_input_names_the_field(overrides: dict[str, Any], field: str) -> None:
    with pytest.raises(ValidationError) as err:
        vehicle_data(**overrides)
    assert err.value.errors()[0]["loc"][0] == field


@pytest.mark.parametrize(
    ("overrides", "field"),
    [
        ({"division": OTHER}, "division"),  # outside the actor's jurisdiction
        ({"division": "610599"}, "division"),  # no such division
        ({"body_type": None}, "body_type"),
        ({"hazard_classes": []}, "hazard_classes"),
        ({"carrier_id": 999999}, "carrier_id"),
        ({"is_police_unit": True}, "body_type"),  # a police unit carries no goods
    ],
)
def test_provisioning_rules_name_the_field(
    session: Session, overrides: dict[str, Any], field: str
) -> None:
    with pytest.raises(InvalidInput) as err:
        service.provision_vehicle(session, actor=actor(), data=vehicle_data(**overrides))
    assert err.value.field == field


def test_police_unit_without_goods_is_provisioned(session: Session) -> None:
    data = vehicle_data(3, plate="陕E0003警", plate_color=4, is_police_unit=True)
    data = data.model_copy(update={"body_type": None, "hazard_classes": []})
    vehicle = service.provision_vehicle(session, actor=actor(role="commander"), data=data)
    assert vehicle.is_police_unit and vehicle.hazard_classes == ""


def test_duplicate_plate_and_colour_or_terminal_is_a_conflict(session: Session) -> None:
    provision(session, 1)
    with pytest.raises(Conflict) as err:
        service.provision_vehicle(session, actor=actor(), data=vehicle_data(1, terminal_phone="1"))
    assert err.value.field == "plate"
    with pytest.raises(Conflict) as err:
        service.provision_vehicle(
            session, actor=actor(), data=vehicle_data(2, terminal_phone="0013800130001")
        )
    assert err.value.field == "terminal_phone"
    # The same plate in another colour is another vehicle (a trailer's blue plate, say).
    service.provision_vehicle(
        session, actor=actor(), data=vehicle_data(1, plate_color=1, terminal_phone="99")
    )


def test_roles_without_manage_cannot_provision(session: Session) -> None:
    with pytest.raises(Forbidden):
        service.provision_vehicle(session, actor=actor(role="dispatcher"), data=vehicle_data())
    with pytest.raises(Forbidden):
        service.list_vehicles(session, actor=actor(role="mediator"))


def test_carrier_must_be_visible_to_the_provisioner(session: Session) -> None:
    city = actor(division="610500")
    theirs = service.create_carrier(
        session,
        actor=city,
        data=CarrierCreate(name="韩城危运", licence_no="HC-0001", division=OTHER),
    )
    ours = service.create_carrier(
        session,
        actor=city,
        data=CarrierCreate(name="临渭危运", licence_no="LW-0001", division=HOME),
    )
    with pytest.raises(InvalidInput) as err:
        service.provision_vehicle(session, actor=actor(), data=vehicle_data(carrier_id=theirs.id))
    assert err.value.field == "carrier_id"
    vehicle = service.provision_vehicle(
        session, actor=actor(), data=vehicle_data(carrier_id=ours.id)
    )
    assert vehicle.carrier_id == ours.id
    with pytest.raises(Conflict):
        service.create_carrier(
            session,
            actor=city,
            data=CarrierCreate(name="重复", licence_no="LW-0001", division=HOME),
        )


def test_lists_and_reads_are_scoped(session: Session) -> None:
    ours, theirs = provision(session, 1, HOME), provision(session, 2, OTHER)
    county = actor(role="leader")
    listed = service.list_vehicles(session, actor=county, per_page=500)
    ids = {v.id for v in listed.items}
    assert ours.id in ids and theirs.id not in ids
    assert service.get_vehicle(session, actor=county, vehicle_id=ours.id) is ours
    with pytest.raises(AccessDenied):
        service.get_vehicle(session, actor=county, vehicle_id=theirs.id)
    with pytest.raises(AccessDenied):
        service.track(session, actor=county, vehicle_id=theirs.id)
    with pytest.raises(NotFound):
        service.get_vehicle(session, actor=county, vehicle_id=999999)
    filtered = service.list_vehicles(session, actor=actor(division="610500"), plate="e00002")
    assert [v.id for v in filtered.items] == [theirs.id]


def test_track_is_in_time_order_bounded_and_audited(session: Session) -> None:
    vehicle = provision(session)
    # Delivered out of order: a late batch after the live fixes.
    feed(session, vehicle, [30.0] * 3, start=10)
    feed(session, vehicle, [30.0] * 3, start=0)
    reader = actor(role="officer")
    rows, more = service.track(session, actor=reader, vehicle_id=vehicle.id)
    times = [p.located_at for p in rows]
    assert times == sorted(times) and len(rows) == 6 and not more
    rows, more = service.track(session, actor=reader, vehicle_id=vehicle.id, limit=4)
    assert len(rows) == 4 and more
    window, _ = service.track(
        session,
        actor=reader,
        vehicle_id=vehicle.id,
        since=START + timedelta(seconds=1),
        until=START + timedelta(seconds=11),
    )
    assert [p.located_at for p in window] == [START + timedelta(seconds=s) for s in (1, 2, 10)]
    audited = session.scalars(
        select(AuditEntry).where(
            AuditEntry.action == "read_track", AuditEntry.record_id == str(vehicle.id)
        )
    ).all()
    assert len(audited) == 3


@pytest.mark.parametrize(
    ("kwargs", "field"),
    [
        ({"since": START.replace(tzinfo=None)}, "since"),
        ({"since": START, "until": START}, "since"),
        ({"limit": 0}, "limit"),
        ({"limit": service.MAX_POSITIONS + 1}, "limit"),
    ],
)
def test_track_refuses_bad_windows(session: Session, kwargs: dict[str, object], field: str) -> None:
    vehicle = provision(session)
    with pytest.raises(InvalidInput) as err:
        service.track(session, actor=actor(), vehicle_id=vehicle.id, **kwargs)
    assert err.value.field == field

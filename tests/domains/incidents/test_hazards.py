"""Premise hazards: the provider registry seam and the hazards dispatchers flag by hand."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from datetime import datetime, timedelta

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from tests.domains.incidents.builders import CITY_DISPATCHER, HOME, OTHER, actor
from tests.domains.places import registry_data
from zhian.core.audit.models import AuditEntry
from zhian.core.errors import Conflict, InvalidInput, NotFound
from zhian.core.time import utcnow
from zhian.domains.incidents import hazards, service
from zhian.domains.incidents.hazards import HazardFlag
from zhian.domains.incidents.schemas import HazardCreate, IncidentCreate


@pytest.fixture()
def houses(session: Session) -> dict[str, int]:
    return registry_data.build(session)


@pytest.fixture()
def provider() -> Iterator[list[tuple[int | None, float, float]]]:
    """A test provider that flags everything and remembers what it was asked."""
    asked: list[tuple[int | None, float, float]] = []

    def magazines(
        session: Session, *, address_id: int | None, lon: float, lat: float, at: datetime
    ) -> Sequence[HazardFlag]:
        asked.append((address_id, lon, lat))
        return [HazardFlag(kind="explosives_magazine", label="爆炸物品储存库", source="test")]

    def broken(
        session: Session, *, address_id: int | None, lon: float, lat: float, at: datetime
    ) -> Sequence[HazardFlag]:
        raise RuntimeError("provider down")

    hazards.register("test.broken", broken)
    hazards.register("test.magazines", magazines)
    try:
        yield asked
    finally:
        hazards.unregister("test.broken")
        hazards.unregister("test.magazines")


def _flag(session: Session, address_id: int, **over: object) -> int:
    data = {
        "address_id": address_id,
        "kind": "dog",
        "note": "院内烈性犬",
        "expires_at": utcnow() + timedelta(days=7),
    }
    data.update(over)
    made = hazards.create_hazard(
        session, actor=CITY_DISPATCHER, data=HazardCreate.model_validate(data)
    )
    return made.id


def test_registered_providers_answer_and_a_broken_one_is_skipped(
    session: Session, provider: list[tuple[int | None, float, float]]
) -> None:
    assert hazards.providers()[0] == "manual"
    found = hazards.hazards_at(session, address_id=7, lon=109.5, lat=34.5)
    assert [(f.kind, f.source) for f in found] == [("explosives_magazine", "test")]
    assert provider == [(7, 109.5, 34.5)]


def test_geocoded_call_carries_the_address_hazard(session: Session, houses: dict[str, int]) -> None:
    _flag(session, houses["house"])
    incident, _, _ = service.create_incident(
        session,
        actor=CITY_DISPATCHER,
        data=IncidentCreate(type="dispute", location_text="临渭区朝阳大街12号"),
    )
    assert incident.address_id == houses["house"]
    flags = service.hazards_of(session, incident)
    assert [(f.kind, f.source, f.detail) for f in flags] == [("dog", "manual", "院内烈性犬")]
    assert flags[0].label == "烈性犬"


def test_point_call_finds_hazards_within_fifty_metres_only(
    session: Session, houses: dict[str, int]
) -> None:
    twelve = registry_data.find(session, "朝阳大街", 12)
    _flag(session, twelve.id, kind="structural")
    near = IncidentCreate(type="dispute", lon=twelve.lon + 0.0003, lat=twelve.lat)  # ~28 m
    far = IncidentCreate(type="dispute", lon=twelve.lon + 0.002, lat=twelve.lat)  # ~180 m
    for data, expected in ((near, ["structural"]), (far, [])):
        incident, _, _ = service.create_incident(session, actor=CITY_DISPATCHER, data=data)
        assert incident.address_id is None
        assert [f.kind for f in service.hazards_of(session, incident)] == expected


def test_expired_and_revoked_hazards_are_not_shown(
    session: Session, houses: dict[str, int]
) -> None:
    house = registry_data.find(session, "朝阳大街", 12)
    hazard_id = _flag(session, house.id)
    later = utcnow() + timedelta(days=8)
    assert hazards.hazards_at(session, address_id=house.id, lon=0.0, lat=0.0, at=later) == []
    assert len(hazards.hazards_at(session, address_id=house.id, lon=0.0, lat=0.0)) == 1
    hazards.revoke_hazard(session, actor=CITY_DISPATCHER, hazard_id=hazard_id)
    assert hazards.hazards_at(session, address_id=house.id, lon=house.lon, lat=house.lat) == []
    with pytest.raises(Conflict):
        hazards.revoke_hazard(session, actor=CITY_DISPATCHER, hazard_id=hazard_id)
    actions = session.scalars(
        select(AuditEntry.action).where(AuditEntry.record_type == "incident_premise_hazard")
    ).all()
    assert actions == ["create", "revoke"]
    assert hazards.list_hazards(session, actor=CITY_DISPATCHER).total == 0
    assert hazards.list_hazards(session, actor=CITY_DISPATCHER, active_only=False).total == 1


def test_expiry_must_be_ahead_and_within_a_year(session: Session, houses: dict[str, int]) -> None:
    for when in (utcnow() - timedelta(minutes=1), utcnow() + timedelta(days=400)):
        with pytest.raises(InvalidInput) as err:
            _flag(session, houses["house"], expires_at=when)
        assert err.value.field == "expires_at"


def test_another_countys_address_cannot_be_flagged(
    session: Session, houses: dict[str, int]
) -> None:
    theirs = registry_data.find(session, "金城大街", 1, OTHER)
    data = HazardCreate(address_id=theirs.id, kind="dog", expires_at=utcnow() + timedelta(days=1))
    with pytest.raises(NotFound):
        hazards.create_hazard(session, actor=actor(division=HOME), data=data)
    with pytest.raises(NotFound):
        hazards.create_hazard(
            session,
            actor=actor(division=HOME),
            data=data.model_copy(update={"address_id": 10**9}),
        )

"""The bus consumer and the gateway's DB-backed directory, on both backends."""

from __future__ import annotations

import asyncio
import logging

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from tests.domains.transport.builders import RULES, provision, report
from zhian.core.bus import Event, InMemoryBus, idempotent
from zhian.core.db import unit_of_work
from zhian.domains.transport import consumers
from zhian.domains.transport.directory import DbDirectory
from zhian.domains.transport.models import Alert, Position, Vehicle
from zhian.gateways.jt808.messages import (
    REG_OK,
    REG_TERMINAL_UNKNOWN,
    REG_VEHICLE_UNKNOWN,
    Register,
)


def committed_vehicle(factory: sessionmaker[Session], n: int = 1) -> Vehicle:
    with unit_of_work(factory) as session:
        return provision(session, n)


def position_event(vehicle: Vehicle, second: int, event_id: str, **kw: object) -> Event:
    data = report(vehicle, second, **kw).model_dump(mode="json")  # type: ignore[arg-type]
    return Event.new("jt808.position", "gateway.jt808", data, id=event_id)


def count(factory: sessionmaker[Session], model: type[Position] | type[Alert]) -> int:
    with factory() as session:
        return session.scalar(select(func.count()).select_from(model)) or 0


def test_redelivered_event_is_applied_once(session_factory: sessionmaker[Session]) -> None:
    vehicle = committed_vehicle(session_factory)
    handle = idempotent(consumers.CONSUMER, session_factory, consumers.position_effect(RULES))
    event = position_event(vehicle, 0, "jt808-aaa", alarm=1)
    asyncio.run(handle(event))
    asyncio.run(handle(event))
    assert count(session_factory, Position) == 1
    assert count(session_factory, Alert) == 1


def test_through_the_memory_bus(session_factory: sessionmaker[Session]) -> None:
    vehicle = committed_vehicle(session_factory)

    async def scenario() -> None:
        bus = InMemoryBus()
        await bus.start()
        await consumers.subscribe(bus, session_factory, RULES)
        for i in range(3):
            await bus.publish(position_event(vehicle, i, f"jt808-{i}", speed=90.0))
        await bus.publish(position_event(vehicle, 0, "jt808-0", speed=90.0))  # deduped
        await bus.wait_idle(10.0)
        await bus.close()

    asyncio.run(asyncio.wait_for(scenario(), 30))
    assert count(session_factory, Position) == 3
    assert count(session_factory, Alert) == 1


@pytest.mark.parametrize(
    "change", [{"lat": 91.0}, {"phone": "77"}, {"time": "not a time"}], ids=str
)
def test_unusable_reports_are_logged_and_acknowledged(
    session_factory: sessionmaker[Session],
    caplog: pytest.LogCaptureFixture,
    change: dict[str, object],
) -> None:
    vehicle = committed_vehicle(session_factory)
    event = position_event(vehicle, 0, "jt808-bad")
    event = Event.new(event.subject, event.source, {**event.data, **change}, id=event.id)
    handle = idempotent(consumers.CONSUMER, session_factory, consumers.position_effect(RULES))
    with caplog.at_level(logging.WARNING, logger="zhian.domains.transport.consumers"):
        asyncio.run(handle(event))  # returns: acknowledged, not redelivered forever
    assert count(session_factory, Position) == 0
    assert "jt808-bad" in caplog.text and "not stored" in caplog.text


def registration(plate: str = "陕E00001", color: int = 2) -> Register:
    return Register(61, 500, "ZHIAN", "SIM808", "SIM0001", color, plate)


def test_directory_registers_only_provisioned_terminals(
    session_factory: sessionmaker[Session],
) -> None:
    vehicle = committed_vehicle(session_factory)
    directory = DbDirectory(session_factory)

    async def scenario() -> None:
        assert await directory.lookup("13900000000") is None
        unknown = await directory.register("013900000000", registration())
        assert unknown == (REG_TERMINAL_UNKNOWN, None)
        record = await directory.lookup("0" + vehicle.terminal_phone)
        assert record is not None and record.plate == vehicle.plate
        assert (await directory.register(vehicle.terminal_phone, registration("陕E99999")))[
            0
        ] == REG_VEHICLE_UNKNOWN
        assert (await directory.register(vehicle.terminal_phone, registration(color=1)))[
            0
        ] == REG_VEHICLE_UNKNOWN
        result, code = await directory.register(vehicle.terminal_phone, registration())
        assert result == REG_OK and code
        with session_factory() as session:
            held = session.get(Vehicle, vehicle.id)
            assert held is not None and held.auth_code_hash not in (None, code)
            assert code not in (held.auth_code_hash or "")
        assert await directory.authenticate(vehicle.terminal_phone, code)
        assert not await directory.authenticate(vehicle.terminal_phone, code + "x")
        # Registering again issues a new code; the old one stops working.
        _, newer = await directory.register(vehicle.terminal_phone, registration())
        assert newer and newer != code
        assert not await directory.authenticate(vehicle.terminal_phone, code)
        await directory.unregister(vehicle.terminal_phone)
        assert not await directory.authenticate(vehicle.terminal_phone, newer)

    asyncio.run(asyncio.wait_for(scenario(), 30))
    with session_factory() as session:
        stored = session.get(Vehicle, vehicle.id)
        assert stored is not None and stored.auth_code_hash is None
        assert stored.registered_at is not None

"""Automatic vehicle location: a police car's JT/T 808 fixes move its dispatch unit."""

from __future__ import annotations

import asyncio
import random
import time
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from fastapi.testclient import TestClient
from pydantic import ValidationError
from sqlalchemy import select
from sqlalchemy.orm import Session

from tests.domains.incidents.builders import make_unit
from tests.domains.transport.builders import provision
from tests.helpers import App
from zhian.app import create_app
from zhian.core.bus import Event
from zhian.core.db import make_engine, make_sessionmaker, unit_of_work
from zhian.core.errors import Conflict
from zhian.core.settings import Settings
from zhian.domains.incidents.consumers import apply_fixes
from zhian.domains.incidents.models import Unit
from zhian.domains.incidents.schemas import UnitCreate
from zhian.gateways.jt808.messages import CST
from zhian.sim import patrols
from zhian.sim.incidents import seed_units
from zhian.sim.jt808_terminal import SimTerminal
from zhian.sim.vehicles import run_vehicles

T0 = datetime(2026, 11, 1, 8, 0, tzinfo=UTC)
TERMINAL = "13800130001"


def fix(phone: str, second: int, lon: float, *, status: int = 3, **extra: Any) -> Event:
    data: dict[str, Any] = {
        "phone": phone,
        "time": (T0 + timedelta(seconds=second)).isoformat(),
        "lon": lon,
        "lat": 34.5,
        "speed_kmh": 30.0,
        "heading": 0,
        "alarm": 0,
        "status": status,
    }
    data.update(extra)
    return Event.new("jt808.position", "jt808", data)


def test_the_newest_fix_of_a_units_terminal_moves_it(session: Session) -> None:
    unit = make_unit(session, 1, terminal_phone="0" + TERMINAL)
    other = make_unit(session, 2)
    assert unit.terminal_phone == TERMINAL  # the header's zero padding is not part of it
    moved = apply_fixes(
        session,
        [
            fix(TERMINAL, 20, 109.52),
            fix(TERMINAL, 10, 109.51),  # older, in the same batch
            fix("13900000009", 30, 109.9),  # a truck: no unit carries it
            fix(TERMINAL, 40, 109.99, status=1),  # not positioned: 0,0 or stale
            Event.new("jt808.position", "jt808", {"phone": TERMINAL, "time": "yesterday"}),
        ],
    )
    assert moved == 1
    session.refresh(unit)
    assert (unit.lon, unit.lat) == (109.52, 34.5)
    assert unit.position_at is not None
    assert unit.position_at.replace(tzinfo=UTC) == T0 + timedelta(seconds=20)
    assert other.lon is None
    # A late fix (a blind-area supplement) or a redelivery does not move it back.
    assert apply_fixes(session, [fix(TERMINAL, 15, 109.0), fix(TERMINAL, 20, 109.52)]) == 0
    session.refresh(unit)
    assert unit.lon == 109.52
    assert apply_fixes(session, [fix(TERMINAL, 25, 109.53)]) == 1


def test_a_terminal_fits_one_unit_and_must_be_digits(session: Session) -> None:
    make_unit(session, 1, terminal_phone=TERMINAL)
    with pytest.raises(Conflict) as exc:
        make_unit(session, 2, terminal_phone=TERMINAL)
    assert exc.value.field == "terminal_phone"
    with pytest.raises(ValidationError) as bad:
        UnitCreate.model_validate(
            {
                "callsign": "渭巡9",
                "kind": "patrol_car",
                "division": "610502",
                "terminal_phone": "x1",
            }
        )
    assert bad.value.errors()[0]["loc"] == ("terminal_phone",)


async def patrol(port: int, phone: str) -> list[int]:
    terminal = SimTerminal(phone, plate="陕E0001警", timeout=15)
    await terminal.connect("127.0.0.1", port)
    await terminal.register()
    await terminal.authenticate()
    results = []
    start = datetime(2026, 11, 1, 9, 0, tzinfo=CST)
    for i in range(3):
        when = start + timedelta(seconds=10 * i)
        results.append(await terminal.locate(109.50 + 0.01 * i, 34.50, 40, when))
    await terminal.close()
    return results


def test_a_police_cars_terminal_moves_its_unit_over_jt808(fresh_url: str) -> None:
    engine = make_engine(fresh_url)
    factory = make_sessionmaker(engine)
    with unit_of_work(factory) as session:
        # The gateway admits provisioned terminals only: the car is registered as a police unit.
        provision(
            session, plate="陕E0001警", is_police_unit=True, hazard_classes=[], body_type=None
        )
    web = create_app(
        Settings(database_url=fresh_url, bus="memory"), session_factory=factory, jt808_port=0
    )
    try:
        with TestClient(web, base_url="http://testserver") as client:
            app = App(client, factory)
            headers = app.headers(app.token("lw_cmd", role="dispatcher", division="610502"))
            made = client.post(
                "/api/v1/units",
                json={
                    "callsign": "临渭巡01",
                    "kind": "patrol_car",
                    "division": "610502",
                    "terminal_phone": "013800130001",
                },
                headers=headers,
            )
            assert made.status_code == 201, made.text
            assert made.json()["terminal_phone"] == TERMINAL
            assert made.json()["lon"] is None
            unit_id = made.json()["id"]
            results = asyncio.run(asyncio.wait_for(patrol(web.state.jt808.port, TERMINAL), 60))
            assert results == [0, 0, 0]
            deadline = time.monotonic() + 15
            body: dict[str, Any] = {}
            while time.monotonic() < deadline:
                body = client.get(f"/api/v1/units/{unit_id}", headers=headers).json()
                if body["lon"] is not None and round(body["lon"], 6) == 109.52:
                    break
                time.sleep(0.05)
            assert round(body["lon"], 6) == 109.52, body
            assert body["position_at"].startswith("2026-11-01T01:00:20")
    finally:
        engine.dispose()


def test_the_demo_patrol_cars_drive_their_units(fresh_url: str) -> None:
    engine = make_engine(fresh_url)
    factory = make_sessionmaker(engine)
    with unit_of_work(factory) as session:
        seed_units(session, rng=random.Random(1))
        cars = patrols.provision_patrol_cars(session)[:2]
    web = create_app(
        Settings(database_url=fresh_url, bus="memory"), session_factory=factory, jt808_port=0
    )
    try:
        with TestClient(web, base_url="http://testserver") as client:
            port = web.state.jt808.port

            def on_their_beats() -> bool:
                with unit_of_work(factory) as session:
                    moved = session.execute(
                        select(Unit.terminal_phone, Unit.lon, Unit.lat).where(
                            Unit.terminal_phone.in_([c.phone for c in cars])
                        )
                    ).all()
                beats = {c.phone: set(c.route) for c in cars}
                return len(moved) == 2 and all(
                    (round(lon, 6), round(lat, 6)) in beats[phone] for phone, lon, lat in moved
                )

            async def run() -> bool:
                stop = asyncio.Event()
                task = asyncio.create_task(
                    run_vehicles(0, "127.0.0.1", port, speedup=200.0, stop_event=stop, also=cars)
                )
                deadline = time.monotonic() + 60
                try:
                    while time.monotonic() < deadline:
                        if await asyncio.to_thread(on_their_beats):
                            return True
                        await asyncio.sleep(0.05)
                    return False
                finally:
                    stop.set()
                    await task

            assert asyncio.run(run()), "the patrol cars' fixes did not move their units"
            assert client.get("/healthz").status_code == 200
    finally:
        engine.dispose()

"""The simulated trucks: routes inside Weinan, their misbehaviour, and a run over real TCP."""

from __future__ import annotations

import asyncio
import time
from datetime import UTC, datetime
from typing import Any

import pytest
from fastapi.testclient import TestClient
from shapely.geometry import LineString, Point
from sqlalchemy import select
from sqlalchemy.orm import Session
from typer.testing import CliRunner

from tests.domains.transport.test_end_to_end import wait_for
from tests.helpers import App
from zhian.app import create_app
from zhian.cli import app as cli
from zhian.core.db import make_engine, make_sessionmaker, unit_of_work
from zhian.core.settings import Settings
from zhian.core.time import utcnow
from zhian.domains.places import service as places
from zhian.domains.transport import corridor as geo
from zhian.domains.transport.models import Vehicle
from zhian.sim import vehicles
from zhian.sim.vehicles import (
    MAX_SPEED,
    MIN_SPEED,
    Behaviour,
    fleet,
    provision_demo_vehicles,
    run_vehicles,
)


def test_routes_stay_inside_weinan_and_start_in_their_division(session: Session) -> None:
    locator = places.locator(session)
    for sim in fleet(30):
        lon = [p[0] for p in sim.route]
        lat = [p[1] for p in sim.route]
        where = locator.locate_many(lon, lat)
        assert (where >= 0).all(), f"{sim.plate} leaves Weinan"
        first = locator.areas[int(where[0])]
        assert first.adcode == sim.division, sim.plate


def test_fleet_is_deterministic_with_plausible_spacing_and_speeds() -> None:
    a, b = fleet(13), fleet(13)
    assert a == b
    assert [s.plate for s in a[:2]] == ["陕ED0001", "陕ED0002"]
    assert [s.phone for s in a[:2]] == ["13900000001", "13900000002"]
    assert len({s.phone for s in a}) == 13
    for sim in a:
        assert all(MIN_SPEED <= v <= MAX_SPEED < 60.0 for v in sim.speeds)
        gaps = [vehicles._distance_m(p, q) for p, q in zip(sim.route, sim.route[1:], strict=False)]
        assert all(50.0 <= g <= 150.0 for g in gaps), sim.plate


def _outside_runs(sim: vehicles.SimVehicle, fixes: list[vehicles.Fix]) -> list[list[float]]:
    """The stretches outside the permit corridor, each as the seconds its fixes took."""
    band = geo.prepared(geo.buffer_corridor(LineString(sim.corridor), vehicles.CORRIDOR_WIDTH_M))
    runs: list[list[float]] = []
    outside = False
    for fix in fixes:
        out = not band.contains(Point(fix.lon, fix.lat))
        if out and not outside:
            runs.append([])
        if out:
            runs[-1].append(fix.wait_s)
        outside = out
    return runs


def _outward(sim: vehicles.SimVehicle, lap: int = 0) -> list[vehicles.Fix]:
    """The fixes of a lap up to the destination (where the permit's trip ends), or until
    the truck went silent."""
    fixes = [f for f in sim.lap(lap) if f is not None]
    end = sim.corridor[-1]
    arrived = next(
        (i for i, f in enumerate(fixes) if vehicles._distance_m((f.lon, f.lat), end) < 1.0),
        len(fixes) - 1,
    )
    return fixes[: arrived + 1]


def test_each_misbehaviour_happens() -> None:
    by = {s.behaviour: s for s in fleet(6)}
    assert len(by) == 6
    speeding = [f for f in by[Behaviour.SPEEDING].lap(0) if f is not None]
    assert max(f.speed_kmh for f in speeding) > 80.0
    emergency = [f for f in by[Behaviour.EMERGENCY].lap(0) if f is not None]
    assert [i for i, f in enumerate(emergency) if f.press] == [vehicles.EMERGENCY_AT]
    assert not any(f.alarm for f in emergency)  # the terminal latches the bit, not the route
    assert not any(f and f.press for f in by[Behaviour.EMERGENCY].lap(1))  # pressed once

    stopper = by[Behaviour.LONG_STOP]
    stopped = [f for f in stopper.lap(0) if f is not None and f.speed_kmh == 0]
    assert sum(f.wait_s for f in stopped) >= 30 * 60
    assert len({(f.lon, f.lat) for f in stopped}) == 1  # standing, not crawling
    where = (stopped[0].lon, stopped[0].lat)
    for end in (stopper.corridor[0], stopper.corridor[-1]):
        assert vehicles._distance_m(where, end) > 5_000  # nowhere near where it loads or unloads

    silent = by[Behaviour.SILENT]
    fixes = list(silent.lap(0))
    assert fixes[-1] is None and len(fixes) < len(silent.route) // 2  # silent on the way out
    last = fixes[-2]
    assert last is not None
    assert vehicles._distance_m((last.lon, last.lat), silent.corridor[-1]) > 5_000  # not arrived


def test_only_the_off_corridor_truck_leaves_its_corridor() -> None:
    for sim in fleet(12):
        runs = _outside_runs(sim, _outward(sim))
        if sim.behaviour is Behaviour.OFF_CORRIDOR:
            assert len(runs) == 1, sim.plate
            # Outside for longer than the deviation threshold (60 s) by the sim's clock, and
            # even at one report a second, as a fast-forwarded simulation reports.
            assert sum(runs[0]) > 5 * 60 and len(runs[0]) > 60
        else:
            assert runs == [], sim.plate


def test_demo_permits_cover_each_outward_leg(session: Session) -> None:
    trucks = provision_demo_vehicles(session, 6)
    now = datetime(2026, 11, 29, 8, 0, tzinfo=UTC)
    issued = vehicles.issue_demo_permits(session, trucks, now=now)
    assert [p.vehicle_id for p in issued] == [t.id for t in trucks]
    for permit, sim in zip(issued, fleet(6), strict=True):
        assert permit.status == "active" and permit.corridor_width_m == vehicles.CORRIDOR_WIDTH_M
        line = geo.load(permit.corridor)
        assert [tuple(c) for c in line.coords] == list(sim.corridor)
        assert permit.hazard_class in {"3", "8"}


def test_trucks_drive_against_the_gateway(fresh_url: str) -> None:
    engine = make_engine(fresh_url)
    factory = make_sessionmaker(engine)
    with unit_of_work(factory) as session:
        provisioned = provision_demo_vehicles(session, 6)
        assert [v.division for v in provisioned] == [s.division for s in fleet(6)]
        # The sim reports wall-clock times: the permits are valid around now.
        vehicles.issue_demo_permits(session, provisioned, now=utcnow())
    settings = Settings(database_url=fresh_url, bus="memory")
    web = create_app(settings, session_factory=factory, jt808_port=0)
    try:
        with TestClient(web, base_url="http://testserver") as client:
            app = App(client, factory)
            port = web.state.jt808.port
            headers = app.headers(app.token("city_disp", role="dispatcher", division="610500"))

            def reported() -> Any:
                body = client.get(
                    "/api/v1/transport/vehicles/latest.geojson", headers=headers
                ).json()
                return len(body["features"]) == 6 or None

            async def run() -> None:
                stop = asyncio.Event()
                task = asyncio.create_task(
                    run_vehicles(6, "127.0.0.1", port, speedup=2000.0, stop_event=stop)
                )

                def kinds() -> set[str]:
                    resp = client.get("/api/v1/transport/alerts", headers=headers).json()
                    return {(a["plate"], a["kind"]) for a in resp["items"]}

                wanted = {
                    ("陕ED0002", "overspeed"),
                    ("陕ED0003", "emergency"),
                    ("陕ED0006", "corridor_deviation"),
                }

                # Poll from a thread so the trucks keep driving while a request is served;
                # the bound is generous because a loaded CI machine is slow, not broken.
                # Every truck must have reported before they stop: on a loaded machine the
                # last one may still be registering when the first alerts arrive.
                deadline = time.monotonic() + 120
                while time.monotonic() < deadline:
                    if await asyncio.to_thread(kinds) >= wanted and await asyncio.to_thread(
                        reported
                    ):
                        break
                    await asyncio.sleep(0.05)
                stop.set()
                await asyncio.wait_for(task, 20)

            asyncio.run(run())
            alerts = client.get("/api/v1/transport/alerts", headers=headers).json()["items"]
            seen = {(a["plate"], a["kind"]) for a in alerts}
            assert ("陕ED0002", "overspeed") in seen and ("陕ED0003", "emergency") in seen
            # Only the speeding truck speeds (the others keep under the ordinary road limit),
            # and only the one that leaves its corridor deviates.
            assert {plate for plate, kind in seen if kind == "overspeed"} == {"陕ED0002"}
            assert ("陕ED0006", "corridor_deviation") in seen
            assert not {p for p, k in seen if k == "corridor_deviation"} - {"陕ED0006"}

            assert wait_for(reported)
        with unit_of_work(factory) as session:
            registered = session.scalars(select(Vehicle.auth_code_hash)).all()
            assert all(registered)
    finally:
        engine.dispose()


def test_sim_command_refuses_a_bad_address() -> None:
    result = CliRunner().invoke(cli, ["sim", "vehicles", "--jt808", "nowhere"])
    assert result.exit_code == 2


def test_sim_command_drives_what_it_prints(monkeypatch: pytest.MonkeyPatch) -> None:
    seen: dict[str, Any] = {}

    def fake_drive(count: int, host: str, port: int, *, speedup: float) -> None:
        seen.update(count=count, host=host, port=port, speedup=speedup)

    monkeypatch.setattr(vehicles, "drive", fake_drive)
    result = CliRunner().invoke(cli, ["sim", "vehicles", "--count", "3", "--jt808", "h:8808"])
    assert result.exit_code == 0, result.output
    assert seen == {"count": 3, "host": "h", "port": 8808, "speedup": 1.0}
    assert "陕ED0003" in result.output and "陕ED0004" not in result.output


def test_demo_passes_the_gateway_port(monkeypatch: pytest.MonkeyPatch) -> None:
    seen: dict[str, Any] = {}
    monkeypatch.setattr("zhian.sim.demo.run_demo", lambda **kw: seen.update(kw))
    result = CliRunner().invoke(cli, ["demo", "--jt808-port", "9808"])
    assert result.exit_code == 0, result.output
    assert seen == {"host": "127.0.0.1", "port": 8000, "jt808_port": 9808}

"""Terminal to API: a simulated JT/T 808 terminal over real TCP, the gateway inside the app,
the bus, the transport consumer, the database, and the HTTP API reading it back."""

from __future__ import annotations

import asyncio
import socket
import time
from datetime import datetime, timedelta
from typing import Any

import pytest
from fastapi.testclient import TestClient
from typer.testing import CliRunner

from tests.domains.transport.builders import provision
from tests.helpers import App
from zhian.app import create_app
from zhian.cli import app as cli
from zhian.core.db import make_engine, make_sessionmaker, unit_of_work
from zhian.core.settings import Settings
from zhian.gateways.jt808.messages import CST, REG_OK, REG_TERMINAL_UNKNOWN
from zhian.sim.jt808_terminal import SimTerminal

START = datetime(2026, 11, 1, 8, 0, tzinfo=CST)
# (speed, alarm) per fix: an overspeed episode with a dip, one emergency press, then calm.
FIXES = [(40, 0), (60, 0), (95, 0), (78, 0), (101, 0), (60, 1), (60, 1), (55, 0), (50, 0)]
WAIT = 15.0


async def drive(port: int, phone: str, plate: str) -> dict[str, Any]:
    """An unknown terminal, then the provisioned one reporting FIXES (one of them twice)."""
    stranger = SimTerminal("13900000001", plate="陕E99999", timeout=WAIT)
    await stranger.connect("127.0.0.1", port)
    unknown = await stranger.register()
    await stranger.close()

    terminal = SimTerminal(phone, plate=plate, timeout=WAIT)
    await terminal.connect("127.0.0.1", port)
    registered = await terminal.register()
    authenticated = await terminal.authenticate()
    results = []
    for i, (speed, alarm) in enumerate(FIXES):
        when = START + timedelta(seconds=10 * i)
        lon, lat = 109.50 + i * 0.002, 34.50 + i * 0.001
        results.append(await terminal.locate(lon, lat, speed, when, heading=45, alarm=alarm))
    # The terminal missed our answer and resends a fix: stored once.
    resent = await terminal.locate(109.5, 34.5, 40, START, heading=45)
    await terminal.close()
    return {
        "unknown": unknown,
        "registered": registered,
        "authenticated": authenticated,
        "results": [*results, resent],
    }


def wait_for(check: Any, timeout: float = WAIT) -> Any:
    """Poll ``check()`` until it returns something truthy; fail after ``timeout`` seconds."""
    deadline = time.monotonic() + timeout
    while True:
        found = check()
        if found or time.monotonic() > deadline:
            return found
        time.sleep(0.05)


def test_terminal_positions_reach_the_api_with_alerts(fresh_url: str) -> None:
    engine = make_engine(fresh_url)
    factory = make_sessionmaker(engine)
    with unit_of_work(factory) as session:
        vehicle = provision(session)
    settings = Settings(database_url=fresh_url, bus="memory")
    web = create_app(settings, session_factory=factory, jt808_port=0)
    try:
        with TestClient(web, base_url="http://testserver") as client:
            app = App(client, factory)
            port = web.state.jt808.port
            seen = asyncio.run(
                asyncio.wait_for(drive(port, vehicle.terminal_phone, vehicle.plate), 60)
            )
            assert seen["unknown"] == REG_TERMINAL_UNKNOWN
            assert (seen["registered"], seen["authenticated"]) == (REG_OK, 0)
            assert seen["results"] == [0] * (len(FIXES) + 1)

            headers = app.headers(app.token("lw_dispatch", role="dispatcher", division="610502"))
            path = f"/api/v1/transport/vehicles/{vehicle.id}/positions"

            def track() -> list[dict[str, Any]] | None:
                body = client.get(path, headers=headers).json()
                return body if len(body) >= len(FIXES) else None

            positions = wait_for(track)
            assert positions is not None, "positions did not arrive within the timeout"
            # Let anything still in flight land, then check nothing more (no duplicate) did.
            asyncio.run(asyncio.sleep(0.2))
            positions = client.get(path, headers=headers).json()
            assert [p["speed_kmh"] for p in positions] == [s for s, _ in FIXES]
            assert [p["alarm"] for p in positions] == [a for _, a in FIXES]
            first = positions[0]
            assert first["time"].startswith("2026-11-01T00:00:00")
            assert (round(first["lon"], 6), round(first["lat"], 6)) == (109.5, 34.5)

            alerts = client.get(
                "/api/v1/transport/alerts", params={"status": "open"}, headers=headers
            ).json()
            kinds = sorted(a["kind"] for a in alerts["items"])
            assert kinds == ["emergency", "overspeed"], alerts
            overspeed = next(a for a in alerts["items"] if a["kind"] == "overspeed")
            assert overspeed["peak_speed_kmh"] == 101
            assert overspeed["lon"] is not None and overspeed["lat"] is not None
            detail = client.get(f"/api/v1/transport/vehicles/{vehicle.id}", headers=headers)
            assert detail.json()["registered"] is True
        # The lifespan closed the gateway with the app.
        assert web.state.jt808 is None
        with pytest.raises(OSError), socket.create_connection(("127.0.0.1", port), timeout=2):
            pass
    finally:
        engine.dispose()


def test_serve_passes_the_gateway_port(monkeypatch: pytest.MonkeyPatch) -> None:
    seen: dict[str, Any] = {}

    def fake_run_server(settings: Settings, **kwargs: Any) -> None:
        seen.update(kwargs)

    monkeypatch.setattr("zhian.sim.demo.run_server", fake_run_server)
    result = CliRunner().invoke(cli, ["serve", "--port", "8001", "--jt808-port", "8808"])
    assert result.exit_code == 0, result.output
    assert seen == {
        "host": "127.0.0.1",
        "port": 8001,
        "jt808_port": 8808,
        "jt808_host": "127.0.0.1",
    }
    result = CliRunner().invoke(cli, ["serve", "--port", "8001"])
    assert seen["jt808_port"] is None

"""The demo's emergency truck keeps reporting its button until an operator acknowledges the
alert on the console; then its terminal clears the bit (JT/T 808 0x8203)."""

from __future__ import annotations

import asyncio
import time
from typing import Any

from fastapi.testclient import TestClient

from tests.domains.transport.test_end_to_end import wait_for
from tests.helpers import App
from zhian.app import create_app
from zhian.core.db import make_engine, make_sessionmaker, unit_of_work
from zhian.core.settings import Settings
from zhian.sim import vehicles
from zhian.sim.vehicles import Behaviour, fleet, provision_demo_vehicles

ALERTS = "/api/v1/transport/alerts"


def test_the_button_stays_latched_until_the_alert_is_acknowledged(fresh_url: str) -> None:
    engine = make_engine(fresh_url)
    factory = make_sessionmaker(engine)
    with unit_of_work(factory) as session:
        trucks = provision_demo_vehicles(session, 3)
        truck_id = trucks[2].id
    sim = fleet(3)[2]
    assert sim.behaviour is Behaviour.EMERGENCY
    web = create_app(
        Settings(database_url=fresh_url, bus="memory"), session_factory=factory, jt808_port=0
    )
    try:
        with TestClient(web, base_url="http://testserver") as client:
            app = App(client, factory)
            headers = app.headers(app.token("city_disp", role="dispatcher", division="610500"))
            positions = f"/api/v1/transport/vehicles/{truck_id}/positions"

            def alarms() -> list[int]:
                body = client.get(positions, params={"limit": 5000}, headers=headers).json()
                return [p["alarm"] & 1 for p in body]

            def latched_a_while() -> int | None:
                page = client.get(ALERTS, params={"kind": "emergency"}, headers=headers).json()
                return page["items"][0]["id"] if page["items"] and sum(alarms()) >= 5 else None

            async def run() -> dict[str, Any]:
                stop = asyncio.Event()
                task = asyncio.create_task(
                    vehicles._drive(sim, "127.0.0.1", web.state.jt808.port, 500.0, stop)
                )
                try:
                    alert_id = await asyncio.to_thread(wait_for, latched_a_while)
                    assert alert_id, "the emergency alert did not open"
                    # Latched: every fix since the press carries the bit, not only three.
                    seen = await asyncio.to_thread(alarms)
                    first = seen.index(1)
                    assert all(seen[first:]), seen
                    answer = await asyncio.to_thread(
                        client.post, f"{ALERTS}/{alert_id}/acknowledge", headers=headers
                    )

                    def cleared() -> bool | None:
                        now = alarms()
                        return (len(now) > len(seen) + 3 and not any(now[-3:])) or None

                    done = await asyncio.to_thread(wait_for, cleared)
                    return {"answer": answer, "cleared": done}
                finally:
                    stop.set()
                    await asyncio.wait_for(task, 20)

            seen = asyncio.run(asyncio.wait_for(run(), 120))
            answer = seen["answer"]
            assert answer.status_code == 200, answer.text
            assert answer.json()["terminal_confirmation"] == "confirmed"
            assert answer.json()["status"] == "open"  # acknowledged, still to be resolved
            assert seen["cleared"], "the terminal kept reporting the button"
            time.sleep(0.2)
            page = client.get(ALERTS, params={"kind": "emergency"}, headers=headers).json()
            assert len(page["items"]) == 1  # the cleared button opened no new alert
    finally:
        engine.dispose()

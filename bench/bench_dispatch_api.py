"""Dispatch recommendation over HTTP: GET /api/v1/incidents/{id}/recommendations, 2,000 units.

Target (issue 4): the API round trip's p99 <= 20 ms with 2,000 units online. The server is
``zhian serve`` (uvicorn) in its own process on a loopback port, on a SQLite database seeded
as bench_dispatch.py seeds it; the client is one keep-alive httpx connection with a
dispatcher's bearer token. Prints p50 and p99 beside the vectorised brute-force ranking
alone (bench_dispatch.py's baseline), measured in this run, and their ratio; and the server
process's CPU time per call, which says less about the other load on the machine than the
wall-clock figures do.

The route runs in a read-only transaction (``web.deps.read_only``): on SQLite it takes no
write lock, so it no longer queues behind the periodic checks or any other writer. The
incident's position is read by a prepared statement instead of loading the incident.

What holds now (quiet machine, load ~0.8 on 2 CPUs, 2026-11-29): p50 7.5 ms, p99 11.1 ms: met;
server CPU 6.2 ms per call. Under a load of 5-6 the p99 was 18-24 ms, at ~10 it was 55-100 ms:
the call's CPU is the limit, and most of it is the framework, not the ranking: ``GET
/healthz`` alone costs ~2.5 ms of server CPU, the bearer-token lookup ~1 ms.

    .venv/bin/python bench/bench_dispatch_api.py [UNITS] [CALLS]
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import httpx
from bench_dispatch import brute_force_us, percentiles_us, seed

from zhian.core.db import make_engine, make_sessionmaker, unit_of_work
from zhian.core.identity import service as identity
from zhian.core.identity.schemas import UserCreate
from zhian.core.scope import SYSTEM

SERVE = "import sys; from zhian.cli import main; sys.argv[0] = 'zhian'; main()"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _dispatcher_token(url: str) -> str:
    engine = make_engine(url)
    try:
        with unit_of_work(make_sessionmaker(engine)) as session:
            identity.create_user(
                session,
                actor=SYSTEM,
                data=UserCreate(
                    username="bench_disp",
                    role="dispatcher",
                    division="610502",
                    password="Bench-Horse-9",
                ),
                totp_roles=frozenset(),
            )
            return identity.create_token(session, actor=SYSTEM, username="bench_disp")
    finally:
        engine.dispose()


def _cpu_s(pid: int) -> float:
    """User plus system CPU seconds used so far by a process (Linux /proc)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def _wait_until_up(base: str, server: subprocess.Popen[bytes]) -> None:
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        if server.poll() is not None:
            raise RuntimeError("the server exited before it started")
        try:
            httpx.get(base + "/healthz", timeout=1.0)
            return
        except httpx.TransportError:
            time.sleep(0.1)
    raise RuntimeError("the server did not start within 30 s")


def main() -> None:
    n = int(sys.argv[1]) if len(sys.argv) > 1 else 2_000
    calls = int(sys.argv[2]) if len(sys.argv) > 2 else 500
    with tempfile.TemporaryDirectory() as tmp:
        url = f"sqlite:///{Path(tmp) / 'bench.db'}"
        incident_id, lon, lat, kinds = seed(url, n)
        token = _dispatcher_token(url)
        port = _free_port()
        env = {**os.environ, "ZHIAN_DATABASE_URL": url, "ZHIAN_BUS": "memory"}
        server = subprocess.Popen(
            [sys.executable, "-c", SERVE, "serve", "--host", "127.0.0.1", "--port", str(port)],
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        try:
            base = f"http://127.0.0.1:{port}"
            _wait_until_up(base, server)
            path = f"/api/v1/incidents/{incident_id}/recommendations"
            headers = {"Authorization": f"Bearer {token}"}
            with httpx.Client(base_url=base, headers=headers) as client:
                for _ in range(20):  # warm-up: the unit index, the connection, the caches
                    client.get(path).raise_for_status()
                samples = []
                cpu0 = _cpu_s(server.pid)
                for _ in range(calls):
                    t0 = time.perf_counter()
                    resp = client.get(path)
                    samples.append(time.perf_counter() - t0)
                    resp.raise_for_status()
                cpu_ms = (_cpu_s(server.pid) - cpu0) * 1e3 / calls
                ranked = resp.json()
        finally:
            server.terminate()
            server.wait(timeout=10)

    h50, h99 = percentiles_us(samples)
    b50, b99 = brute_force_us(lon, lat, kinds, calls * 10)
    print(f"units: {n}, calls: {calls}, answer: {len(ranked)} units, first {ranked[0]['unit_id']}")
    print(f"HTTP round trip       p50 {h50 / 1e3:9.2f} ms  p99 {h99 / 1e3:9.2f} ms  (target <= 20)")
    print(f"server CPU per call       {cpu_ms:9.2f} ms  (what a call costs the server)")
    print(f"numpy brute-force     p50 {b50 / 1e3:9.3f} ms  p99 {b99 / 1e3:9.3f} ms")
    print(f"load average (1 min): {os.getloadavg()[0]:.1f} on {os.cpu_count()} CPUs")
    print(f"HTTP / brute-force p99 ratio: {h99 / b99:.0f}x")
    print("target met" if h99 <= 20_000 else "target NOT met")


if __name__ == "__main__":
    main()

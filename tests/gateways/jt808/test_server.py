"""The JT/T 808 gateway over real TCP on 127.0.0.1, driven by the simulated terminal."""

from __future__ import annotations

import asyncio
import contextlib
import random
from collections.abc import AsyncIterator, Callable, Coroutine
from datetime import datetime, timedelta
from typing import Any, TypeVar

import pytest

from zhian.gateways.jt808.codec import (
    decode_frame,
    encode_frame,
    encode_subpackages,
    escape,
    unescape,
)
from zhian.gateways.jt808.directory import MemoryDirectory, TerminalRecord
from zhian.gateways.jt808.messages import (
    CST,
    Location,
    LocationBatch,
    decode_general_response,
    encode_body,
)
from zhian.gateways.jt808.server import Jt808Server, Limits
from zhian.sim.jt808_terminal import SimTerminal

T = TypeVar("T")
PHONE = "13800138000"
PLATE = "陕E12345"
START = datetime(2024, 5, 1, 8, 0, tzinfo=CST)


def run(coro: Coroutine[Any, Any, T], timeout: float = 30.0) -> T:
    """Run a test coroutine with a hard upper bound, so a hang fails instead of stalling."""
    return asyncio.run(asyncio.wait_for(coro, timeout))


def route(n: int, *, start: datetime = START) -> list[tuple[float, float, float, datetime]]:
    """``n`` points heading north-east from Weinan at 36 km/h, one per second."""
    return [
        (109.5 + i * 1e-4, 34.5 + i * 1e-4, 36.0, start + timedelta(seconds=i)) for i in range(n)
    ]


class Bus:
    """Records what the gateway publishes; can be told to fail."""

    def __init__(self) -> None:
        self.events: list[tuple[str, dict[str, Any], str]] = []
        self.fail = False

    async def publish(self, subject: str, data: dict[str, Any], event_id: str) -> None:
        if self.fail:
            raise RuntimeError("bus down")
        self.events.append((subject, data, event_id))

    def of(self, subject: str) -> list[tuple[str, dict[str, Any], str]]:
        return [e for e in self.events if e[0] == subject]


@contextlib.asynccontextmanager
async def gateway(
    directory: MemoryDirectory | None = None, limits: Limits | None = None
) -> AsyncIterator[tuple[Jt808Server, Bus]]:
    bus = Bus()
    if directory is None:
        directory = MemoryDirectory([TerminalRecord(PHONE, plate=PLATE)])
    server = Jt808Server(directory, bus.publish, limits=limits)
    await server.start("127.0.0.1", 0)
    try:
        yield server, bus
    finally:
        await server.close()


async def connected(server: Jt808Server, phone: str = PHONE, version: int = 2013) -> SimTerminal:
    terminal = SimTerminal(phone, plate=PLATE, version=version, timeout=5.0)
    await terminal.connect("127.0.0.1", server.port)
    return terminal


async def eventually(check: Callable[[], bool], timeout: float = 5.0) -> None:
    """Poll a zero-argument callable until it is true, within ``timeout``."""

    async def poll() -> None:
        while not check():
            await asyncio.sleep(0.01)

    await asyncio.wait_for(poll(), timeout)


async def closed_by_peer(read: asyncio.Future[bytes]) -> bool:
    """Whether a pending read ends in EOF or a reset (a close with unread data) within 5 s."""
    try:
        return await asyncio.wait_for(read, 5.0) == b""
    except ConnectionResetError:
        return True


@pytest.mark.parametrize("version", [2013, 2019])
def test_register_authenticate_locate(version: int) -> None:
    async def scenario() -> None:
        async with gateway() as (server, bus):
            t = await connected(server, "0" + PHONE if version == 2013 else PHONE, version)
            assert await t.run(route(3)) == [0, 0, 0]
            online = bus.of("jt808.terminal.online")
            assert [e[1]["phone"] for e in online] == [PHONE]
            positions = bus.of("jt808.position")
            assert len(positions) == 3
            first = positions[0][1]
            assert first["phone"] == PHONE and first["plate"] == PLATE
            assert first["version"] == version
            assert first["time"] == "2024-05-01T00:00:00+00:00"  # 08:00 in GMT+8
            assert (first["lat"], first["lon"], first["speed_kmh"]) == (34.5, 109.5, 36.0)
            assert 0 < first["heading"] < 90
            assert first["status_flags"]["positioned"] and first["alarms"] == []
            assert len({e[2] for e in positions}) == 3

            # The platform answers in the terminal's own header version.
            serial = await t.send(0x0002)
            reply = await t.reply_to(serial, 0x8001)
            assert reply.header.version == version

            # A retransmitted fix publishes under the same event id, so the bus dedupes it.
            lon, lat, speed, when = route(1)[0]
            assert await t.locate(lon, lat, speed, when, heading=first["heading"]) == 0
            assert bus.of("jt808.position")[-1][2] == positions[0][2]

            assert await t.logout() == 0
            offline = bus.of("jt808.terminal.offline")
            assert [e[1]["reason"] for e in offline] == ["logout"]
            assert await t.locate(lon, lat, speed, when) == 1  # no longer authenticated
            await t.close()
            assert server.counters.positions_published == 4
            assert server.counters.dropped_bad_checksum == 0

    run(scenario())


def test_location_before_authentication_is_not_published() -> None:
    async def scenario() -> None:
        async with gateway() as (server, bus):
            t = await connected(server)
            assert await t.register() == 0
            assert await t.locate(109.5, 34.5, 10.0, START) == 1
            assert bus.of("jt808.position") == []
            assert server.counters.positions_unauthenticated == 1
            code = t.auth_code
            t.auth_code = "wrong"
            assert await t.authenticate() == 1
            assert await t.locate(109.5, 34.5, 10.0, START) == 1
            t.auth_code = code
            assert await t.authenticate() == 0
            assert await t.locate(109.5, 34.5, 10.0, START) == 0
            assert len(bus.of("jt808.position")) == 1
            await t.close()

    run(scenario())


def test_unprovisioned_terminal_gets_result_4() -> None:
    async def scenario() -> None:
        async with gateway() as (server, bus):
            t = await connected(server, phone="13900000000")
            serial = await t.send(0x0100, b"\x00" * 37 + PLATE.encode("gbk"))
            reply = await t.reply_to(serial, 0x8100)
            assert reply.body == serial.to_bytes(2, "big") + b"\x04"  # result 4, no auth code
            assert await t.authenticate() == 1
            assert bus.events == []
            await t.close()

    run(scenario())


def test_bad_frames_are_dropped_and_counted_and_the_connection_survives() -> None:
    async def scenario() -> None:
        async with gateway() as (server, bus):
            t = await connected(server)
            await t.run([])
            loc = Location(0, 3, 34.5, 109.5, 0, 20.0, 0, START)
            good = encode_frame(0x0200, PHONE, 500, encode_body(loc))
            content = bytearray(unescape(good[1:-1]))
            content[-1] ^= 0x01  # the check code
            bad_checksum = b"\x7e" + escape(bytes(content)) + b"\x7e"
            wrong_length = good[:10] + good[11:]
            await t.send_raw(bad_checksum + b"noise between frames" + wrong_length)
            assert await t.heartbeat() == 0
            c = server.counters
            assert c.dropped_bad_checksum == 1
            # Noise between two delimiters is a candidate frame that fails to decode.
            assert c.dropped_malformed == 2
            # Bytes before any delimiter are skipped as garbage, on a connection of their own.
            _, other = await asyncio.open_connection("127.0.0.1", server.port)
            other.write(b"no delimiter here")
            await eventually(lambda: c.garbage_bytes == len(b"no delimiter here"))
            other.close()
            assert bus.of("jt808.position") == []
            assert await t.locate(109.5, 34.5, 20.0, START) == 0
            assert len(bus.of("jt808.position")) == 1
            await t.close()

    run(scenario())


def test_unsupported_message_gets_result_3() -> None:
    async def scenario() -> None:
        async with gateway() as (server, _):
            t = await connected(server)
            assert await t.request(0x0900, b"\xf0transparent") == 3
            assert await t.request(0x0F00) == 3
            assert server.counters.unsupported == 2
            assert await t.heartbeat() == 0
            await t.close()

    run(scenario())


def test_idle_connections_time_out() -> None:
    async def scenario() -> None:
        async with gateway(limits=Limits(idle_timeout=0.3)) as (server, _):
            reader, writer = await asyncio.open_connection("127.0.0.1", server.port)
            assert await closed_by_peer(asyncio.ensure_future(reader.read(100)))
            # Garbage is not a sign of life: a peer sending only noise is closed as well.
            reader, noisy = await asyncio.open_connection("127.0.0.1", server.port)
            closed = asyncio.ensure_future(reader.read(100))
            with contextlib.suppress(OSError):
                while not closed.done():
                    noisy.write(b"\x01\x02\x03")
                    await asyncio.sleep(0.05)
            assert await closed_by_peer(closed)
            assert server.counters.idle_timeouts == 2
            writer.close()
            noisy.close()

    run(scenario())


def test_a_garbage_spewing_peer_does_not_starve_another_terminal() -> None:
    async def spew(port: int, stop: asyncio.Event) -> int:
        rng = random.Random(7)
        _, writer = await asyncio.open_connection("127.0.0.1", port)
        sent = 0
        try:
            while not stop.is_set():
                chunk = bytearray(rng.randbytes(65536))
                for i in range(0, len(chunk), 97):  # plenty of candidate "frames"
                    chunk[i] = 0x7E
                writer.write(bytes(chunk))
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(writer.drain(), 0.2)
                sent += len(chunk)
                await asyncio.sleep(0)
        except OSError:
            pass
        finally:
            writer.close()
        return sent

    async def scenario() -> None:
        limits = Limits(bytes_per_second=256 * 1024, frames_per_second=500, frame_burst=500)
        async with gateway(limits=limits) as (server, bus):
            stop = asyncio.Event()
            noisy = asyncio.ensure_future(spew(server.port, stop))
            await eventually(lambda: server.counters.dropped_malformed > 0)
            t = await connected(server)
            assert await t.run(route(30)) == [0] * 30
            stop.set()
            assert await asyncio.wait_for(noisy, 5.0) > 0
            assert len(bus.of("jt808.position")) == 30
            assert server.counters.throttled > 0
            await t.close()

    run(scenario())


def test_publish_failure_answers_failure_so_the_terminal_resends() -> None:
    async def scenario() -> None:
        async with gateway() as (server, bus):
            t = await connected(server)
            await t.run([])
            bus.fail = True
            assert await t.locate(109.5, 34.5, 10.0, START) == 1
            assert server.counters.publish_failures == 1
            bus.fail = False
            assert await t.locate(109.5, 34.5, 10.0, START) == 0
            assert len(bus.of("jt808.position")) == 1
            await t.close()

    run(scenario())


def test_subpackaged_blind_area_batch_is_reassembled() -> None:
    async def scenario() -> None:
        async with gateway() as (server, bus):
            t = await connected(server)
            await t.run([])
            points = route(45)
            locs = tuple(Location(0, 3, lat, lon, 0, s, 0, w) for lon, lat, s, w in points)
            body = encode_body(LocationBatch(1, locs))
            assert len(body) > 1023
            frames = encode_subpackages(0x0704, PHONE, 900, body, size=500)
            for frame in frames[:-1]:
                await t.send_raw(frame)
                serial = decode_frame(frame).header.serial
                ack = await t.reply_to(serial, 0x8001)
                assert decode_general_response(ack.body).result == 0
            assert bus.of("jt808.position") == []
            await t.send_raw(frames[-1])
            last = await t.reply_to(decode_frame(frames[-1]).header.serial, 0x8001)
            assert decode_general_response(last.body).result == 0
            positions = bus.of("jt808.position")
            assert len(positions) == 45
            assert all(e[1]["blind_area"] for e in positions)
            await t.close()

    run(scenario())


def test_close_publishes_offline_for_connected_terminals() -> None:
    async def scenario() -> None:
        bus_seen: list[str] = []
        async with gateway() as (server, bus):
            t = await connected(server)
            await t.run(route(1))
            await server.close()
            bus_seen = [e[1]["reason"] for e in bus.of("jt808.terminal.offline")]
            assert await asyncio.wait_for(t.next_frame(5.0), 5.0) is None
            await t.close()
        assert bus_seen == ["server_shutdown"]

    run(scenario())

"""The JT/T 808 gateway: an asyncio TCP server that answers terminals and publishes positions.

Per connection a small state machine: ``unregistered`` → ``registered`` (0x0100 answered with
0x8100 result 0) → ``authenticated`` (0x0102 accepted). Only an authenticated terminal's
0x0200/0x0704 positions are published; earlier ones are answered with result 1 (failure), so
the terminal knows to authenticate and resend.

Bad input never ends a connection: a frame with a wrong check code, a wrong length or garbage
between frames is dropped and counted. Each connection reads through a byte and a frame token
bucket, so a noisy peer is slowed by TCP backpressure instead of starving the others, and a
connection with no valid frame for ``idle_timeout`` seconds is closed.

Events (through the injected ``publish(subject, data, event_id)``):
``jt808.position`` (see :func:`~zhian.gateways.jt808.normalize.position_event`),
``jt808.terminal.online`` and ``jt808.terminal.offline``.

Commands to terminals (0x8203 manual alarm confirmation) go through ``downlink``, which
knows the authenticated connections and matches the terminals' 0x0001 answers.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import Awaitable, Callable
from dataclasses import asdict, dataclass, replace
from datetime import UTC, datetime
from typing import Any

from zhian.gateways.jt808.codec import (
    CodecError,
    Frame,
    FrameSplitter,
    Header,
    Reassembler,
    decode_frame,
    encode_frame,
)
from zhian.gateways.jt808.directory import TerminalDirectory, terminal_key
from zhian.gateways.jt808.downlink import Downlink, Outcome
from zhian.gateways.jt808.messages import (
    ALARM_CONFIRMATION,
    AUTHENTICATE,
    HEARTBEAT,
    LOCATION,
    LOCATION_BATCH,
    LOGOUT,
    PLATFORM_RESPONSE,
    REG_OK,
    REG_TERMINAL_UNKNOWN,
    REGISTER,
    REGISTER_RESPONSE,
    RESULT_FAILURE,
    RESULT_MESSAGE_ERROR,
    RESULT_OK,
    RESULT_UNSUPPORTED,
    TERMINAL_RESPONSE,
    AlarmConfirmation,
    Authenticate,
    GeneralResponse,
    Location,
    LocationBatch,
    Register,
    RegisterResponse,
    decode_body,
    encode_body,
)
from zhian.gateways.jt808.normalize import position_event, position_event_id

log = logging.getLogger(__name__)

Publish = Callable[[str, dict[str, Any], str], Awaitable[None]]
SUBJECT_POSITION = "jt808.position"
SUBJECT_ONLINE = "jt808.terminal.online"
SUBJECT_OFFLINE = "jt808.terminal.offline"
SUPPORTED = frozenset(
    {TERMINAL_RESPONSE, HEARTBEAT, LOGOUT, REGISTER, AUTHENTICATE, LOCATION, LOCATION_BATCH}
)


@dataclass
class Counters:
    """What the gateway has seen since it started."""

    connections: int = 0
    frames_ok: int = 0
    dropped_bad_checksum: int = 0
    dropped_malformed: int = 0
    garbage_bytes: int = 0
    bad_bodies: int = 0
    unsupported: int = 0
    positions_published: int = 0
    positions_unauthenticated: int = 0
    publish_failures: int = 0
    throttled: int = 0
    idle_timeouts: int = 0

    def as_dict(self) -> dict[str, int]:
        """The counters as a plain dict (for a status page or a log line)."""
        return asdict(self)


@dataclass(frozen=True)
class Limits:
    """Per-connection guards; the defaults suit real terminals with a wide margin."""

    idle_timeout: float = 180.0
    bytes_per_second: float = 64 * 1024
    frames_per_second: float = 200.0
    frame_burst: int = 400
    read_size: int = 4096
    write_timeout: float = 10.0


class _Bucket:
    """A token bucket: ``delay`` says how long to wait before spending ``cost``."""

    def __init__(self, rate: float, burst: float, clock: Callable[[], float]) -> None:
        self.rate, self.burst, self.clock = rate, burst, clock
        self.tokens, self.stamp = burst, clock()

    def delay(self, cost: float) -> float:
        """Spend ``cost`` tokens; return the seconds to wait until the balance is positive."""
        now = self.clock()
        self.tokens = min(self.burst, self.tokens + (now - self.stamp) * self.rate)
        self.stamp = now
        self.tokens -= cost
        return 0.0 if self.tokens >= 0 else -self.tokens / self.rate


class Jt808Server:
    """The gateway: ``await start(host, port)``, read ``port`` and ``counters``, ``close()``."""

    def __init__(
        self,
        directory: TerminalDirectory,
        publish: Publish,
        *,
        limits: Limits | None = None,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.directory = directory
        self.publish = publish
        self.limits = limits or Limits()
        self.clock = clock
        self.counters = Counters()
        self._server: asyncio.Server | None = None
        self._tasks: set[asyncio.Task[None]] = set()
        self.downlink = Downlink()

    @property
    def port(self) -> int:
        """The bound port (useful after ``start(port=0)``)."""
        if self._server is None or not self._server.sockets:
            raise RuntimeError("server not started")
        return int(self._server.sockets[0].getsockname()[1])

    async def start(self, host: str = "0.0.0.0", port: int = 808) -> None:
        """Listen for terminals."""
        self._server = await asyncio.start_server(self._accept, host, port)

    async def close(self) -> None:
        """Stop listening, end every connection (publishing their offline events), and wait."""
        if self._server is not None:
            self._server.close()
        for task in list(self._tasks):
            task.cancel()
        if self._tasks:
            await asyncio.gather(*self._tasks, return_exceptions=True)
        if self._server is not None:
            await self._server.wait_closed()
            self._server = None

    async def _accept(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        task = asyncio.current_task()
        assert task is not None
        self._tasks.add(task)
        self.counters.connections += 1
        session = _Session(self, reader, writer)
        try:
            await session.run()
        except asyncio.CancelledError:
            session.reason = "server_shutdown"
        except (ConnectionError, OSError) as exc:
            session.reason = f"connection_error: {exc.__class__.__name__}"
        finally:
            self._tasks.discard(task)
            await session.finish()

    async def confirm_alarm(
        self, phone: str, alarm_types: int, *, alarm_serial: int = 0, timeout: float = 5.0
    ) -> Outcome:
        """Send 0x8203 (``alarm_serial`` 0: every message with these bits) and await 0x0001."""
        body = encode_body(AlarmConfirmation(alarm_serial, alarm_types))
        return await self.downlink.command(terminal_key(phone), ALARM_CONFIRMATION, body, timeout)

    async def emit(self, subject: str, data: dict[str, Any], event_id: str) -> bool:
        """Publish one event; a failure is logged and counted, never raised to the terminal."""
        try:
            await self.publish(subject, data, event_id)
        except Exception:
            self.counters.publish_failures += 1
            log.exception("jt808: publishing %s %s failed", subject, event_id)
            return False
        return True


class _Session:
    """One terminal connection."""

    def __init__(
        self,
        server: Jt808Server,
        reader: asyncio.StreamReader,
        writer: asyncio.StreamWriter,
    ) -> None:
        self.server, self.reader, self.writer = server, reader, writer
        limits, clock = server.limits, server.clock
        self.splitter = FrameSplitter()
        self.reassembler = Reassembler()
        self.bytes_bucket = _Bucket(limits.bytes_per_second, limits.bytes_per_second, clock)
        self.frame_bucket = _Bucket(limits.frames_per_second, limits.frame_burst, clock)
        self.state = "unregistered"
        self.phone: str | None = None
        self.plate: str | None = None
        self.serial = 0
        self.link_head: Header | None = None  # the authenticated terminal's header, for commands
        self.last_valid = clock()
        self.reason = "closed"
        self.pending: list[bytes] = []  # answers not yet written

    async def run(self) -> None:
        """Read, split and handle frames until the peer leaves or goes quiet."""
        c, limits = self.server.counters, self.server.limits
        while True:
            # Only a valid frame resets the idle clock: a peer sending garbage is not alive.
            remaining = self.last_valid + limits.idle_timeout - self.server.clock()
            try:
                # A timeout context, not wait_for: that wraps every read in a task of its own.
                async with asyncio.timeout(remaining):
                    chunk = await self.reader.read(limits.read_size)
            except TimeoutError:
                c.idle_timeouts += 1
                self.reason = "idle_timeout"
                return
            if not chunk:
                return
            await self._pace(self.bytes_bucket, len(chunk))
            garbage = self.splitter.garbage_bytes
            for raw in self.splitter.feed(chunk):
                await self._pace(self.frame_bucket, 1)
                await self._on_raw(raw)
            await self._flush()
            c.garbage_bytes += self.splitter.garbage_bytes - garbage
            # Hand the loop to other connections between chunks, even if more data is ready.
            await asyncio.sleep(0)

    async def _pace(self, bucket: _Bucket, cost: float) -> None:
        wait = bucket.delay(cost)
        if wait > 0:
            self.server.counters.throttled += 1
            await self._flush()  # the answers so far do not wait for the throttle
            await asyncio.sleep(wait)

    async def _on_raw(self, raw: bytes) -> None:
        c = self.server.counters
        try:
            frame = decode_frame(raw)
        except CodecError:
            c.dropped_malformed += 1
            return
        if not frame.checksum_ok:
            c.dropped_bad_checksum += 1
            return
        c.frames_ok += 1
        self.last_valid = self.server.clock()
        head = frame.header
        if head.subpackage:
            try:
                whole = self.reassembler.feed(frame, self.last_valid)
            except CodecError:
                c.bad_bodies += 1
                await self._general(head, RESULT_MESSAGE_ERROR)
                return
            if whole is None:
                await self._general(head, RESULT_OK)
                return
            # Answer the whole message under the serial of the package that completed it.
            frame = Frame(replace(whole.header, serial=head.serial), whole.body, True)
        await self._dispatch(frame)

    async def _dispatch(self, frame: Frame) -> None:
        c, head = self.server.counters, frame.header
        if head.msg_id not in SUPPORTED or head.encryption:
            c.unsupported += 1
            await self._general(head, RESULT_UNSUPPORTED)
            return
        try:
            message = decode_body(head.msg_id, frame.body, head.version)
        except CodecError as exc:
            c.bad_bodies += 1
            log.info("jt808: bad 0x%04x body from %s: %s", head.msg_id, head.phone, exc)
            await self._general(head, RESULT_MESSAGE_ERROR)
            return
        try:
            await self._handle(head, message)
        except OSError:
            raise  # the socket is gone (or will not drain): end the session
        except Exception:
            # A failing directory must not take the connection down; the terminal retries.
            log.exception("jt808: handling 0x%04x from %s failed", head.msg_id, head.phone)
            await self._general(head, RESULT_FAILURE)

    async def _handle(self, head: Header, message: object) -> None:
        phone = terminal_key(head.phone)
        directory = self.server.directory
        if isinstance(message, Register):
            result, code = REG_TERMINAL_UNKNOWN, None
            if await directory.lookup(phone) is not None:
                result, code = await directory.register(phone, message)
            if result == REG_OK and self.state == "unregistered":
                self.state = "registered"
            reply = RegisterResponse(head.serial, result, code if result == REG_OK else None)
            await self._send(REGISTER_RESPONSE, head, encode_body(reply))
        elif isinstance(message, Authenticate):
            if await directory.authenticate(phone, message.auth_code):
                await self._authenticated(phone, head)
                await self._general(head, RESULT_OK)
            else:
                await self._general(head, RESULT_FAILURE)
        elif head.msg_id == LOGOUT:
            # Only the authenticated terminal may give up its own registration.
            if not self._is_authenticated(phone):
                await self._general(head, RESULT_FAILURE)
                return
            self.reason = "logout"
            await self._offline()
            await directory.unregister(phone)
            await self._general(head, RESULT_OK)
        elif isinstance(message, Location | LocationBatch):
            await self._positions(phone, head, message)
        elif head.msg_id == HEARTBEAT:
            await self._general(head, RESULT_OK)
        elif isinstance(message, GeneralResponse) and self._is_authenticated(phone):
            # The terminal answering one of our commands; the answer itself needs no answer.
            self.server.downlink.answered(phone, self, message)

    def _is_authenticated(self, phone: str) -> bool:
        return self.state == "authenticated" and self.phone == phone

    async def _authenticated(self, phone: str, head: Header) -> None:
        if self.state == "authenticated" and self.phone != phone:
            await self._offline()
        was = self._is_authenticated(phone)
        self.state, self.phone = "authenticated", phone
        self._attach_downlink(phone, head)
        record = await self.server.directory.lookup(phone)
        self.plate = record.plate if record is not None else None
        if not was:
            data = {"phone": phone, "version": head.version, "plate": self.plate, "time": _now()}
            await self.server.emit(SUBJECT_ONLINE, data, f"jt808-online-{phone}-{_stamp()}")

    async def _positions(self, phone: str, head: Header, msg: Location | LocationBatch) -> None:
        c = self.server.counters
        items = msg.items if isinstance(msg, LocationBatch) else (msg,)
        if not self._is_authenticated(phone):
            c.positions_unauthenticated += len(items)
            await self._general(head, RESULT_FAILURE)
            return
        batch = msg.kind if isinstance(msg, LocationBatch) else None
        ok = True
        for loc in items:
            data = position_event(phone, loc, version=head.version, serial=head.serial, batch=batch)
            data["plate"] = self.plate
            if await self.server.emit(SUBJECT_POSITION, data, position_event_id(phone, loc)):
                c.positions_published += 1
            else:
                ok = False
        # Answer failure if any position did not reach the bus: the terminal resends them all,
        # and the deterministic event ids make the ones already published harmless.
        await self._general(head, RESULT_OK if ok else RESULT_FAILURE)

    async def _offline(self) -> None:
        if self.state != "authenticated" or self.phone is None:
            return
        phone, self.state = self.phone, "unregistered"
        self.server.downlink.detach(phone, self)
        data = {"phone": phone, "plate": self.plate, "reason": self.reason, "time": _now()}
        await self.server.emit(SUBJECT_OFFLINE, data, f"jt808-offline-{phone}-{_stamp()}")

    def _attach_downlink(self, phone: str, head: Header) -> None:
        self.link_head = head
        self.server.downlink.attach(phone, self)

    def next_serial(self) -> int:
        """Take the next platform serial of this connection (the downlink's ``Link``)."""
        serial, self.serial = self.serial, (self.serial + 1) & 0xFFFF
        return serial

    async def command(self, msg_id: int, body: bytes, serial: int) -> None:
        """Write a platform command under ``serial``, framed as the terminal frames to us."""
        head = self.link_head
        if head is None:
            raise ConnectionError("terminal not authenticated on this connection")
        frame = encode_frame(
            msg_id,
            head.phone,
            serial,
            body,
            version=head.version,
            protocol_version=head.protocol_version or 1,
        )
        self.writer.write(frame)
        await asyncio.wait_for(self.writer.drain(), self.server.limits.write_timeout)

    async def _general(self, head: Header, result: int) -> None:
        body = encode_body(GeneralResponse(head.serial, head.msg_id, result))
        await self._send(PLATFORM_RESPONSE, head, body)

    async def _send(self, msg_id: int, head: Header, body: bytes) -> None:
        serial, self.serial = self.serial, (self.serial + 1) & 0xFFFF
        frame = encode_frame(
            msg_id,
            head.phone,
            serial,
            body,
            version=head.version,
            protocol_version=head.protocol_version or 1,
        )
        # Sent with the other answers to the same chunk: a terminal that pipelines its
        # reports gets one write (one system call) for them, not one per frame.
        self.pending.append(frame)

    async def _flush(self) -> None:
        if not self.pending:
            return
        self.writer.write(b"".join(self.pending))
        self.pending.clear()
        transport = self.writer.transport
        if transport.get_write_buffer_size() > transport.get_write_buffer_limits()[0]:
            # A peer that never reads would otherwise grow our write buffer without bound.
            await asyncio.wait_for(self.writer.drain(), self.server.limits.write_timeout)
        else:
            # At or under the low-water mark writing is never paused: this returns at once
            # (raising if the connection is gone) and needs no timeout task of its own.
            await self.writer.drain()

    async def finish(self) -> None:
        """Publish the offline event if needed and close the socket."""
        with contextlib.suppress(Exception):
            await self._offline()
        self.writer.close()
        with contextlib.suppress(Exception):
            await asyncio.wait_for(self.writer.wait_closed(), 1.0)


def _now() -> str:
    return datetime.now(UTC).isoformat()


def _stamp() -> str:
    return datetime.now(UTC).strftime("%Y%m%dT%H%M%S%f")

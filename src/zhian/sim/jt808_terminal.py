"""A simulated JT/T 808 vehicle terminal that speaks the real protocol to the gateway.

It connects, registers (unless it already holds an auth code), authenticates, then reports
a route of ``(lon, lat, speed_kmh, time)`` points as 0x0200 locations, with heartbeats in
between if asked. Heading comes from the bearing between successive points. Every wait is
bounded by ``timeout``.

Like a real terminal it latches the emergency alarm (bit 0) once the button is pressed
(:meth:`SimTerminal.press_emergency`) and keeps reporting it until the platform confirms it
with 0x8203, which it answers with a 0x0001 general response while reading any reply.

    terminal = SimTerminal("13800138000", plate="陕E12345")
    await terminal.connect("127.0.0.1", port)
    results = await terminal.run(points)
    await terminal.close()
"""

from __future__ import annotations

import asyncio
import contextlib
import math
from collections.abc import Sequence
from dataclasses import replace
from datetime import datetime

from zhian.gateways.jt808.codec import (
    CodecError,
    Frame,
    FrameSplitter,
    Header,
    decode_frame,
    encode_frame,
)
from zhian.gateways.jt808.messages import (
    ALARM_CONFIRMATION,
    AUTHENTICATE,
    BATCH_BLIND_AREA,
    BATCH_NORMAL,
    HEARTBEAT,
    LOCATION,
    LOCATION_BATCH,
    LOGOUT,
    PLATFORM_RESPONSE,
    REG_OK,
    REGISTER,
    REGISTER_RESPONSE,
    RESULT_OK,
    TERMINAL_RESPONSE,
    AlarmConfirmation,
    Authenticate,
    ExtraValue,
    GeneralResponse,
    Location,
    LocationBatch,
    Register,
    decode_alarm_confirmation,
    decode_general_response,
    decode_register_response,
    encode_body,
)

Point = tuple[float, float, float, datetime]
# Status bits a moving, fixed terminal reports: ACC on, positioned, GPS and BeiDou in use.
DEFAULT_STATUS = 0b1 | 0b10 | 1 << 18 | 1 << 19
EMERGENCY = 1 << 0


def bearing(lon1: float, lat1: float, lon2: float, lat2: float) -> int:
    """Initial great-circle bearing from the first point to the second, whole degrees 0-359."""
    p1, p2 = math.radians(lat1), math.radians(lat2)
    dl = math.radians(lon2 - lon1)
    x = math.sin(dl) * math.cos(p2)
    y = math.cos(p1) * math.sin(p2) - math.sin(p1) * math.cos(p2) * math.cos(dl)
    return round(math.degrees(math.atan2(x, y))) % 360


def locations(points: Sequence[Point], status: int = DEFAULT_STATUS) -> list[Location]:
    """Turn route points into 0x0200 bodies, with headings from successive points."""
    out: list[Location] = []
    heading = 0
    for i, (lon, lat, speed, when) in enumerate(points):
        if i + 1 < len(points):
            nlon, nlat = points[i + 1][0], points[i + 1][1]
            if (nlon, nlat) != (lon, lat):
                heading = bearing(lon, lat, nlon, nlat)
        out.append(Location(0, status, lat, lon, 0, speed, heading, when, {}))
    return out


class SimTerminal:
    """One simulated terminal over one TCP connection."""

    def __init__(
        self,
        phone: str,
        *,
        plate: str,
        plate_color: int = 2,
        version: int = 2013,
        auth_code: str | None = None,
        timeout: float = 5.0,
        terminal_id: str = "SIM0001",
        command_result: int | None = RESULT_OK,
    ) -> None:
        self.phone, self.plate, self.version = phone, plate, version
        self.plate_color = plate_color  # JT/T 697.7: 2 yellow (goods vehicles), 4 white (police)
        self.auth_code = auth_code
        self.timeout = timeout
        self.terminal_id = terminal_id
        self.serial = 0
        self._reader: asyncio.StreamReader | None = None
        self._writer: asyncio.StreamWriter | None = None
        self._splitter = FrameSplitter()
        self._frames: list[Frame] = []
        # The latched alarm bits: reported with every fix until the platform confirms them.
        self.alarm = 0
        # What this terminal answers to 0x8203 (``None``: it stays silent, as a broken one).
        self.command_result = command_result
        self.confirmations: list[AlarmConfirmation] = []
        self.last_command: Header | None = None

    async def connect(self, host: str, port: int) -> None:
        """Open the TCP connection."""
        self._reader, self._writer = await asyncio.wait_for(
            asyncio.open_connection(host, port), self.timeout
        )

    async def close(self) -> None:
        """Close the connection."""
        if self._writer is not None:
            self._writer.close()
            with contextlib.suppress(OSError):  # TimeoutError is an OSError
                await asyncio.wait_for(self._writer.wait_closed(), self.timeout)
            self._writer = None

    async def send_raw(self, data: bytes) -> None:
        """Write bytes as they are (for tests that send broken frames)."""
        if self._writer is None:
            raise RuntimeError("not connected")
        self._writer.write(data)
        await asyncio.wait_for(self._writer.drain(), self.timeout)

    async def send(self, msg_id: int, body: bytes = b"") -> int:
        """Send one message and return the serial it used."""
        serial, self.serial = self.serial, (self.serial + 1) & 0xFFFF
        await self.send_raw(encode_frame(msg_id, self.phone, serial, body, version=self.version))
        return serial

    async def next_frame(self, timeout: float | None = None) -> Frame | None:
        """The next frame from the platform, or ``None`` once the connection is closed."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + (self.timeout if timeout is None else timeout)
        while not self._frames:
            if not await self._read(deadline):
                return None
        return self._frames.pop(0)

    async def listen(self, seconds: float) -> bool:
        """Read for up to ``seconds``, answering the platform's commands as they come (a real
        terminal reads all the time, not only when it awaits a reply); ``False`` at EOF."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + seconds
        with contextlib.suppress(TimeoutError):
            while loop.time() < deadline:
                if not await self._read(deadline):
                    return False
        return True

    async def _read(self, deadline: float) -> bool:
        """Read one chunk: answer the platform's commands, queue its replies; ``False`` at EOF."""
        if self._reader is None:
            raise RuntimeError("not connected")
        remaining = deadline - asyncio.get_running_loop().time()
        chunk = await asyncio.wait_for(self._reader.read(4096), remaining)
        if not chunk:
            return False
        for raw in self._splitter.feed(chunk):
            try:
                frame = decode_frame(raw)
            except CodecError:
                continue
            if frame.header.msg_id == ALARM_CONFIRMATION:
                await self._on_confirmation(frame)
            else:
                self._frames.append(frame)
        return True

    def _latched(self, fixes: list[Location]) -> list[Location]:
        return [replace(loc, alarm=loc.alarm | self.alarm) for loc in fixes]

    def press_emergency(self) -> None:
        """The driver presses the emergency button: bit 0 until the platform confirms it."""
        self.alarm |= EMERGENCY

    async def _on_confirmation(self, frame: Frame) -> None:
        try:
            confirm = decode_alarm_confirmation(frame.body)
        except CodecError:
            return
        self.confirmations.append(confirm)
        self.last_command = frame.header
        if self.command_result is None:
            return
        if self.command_result == RESULT_OK:
            self.alarm &= ~confirm.alarm_types
        answer = GeneralResponse(frame.header.serial, ALARM_CONFIRMATION, self.command_result)
        await self.send(TERMINAL_RESPONSE, encode_body(answer))

    async def wait_confirmation(self, timeout: float | None = None) -> AlarmConfirmation:
        """Read (answering commands) until the platform's next 0x8203 has arrived."""
        seen = len(self.confirmations)
        loop = asyncio.get_running_loop()
        deadline = loop.time() + (self.timeout if timeout is None else timeout)
        while len(self.confirmations) == seen:
            if not await self._read(deadline):
                raise ConnectionError("platform closed the connection")
        return self.confirmations[seen]

    async def reply_to(self, serial: int, msg_id: int) -> Frame:
        """Wait for the platform's answer (``msg_id``) to our message ``serial``."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + self.timeout
        while True:
            frame = await self.next_frame(deadline - loop.time())
            if frame is None:
                raise ConnectionError("platform closed the connection")
            if frame.header.msg_id == msg_id and frame.body[:2] == serial.to_bytes(2, "big"):
                return frame

    async def request(self, msg_id: int, body: bytes = b"") -> int:
        """Send a message and return the result of the platform's general response."""
        serial = await self.send(msg_id, body)
        frame = await self.reply_to(serial, PLATFORM_RESPONSE)
        return decode_general_response(frame.body).result

    async def register(self, province_id: int = 61, city_id: int = 500) -> int:
        """Send 0x0100; keep the auth code on success and return the 0x8100 result."""
        body = encode_body(
            Register(
                province_id,
                city_id,
                "ZHIAN",
                "SIM808",
                self.terminal_id,
                self.plate_color,
                self.plate,
            ),
            self.version,
        )
        serial = await self.send(REGISTER, body)
        reply = decode_register_response((await self.reply_to(serial, REGISTER_RESPONSE)).body)
        if reply.result == REG_OK:
            self.auth_code = reply.auth_code
        return reply.result

    async def authenticate(self) -> int:
        """Send 0x0102 with the auth code held; return the 0x8001 result."""
        auth = Authenticate(self.auth_code or "", "860000000000001", "zhian-sim-1.0")
        return await self.request(AUTHENTICATE, encode_body(auth, self.version))

    async def locate(
        self,
        lon: float,
        lat: float,
        speed_kmh: float,
        when: datetime,
        *,
        heading: int = 0,
        alarm: int = 0,
        status: int = DEFAULT_STATUS,
        extras: dict[int, ExtraValue] | None = None,
    ) -> int:
        """Send one 0x0200 location (with the latched alarm bits); return the 0x8001 result."""
        loc = Location(
            alarm | self.alarm, status, lat, lon, 0, speed_kmh, heading, when, extras or {}
        )
        return await self.request(LOCATION, encode_body(loc))

    async def send_batch(self, points: Sequence[Point], *, blind_area: bool = False) -> int:
        """Send points as one 0x0704 batch; return the 0x8001 result."""
        kind = BATCH_BLIND_AREA if blind_area else BATCH_NORMAL
        body = encode_body(LocationBatch(kind, tuple(self._latched(locations(points)))))
        return await self.request(LOCATION_BATCH, body)

    async def heartbeat(self) -> int:
        """Send 0x0002; return the 0x8001 result."""
        return await self.request(HEARTBEAT)

    async def logout(self) -> int:
        """Send 0x0003; return the 0x8001 result."""
        return await self.request(LOGOUT)

    async def run(
        self, points: Sequence[Point], *, interval: float = 0.0, heartbeat_every: int = 0
    ) -> list[int]:
        """Register if needed, authenticate, report every point; return the location results."""
        if self.auth_code is None:
            result = await self.register()
            if result != REG_OK:
                raise ConnectionError(f"registration refused with result {result}")
        result = await self.authenticate()
        if result != 0:
            raise ConnectionError(f"authentication refused with result {result}")
        results: list[int] = []
        for i, loc in enumerate(locations(points)):
            if heartbeat_every and i and i % heartbeat_every == 0:
                await self.heartbeat()
            # Latched bits as they are at sending time: a confirmation may come in between.
            (loc,) = self._latched([loc])
            results.append(await self.request(LOCATION, encode_body(loc)))
            if interval:
                await asyncio.sleep(interval)
        return results

"""JT/T 808 location bodies: 0x0200 reports and 0x0704 batches. Pure, like the codec.

0x0200 basic information, 28 bytes: alarm u32, status u32, latitude u32 and longitude u32 in
1e-6 degrees (status bit 2 south, bit 3 west), altitude u16 m, speed u16 in 1/10 km/h,
heading u16 degrees, time BCD[6] YYMMDDhhmmss in GMT+8; then additional items as
id u8, length u8, value. 0x0704: count u16, type u8 (0 normal, 1 blind-area supplement), then
per item a u16 length and a 0x0200 body.
"""

from __future__ import annotations

import math
import struct
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone

from zhian.gateways.jt808.codec import CodecError

BATCH_NORMAL, BATCH_BLIND_AREA = 0, 1
CST = timezone(timedelta(hours=8), "GMT+8")

ExtraValue = int | float | bytes

_BASIC = struct.Struct(">IIIIHHH6s")
_BATCH_HEAD = struct.Struct(">HB")
_U16 = struct.Struct(">H")
_SOUTH, _WEST = 0x4, 0x8
# BCD byte -> value; 0xFF marks a nibble above 9.
_BCD_TABLE = bytes(
    (b >> 4) * 10 + (b & 0xF) if (b >> 4) < 10 and (b & 0xF) < 10 else 0xFF for b in range(256)
)
# Additional items with a fixed numeric meaning: id -> (struct, scale). Scale 10 means the
# wire unit is a tenth (mileage 1/10 km, fuel 1/10 L, recorder speed 1/10 km/h).
_EXTRA_FORMATS: dict[int, tuple[struct.Struct, int]] = {
    0x01: (struct.Struct(">I"), 10),
    0x02: (struct.Struct(">H"), 10),
    0x03: (struct.Struct(">H"), 10),
    0x04: (struct.Struct(">H"), 1),
    0x25: (struct.Struct(">I"), 1),
    0x2A: (struct.Struct(">H"), 1),
    0x2B: (struct.Struct(">I"), 1),
    0x30: (struct.Struct(">B"), 1),
    0x31: (struct.Struct(">B"), 1),
}
# Keyed by id << 8 | length: an item whose length is not the standard one stays raw.
_EXTRA_BY_LENGTH = {k << 8 | fmt.size: (fmt, scale) for k, (fmt, scale) in _EXTRA_FORMATS.items()}


@dataclass(slots=True)
class Location:
    """0x0200 basic information (signed degrees, km/h, +08:00 time) and additional items."""

    alarm: int
    status: int
    lat: float
    lon: float
    altitude_m: int
    speed_kmh: float
    heading: int
    time: datetime
    extras: dict[int, ExtraValue] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class LocationBatch:
    """0x0704: several locations, either a normal batch or a blind-area supplement."""

    kind: int
    items: tuple[Location, ...]


def decode_time(raw: bytes) -> datetime:
    """BCD[6] YYMMDDhhmmss in GMT+8 to an aware datetime."""
    values = raw.translate(_BCD_TABLE)
    if 0xFF in values:
        raise CodecError(f"time: not BCD ({raw.hex()})")
    y, mo, d, h, mi, s = values
    try:
        return datetime(2000 + y, mo, d, h, mi, s, tzinfo=CST)
    except ValueError as exc:
        raise CodecError(f"time: {raw.hex()} is not a valid date") from exc


def encode_time(when: datetime) -> bytes:
    """An aware datetime to BCD[6] in GMT+8 (naive datetimes are taken as GMT+8)."""
    local = when.astimezone(CST) if when.tzinfo else when
    if not 2000 <= local.year <= 2099:
        raise CodecError(f"time: year {local.year} outside 2000-2099")
    return bytes.fromhex(local.strftime("%y%m%d%H%M%S"))


def _decode_extras(body: bytes, pos: int) -> dict[int, ExtraValue]:
    extras: dict[int, ExtraValue] = {}
    end = len(body)
    while pos < end:
        if pos + 2 > end:
            raise CodecError("location: truncated additional item header")
        item, length = body[pos], body[pos + 1]
        pos += 2
        stop = pos + length
        if stop > end:
            raise CodecError(f"location: additional item 0x{item:02x} overruns the body")
        known = _EXTRA_BY_LENGTH.get(item << 8 | length)
        if known is None:
            extras[item] = body[pos:stop]
        else:
            value = known[0].unpack_from(body, pos)[0]
            extras[item] = value / known[1] if known[1] != 1 else value
        pos = stop
    return extras


def decode_location(body: bytes) -> Location:
    """Decode a 0x0200 body (also one item of a 0x0704 batch)."""
    if len(body) < 28:
        raise CodecError(f"location: {len(body)} bytes, at least 28 expected")
    alarm, status, lat_raw, lon_raw, alt, speed, heading, when = _BASIC.unpack_from(body)
    lat = lat_raw / 1e6
    lon = lon_raw / 1e6
    extras = _decode_extras(body, 28) if len(body) > 28 else {}
    return Location(
        alarm,
        status,
        -lat if status & _SOUTH else lat,
        -lon if status & _WEST else lon,
        alt,
        speed / 10,
        heading,
        decode_time(when),
        extras,
    )


def encode_location(loc: Location) -> bytes:
    """Encode a location; the hemisphere status bits follow the signs of lat and lon."""
    status = loc.status & ~(_SOUTH | _WEST)
    if math.copysign(1.0, loc.lat) < 0:
        status |= _SOUTH
    if math.copysign(1.0, loc.lon) < 0:
        status |= _WEST
    try:
        head = _BASIC.pack(
            loc.alarm,
            status,
            round(abs(loc.lat) * 1e6),
            round(abs(loc.lon) * 1e6),
            loc.altitude_m,
            round(loc.speed_kmh * 10),
            loc.heading,
            encode_time(loc.time),
        )
    except struct.error as exc:
        raise CodecError(f"location: field out of range ({exc})") from exc
    parts = [head]
    for item, value in loc.extras.items():
        if isinstance(value, bytes):
            raw = value
        elif item in _EXTRA_FORMATS:
            fmt, scale = _EXTRA_FORMATS[item]
            try:
                raw = fmt.pack(round(value * scale))
            except struct.error as exc:
                raise CodecError(f"location: extra 0x{item:02x} out of range") from exc
        else:
            raise CodecError(f"location: extra 0x{item:02x} needs raw bytes")
        if not 0 <= item <= 0xFF or len(raw) > 0xFF:
            raise CodecError(f"location: extra 0x{item:02x} does not fit")
        parts.append(bytes((item, len(raw))) + raw)
    return b"".join(parts)


def decode_location_batch(body: bytes) -> LocationBatch:
    """Decode a 0x0704 body; the item count must match the items present."""
    if len(body) < 3:
        raise CodecError("batch: body shorter than its 3-byte head")
    count, kind = _BATCH_HEAD.unpack_from(body)
    items: list[Location] = []
    pos, end = 3, len(body)
    while pos < end:
        if pos + 2 > end:
            raise CodecError("batch: truncated item length")
        size = _U16.unpack_from(body, pos)[0]
        pos += 2
        if pos + size > end:
            raise CodecError("batch: item overruns the body")
        items.append(decode_location(body[pos : pos + size]))
        pos += size
    if len(items) != count:
        raise CodecError(f"batch: count says {count}, body holds {len(items)}")
    return LocationBatch(kind, tuple(items))


def encode_location_batch(batch: LocationBatch) -> bytes:
    """Encode a 0x0704 body."""
    parts = [_BATCH_HEAD.pack(len(batch.items), batch.kind & 0xFF)]
    for loc in batch.items:
        raw = encode_location(loc)
        parts.append(_U16.pack(len(raw)) + raw)
    return b"".join(parts)

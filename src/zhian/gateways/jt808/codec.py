"""JT/T 808 framing: escaping, check code, stream splitting, headers and sub-packages.

Pure code: bytes in, typed values out, and back. No I/O, no clock (callers pass ``now``).

Wire layout (JT/T 808-2013 §4.4, 2019 §4.4)::

    0x7e | header | body | check code | 0x7e      (0x7e -> 7d 02, 0x7d -> 7d 01 inside)

    header 2013: msg id u16, attributes u16, phone BCD[6],  serial u16 [, total u16, index u16]
    header 2019: msg id u16, attributes u16, protocol version u8, phone BCD[10], serial u16 [...]
    attributes:  bits 0-9 body length, 10-12 encryption, 13 sub-package, 14 version flag (2019)

The check code is the XOR of header and body, taken before escaping. Every error a codec
function raises is a :class:`CodecError`; nothing else escapes, whatever the input.
"""

from __future__ import annotations

import struct
from dataclasses import dataclass, replace

FLAG = 0x7E
ESCAPE = 0x7D
MAX_BODY = 0x3FF
# Longest legal frame: 2019 header with packet fields (21) + body (1023) + check code, every
# byte escaped. Anything longer without a delimiter is garbage.
MAX_FRAME = 2 * (21 + MAX_BODY + 1)

_ATTR_LENGTH = 0x03FF
_ATTR_SUBPACKAGE = 0x2000
_ATTR_VERSION = 0x4000
_U16 = struct.Struct(">H")
_HEAD = struct.Struct(">HH")
_SERIAL_2013 = struct.Struct(">H")
_PACKET = struct.Struct(">HH")


class CodecError(ValueError):
    """The bytes are not a valid JT/T 808 frame or body; the message names the reason."""


# Header, Frame and Location are not frozen: a frozen dataclass pays a setattr call per
# field on construction, which costs a third of the decode budget. Treat them as immutable.
@dataclass(slots=True)
class Header:
    """A decoded message header."""

    msg_id: int
    phone: str
    serial: int
    version: int = 2013
    body_length: int = 0
    encryption: int = 0
    protocol_version: int = 0
    subpackage: bool = False
    packet_total: int = 0
    packet_index: int = 0


@dataclass(slots=True)
class Frame:
    """One unescaped frame: header, raw body, and whether the check code matched."""

    header: Header
    body: bytes
    checksum_ok: bool


def escape(data: bytes) -> bytes:
    """Escape 0x7d and 0x7e for the wire (0x7d first, or the new 0x7d would be doubled)."""
    if ESCAPE in data or FLAG in data:
        return data.replace(b"\x7d", b"\x7d\x01").replace(b"\x7e", b"\x7d\x02")
    return data


def unescape(data: bytes) -> bytes:
    """Undo :func:`escape`; a 0x7d not followed by 01 or 02, or a bare 0x7e, is an error."""
    if FLAG in data:
        raise CodecError("bare 0x7e inside a frame")
    if ESCAPE not in data:
        return data
    # 7d01 and 7d02 occurrences never overlap, so counting proves every 7d is a valid escape.
    if data.count(b"\x7d") != data.count(b"\x7d\x01") + data.count(b"\x7d\x02"):
        raise CodecError("invalid 0x7d escape sequence")
    return data.replace(b"\x7d\x02", b"\x7e").replace(b"\x7d\x01", b"\x7d")


def checksum(data: bytes) -> int:
    """XOR of all bytes (the JT/T 808 check code)."""
    # Fold the bytes as one big integer: x ^= x >> half leaves the XOR of both halves in the
    # low half, so log2(n) C-level steps replace a Python loop per byte. Bits above the low
    # half never shift down into it, so no masking is needed until the end.
    x = int.from_bytes(data, "big")
    shift = 8 << (len(data) - 1).bit_length()
    while shift > 8:
        shift >>= 1
        x ^= x >> shift
    return x & 0xFF


def bcd_to_digits(data: bytes, what: str = "BCD") -> str:
    """Decode packed BCD into its decimal digit string, keeping leading zeros."""
    digits = data.hex()
    if not digits.isdigit():
        raise CodecError(f"{what}: not BCD digits ({digits})")
    return digits


def digits_to_bcd(digits: str, size: int, what: str = "BCD") -> bytes:
    """Encode a decimal digit string as ``size`` bytes of BCD, left-padded with zeros."""
    if not digits.isascii() or not digits.isdigit() or len(digits) > 2 * size:
        raise CodecError(f"{what}: {digits!r} is not at most {2 * size} decimal digits")
    return bytes.fromhex(digits.rjust(2 * size, "0"))


def decode_frame(raw: bytes) -> Frame:
    """Decode one escaped frame (with or without its 0x7e delimiters) into header and body."""
    if raw[:1] == b"\x7e":
        raw = raw[1:]
    if raw[-1:] == b"\x7e":
        raw = raw[:-1]
    data = unescape(raw)
    size = len(data)
    if size < 13:
        raise CodecError(f"frame too short ({size} bytes)")
    msg_id, attrs = _HEAD.unpack_from(data)
    length = attrs & _ATTR_LENGTH
    sub = bool(attrs & _ATTR_SUBPACKAGE)
    if attrs & _ATTR_VERSION:
        version, proto, pos = 2019, data[4], 15
        if size < 18:
            raise CodecError(f"frame too short for a 2019 header ({size} bytes)")
        phone = bcd_to_digits(data[5:15], "phone")
    else:
        version, proto, pos = 2013, 0, 10
        phone = bcd_to_digits(data[4:10], "phone")
    serial = _SERIAL_2013.unpack_from(data, pos)[0]
    pos += 2
    total = index = 0
    if sub:
        if size < pos + 5:
            raise CodecError("frame too short for sub-package fields")
        total, index = _PACKET.unpack_from(data, pos)
        pos += 4
    if pos + length + 1 != size:
        raise CodecError(f"body length {length} does not match frame size {size}")
    header = Header(
        msg_id, phone, serial, version, length, (attrs >> 10) & 7, proto, sub, total, index
    )
    # XOR over header, body and the check code itself is zero exactly when the code matches.
    return Frame(header, data[pos:-1], checksum(data) == 0)


def encode_frame(
    msg_id: int,
    phone: str,
    serial: int,
    body: bytes = b"",
    *,
    version: int = 2013,
    protocol_version: int = 1,
    encryption: int = 0,
    packet: tuple[int, int] | None = None,
) -> bytes:
    """Build one complete wire frame: header, body, check code, escaped, delimited."""
    if len(body) > MAX_BODY:
        raise CodecError(f"body of {len(body)} bytes exceeds {MAX_BODY}; use sub-packages")
    if not 0 <= msg_id <= 0xFFFF or not 0 <= serial <= 0xFFFF:
        raise CodecError("msg_id and serial must fit in 16 bits")
    attrs = len(body) | (encryption & 7) << 10
    if packet is not None:
        attrs |= _ATTR_SUBPACKAGE
    if version == 2019:
        attrs |= _ATTR_VERSION
        head = _HEAD.pack(msg_id, attrs) + bytes([protocol_version & 0xFF])
        head += digits_to_bcd(phone, 10, "phone")
    elif version == 2013:
        head = _HEAD.pack(msg_id, attrs) + digits_to_bcd(phone, 6, "phone")
    else:
        raise CodecError(f"version {version}: 2013 or 2019 expected")
    head += _U16.pack(serial)
    if packet is not None:
        total, index = packet
        if not 1 <= index <= total <= 0xFFFF:
            raise CodecError(f"packet {index}/{total}: 1 <= index <= total expected")
        head += _PACKET.pack(total, index)
    data = head + body
    return b"\x7e" + escape(data + bytes([checksum(data)])) + b"\x7e"


def encode_subpackages(
    msg_id: int, phone: str, first_serial: int, body: bytes, *, version: int = 2013, size: int = 512
) -> list[bytes]:
    """Split a long body into sub-package frames with consecutive serial numbers."""
    if not 1 <= size <= MAX_BODY:
        raise CodecError(f"sub-package size {size} out of range")
    parts = [body[i : i + size] for i in range(0, len(body), size)] or [b""]
    return [
        encode_frame(
            msg_id,
            phone,
            (first_serial + i) & 0xFFFF,
            part,
            version=version,
            packet=(len(parts), i + 1),
        )
        for i, part in enumerate(parts)
    ]


class FrameSplitter:
    """Cut a TCP byte stream into frames; bytes outside frames are skipped and counted.

    ``feed`` takes chunks of any size and returns the escaped frame contents (without the
    0x7e delimiters) completed so far. A 0x7e both closes a frame and may open the next one, so
    terminals that share delimiters work too. A frame that grows past ``max_frame`` bytes
    without a closing 0x7e is dropped and the splitter waits for the next 0x7e.
    """

    def __init__(self, max_frame: int = MAX_FRAME) -> None:
        self.max_frame = max_frame
        self.garbage_bytes = 0
        self.overflows = 0
        self._buf = bytearray()
        self._in_frame = False

    @property
    def buffered(self) -> int:
        """Bytes held for an incomplete frame."""
        return len(self._buf)

    def feed(self, chunk: bytes) -> list[bytes]:
        """Consume ``chunk`` and return the frames it completed."""
        frames: list[bytes] = []
        pos, end, buf = 0, len(chunk), self._buf
        while pos < end:
            stop = chunk.find(0x7E, pos)
            if not self._in_frame:
                if stop < 0:
                    self.garbage_bytes += end - pos
                    return frames
                self.garbage_bytes += stop - pos
                self._in_frame = True
                pos = stop + 1
                continue
            piece_end = end if stop < 0 else stop
            if len(buf) + piece_end - pos > self.max_frame:
                self.overflows += 1
                self.garbage_bytes += len(buf) + piece_end - pos
                buf.clear()
                # The 0x7e that ends an oversized run may open the next frame.
                self._in_frame = stop >= 0
                pos = piece_end + 1
                continue
            buf += chunk[pos:piece_end]
            if stop < 0:
                return frames
            if buf:
                frames.append(bytes(buf))
                buf.clear()
            pos = stop + 1
        return frames


@dataclass(slots=True)
class _Pending:
    total: int
    started: float
    first: Header | None
    parts: dict[int, bytes]
    size: int


class Reassembler:
    """Join sub-packaged messages, keyed by phone and message id, with a bounded lifetime.

    ``feed`` returns the whole message once every package has arrived (its header is the
    first package's, without the packet fields), or ``None`` while packages are missing.
    Unfinished messages expire after ``ttl`` seconds; at most ``max_pending`` are kept and
    each may grow to ``max_bytes``.
    """

    def __init__(
        self, *, ttl: float = 60.0, max_pending: int = 16, max_bytes: int = 256 * 1024
    ) -> None:
        self.ttl = ttl
        self.max_pending = max_pending
        self.max_bytes = max_bytes
        self.expired = 0
        self._pending: dict[tuple[str, int], _Pending] = {}

    def __len__(self) -> int:
        return len(self._pending)

    def missing(self, phone: str, msg_id: int) -> list[int]:
        """Package indexes still missing for a message in progress (empty if none pending)."""
        entry = self._pending.get((phone, msg_id))
        if entry is None:
            return []
        return [i for i in range(1, entry.total + 1) if i not in entry.parts]

    def feed(self, frame: Frame, now: float) -> Frame | None:
        """Add one package; return the reassembled frame when complete."""
        h = frame.header
        if not h.subpackage:
            return frame
        if not 1 <= h.packet_index <= h.packet_total:
            raise CodecError(f"package index {h.packet_index} of {h.packet_total}")
        self._expire(now)
        key = (h.phone, h.msg_id)
        entry = self._pending.get(key)
        if entry is None or entry.total != h.packet_total:
            if entry is None and len(self._pending) >= self.max_pending:
                oldest = min(self._pending, key=lambda k: self._pending[k].started)
                del self._pending[oldest]
                self.expired += 1
            entry = _Pending(h.packet_total, now, None, {}, 0)
            self._pending[key] = entry
        old = entry.parts.get(h.packet_index)
        entry.size += len(frame.body) - (len(old) if old is not None else 0)
        if entry.size > self.max_bytes:
            del self._pending[key]
            raise CodecError(f"sub-packaged message exceeds {self.max_bytes} bytes")
        entry.parts[h.packet_index] = frame.body
        if h.packet_index == 1:
            entry.first = h
        if len(entry.parts) < entry.total or entry.first is None:  # first is set once complete
            return None
        del self._pending[key]
        body = b"".join(entry.parts[i] for i in range(1, entry.total + 1))
        whole = replace(
            entry.first, subpackage=False, packet_total=0, packet_index=0, body_length=len(body)
        )
        return Frame(whole, body, frame.checksum_ok)

    def _expire(self, now: float) -> None:
        stale = [k for k, e in self._pending.items() if now - e.started > self.ttl]
        for key in stale:
            del self._pending[key]
        self.expired += len(stale)

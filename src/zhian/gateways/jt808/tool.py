"""``zhian jt808 decode``: one hex frame per line in, one JSON object per line out.

Each object carries ``msg_id`` (int), ``phone`` (the digits as the frame carries them),
``serial``, ``version`` (2013 or 2019), ``checksum_ok`` and the decoded body fields beside
them; for 0x0200: ``lat``, ``lon``, ``altitude_m``, ``speed_kmh``, ``heading``, ``time``
(ISO-8601, +08:00), ``alarm``, ``status``, ``extras`` ({decimal id: value}) plus the named
``alarm_flags`` and ``status_flags``; for 0x8203: ``alarm_serial``, ``alarm_types`` and their
names in ``alarm_type_flags``. A line that cannot be decoded gives ``{"error": reason}``.
Hex may contain spaces, with or without the 0x7e delimiters. Blank lines are skipped.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Iterable, Iterator
from typing import Any

from zhian.gateways.jt808.codec import CodecError, decode_frame
from zhian.gateways.jt808.messages import (
    AlarmConfirmation,
    Authenticate,
    Empty,
    GeneralResponse,
    Location,
    LocationBatch,
    Message,
    RawBody,
    Register,
    RegisterResponse,
    decode_body,
)
from zhian.gateways.jt808.normalize import alarm_flags, extras_json, status_flags


def location_fields(loc: Location) -> dict[str, Any]:
    """The JSON fields of one location."""
    return {
        "lat": loc.lat,
        "lon": loc.lon,
        "altitude_m": loc.altitude_m,
        "speed_kmh": loc.speed_kmh,
        "heading": loc.heading,
        "time": loc.time.isoformat(),
        "alarm": loc.alarm,
        "status": loc.status,
        "extras": extras_json(loc.extras),
        "alarm_flags": alarm_flags(loc.alarm),
        "status_flags": status_flags(loc.status),
    }


def body_fields(message: Message) -> dict[str, Any]:
    """The JSON fields of a decoded body."""
    if isinstance(message, Location):
        return location_fields(message)
    if isinstance(message, LocationBatch):
        return {
            "batch_type": message.kind,
            "blind_area": message.kind == 1,
            "count": len(message.items),
            "items": [location_fields(loc) for loc in message.items],
        }
    if isinstance(message, AlarmConfirmation):
        return {
            "alarm_serial": message.alarm_serial,
            "alarm_types": message.alarm_types,
            "alarm_type_flags": alarm_flags(message.alarm_types),
        }
    if isinstance(message, Register | Authenticate | GeneralResponse | RegisterResponse):
        return {name: getattr(message, name) for name in message.__dataclass_fields__}
    if isinstance(message, RawBody):
        return {"body_hex": message.data.hex()}
    assert isinstance(message, Empty)
    return {}


def _parse_hex(line: str) -> bytes:
    text = "".join(line.split())
    if text[:2].lower() == "0x":
        text = text[2:]
    try:
        data = bytes.fromhex(text)
    except ValueError as exc:
        raise CodecError("not hexadecimal") from exc
    if data[:1] == b"\x7e":
        data = data[1:]
    if data[-1:] == b"\x7e":
        data = data[:-1]
    if not data:
        raise CodecError("no frame on the line")
    if b"\x7e" in data:
        raise CodecError("more than one frame on the line")
    return data


def decode_line(line: str) -> dict[str, Any]:
    """Decode one hex line into the contract's JSON object (or ``{"error": reason}``)."""
    try:
        frame = decode_frame(_parse_hex(line))
        h = frame.header
        out: dict[str, Any] = {
            "msg_id": h.msg_id,
            "phone": h.phone,
            "serial": h.serial,
            "version": h.version,
            "checksum_ok": frame.checksum_ok,
        }
        if h.version == 2019:
            out["protocol_version"] = h.protocol_version
        if h.subpackage:
            # A single package holds only a slice of the body: report it, do not decode it.
            out.update(packet_total=h.packet_total, packet_index=h.packet_index)
            out["body_hex"] = frame.body.hex()
        elif h.encryption:
            out.update(encryption=h.encryption, body_hex=frame.body.hex())
        else:
            out.update(body_fields(decode_body(h.msg_id, frame.body, h.version)))
        return out
    except CodecError as exc:
        return {"error": str(exc)}


def decode_lines(lines: Iterable[str]) -> Iterator[dict[str, Any]]:
    """One object per line, so output line N always answers input line N (a blank line too)."""
    for line in lines:
        yield decode_line(line) if line.strip() else {"error": "empty line"}


def main(argv: list[str] | None = None) -> int:
    """Decode the files in ``argv`` (or stdin) to JSON lines: ``zhian jt808 decode``."""
    paths = sys.argv[1:] if argv is None else argv
    streams = [open(p, encoding="utf-8") for p in paths] if paths else [sys.stdin]  # noqa: SIM115
    for stream in streams:
        with stream:
            for obj in decode_lines(stream):
                print(json.dumps(obj, ensure_ascii=False))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

"""JT/T 808 message bodies: typed dataclasses, decoders and encoders. Pure, like the codec.

Supported (2013 and 2019 bodies where they differ):

==========  ==================================  =====================================
id          message                             dataclass
==========  ==================================  =====================================
0x0001      terminal general response           :class:`GeneralResponse`
0x0002      heartbeat                           :class:`Empty`
0x0003      logout                              :class:`Empty`
0x0100      register                            :class:`Register`
0x0102      authenticate                        :class:`Authenticate`
0x0200      location report                     :class:`Location`
0x0704      location batch (normal/blind area)  :class:`LocationBatch`
0x8001      platform general response           :class:`GeneralResponse`
0x8100      register response                   :class:`RegisterResponse`
0x8203      manual alarm confirmation           :class:`AlarmConfirmation`
==========  ==================================  =====================================

Any other id decodes to :class:`RawBody`. Locations live in :mod:`.location` and are
re-exported here. Strings are GBK, fixed-size ones padded with 0x00 at the end.
"""

from __future__ import annotations

import struct
from dataclasses import dataclass

from zhian.gateways.jt808.codec import CodecError
from zhian.gateways.jt808.location import (
    BATCH_BLIND_AREA,
    BATCH_NORMAL,
    CST,
    ExtraValue,
    Location,
    LocationBatch,
    decode_location,
    decode_location_batch,
    decode_time,
    encode_location,
    encode_location_batch,
    encode_time,
)

TERMINAL_RESPONSE = 0x0001
HEARTBEAT = 0x0002
LOGOUT = 0x0003
REGISTER = 0x0100
AUTHENTICATE = 0x0102
LOCATION = 0x0200
LOCATION_BATCH = 0x0704
PLATFORM_RESPONSE = 0x8001
REGISTER_RESPONSE = 0x8100
ALARM_CONFIRMATION = 0x8203

# 0x8001 / 0x0001 results.
RESULT_OK, RESULT_FAILURE, RESULT_MESSAGE_ERROR, RESULT_UNSUPPORTED, RESULT_ALARM_ACK = range(5)
# 0x8100 results.
REG_OK, REG_VEHICLE_TAKEN, REG_VEHICLE_UNKNOWN, REG_TERMINAL_TAKEN, REG_TERMINAL_UNKNOWN = range(5)
# 0x8203: the alarm bits a platform may confirm by hand. They are the bits JT/T 808 table 24
# clears "on receiving the answer" (收到应答后清零); the others persist while their condition
# lasts, so confirming them would mean nothing to the terminal.
CONFIRM_EMERGENCY = 1 << 0
CONFIRM_DANGER_WARNING = 1 << 3
CONFIRM_AREA_IN_OUT = 1 << 20
CONFIRM_ROUTE_IN_OUT = 1 << 21
CONFIRM_ROUTE_TIME = 1 << 22
CONFIRM_ILLEGAL_IGNITION = 1 << 27
CONFIRM_ILLEGAL_DISPLACEMENT = 1 << 28
CONFIRMABLE_ALARMS = (
    CONFIRM_EMERGENCY
    | CONFIRM_DANGER_WARNING
    | CONFIRM_AREA_IN_OUT
    | CONFIRM_ROUTE_IN_OUT
    | CONFIRM_ROUTE_TIME
    | CONFIRM_ILLEGAL_IGNITION
    | CONFIRM_ILLEGAL_DISPLACEMENT
)


__all__ = [
    "BATCH_BLIND_AREA",
    "BATCH_NORMAL",
    "CST",
    "ExtraValue",
    "Location",
    "LocationBatch",
    "decode_location",
    "decode_location_batch",
    "decode_time",
    "encode_location",
    "encode_location_batch",
    "encode_time",
]

_GENERAL = struct.Struct(">HHB")
_REG_RESP = struct.Struct(">HB")
_CONFIRM = struct.Struct(">HI")
_REG_2013 = struct.Struct(">HH5s20s7sB")
_REG_2019 = struct.Struct(">HH11s30s30sB")


@dataclass(frozen=True, slots=True)
class Empty:
    """A body without fields (heartbeat, logout)."""


@dataclass(frozen=True, slots=True)
class RawBody:
    """The body of a message this codec does not decode."""

    data: bytes


@dataclass(frozen=True, slots=True)
class GeneralResponse:
    """0x0001 / 0x8001: the answer to one message, named by its serial and id."""

    reply_serial: int
    reply_msg_id: int
    result: int


@dataclass(frozen=True, slots=True)
class RegisterResponse:
    """0x8100: result of a registration; the auth code only with result 0."""

    reply_serial: int
    result: int
    auth_code: str | None = None


@dataclass(frozen=True, slots=True)
class Register:
    """0x0100: a terminal registers (field sizes differ between 2013 and 2019)."""

    province_id: int
    city_id: int
    maker_id: str
    model: str
    terminal_id: str
    plate_color: int
    plate: str


@dataclass(frozen=True, slots=True)
class Authenticate:
    """0x0102: the terminal presents its auth code (2019 adds IMEI and software version)."""

    auth_code: str
    imei: str | None = None
    software_version: str | None = None


@dataclass(frozen=True, slots=True)
class AlarmConfirmation:
    """0x8203: the platform confirms alarms by hand.

    ``alarm_serial`` is the serial of the alarm message confirmed, 0 for every message with
    these alarm bits; ``alarm_types`` holds the confirmed bits (see ``CONFIRMABLE_ALARMS``).
    """

    alarm_serial: int
    alarm_types: int


Message = (
    Empty
    | RawBody
    | GeneralResponse
    | RegisterResponse
    | AlarmConfirmation
    | Register
    | Authenticate
    | Location
    | LocationBatch
)


def _text(raw: bytes, what: str) -> str:
    try:
        return raw.rstrip(b"\x00").decode("gbk")
    except UnicodeDecodeError as exc:
        raise CodecError(f"{what}: not GBK text") from exc


def _pack_text(text: str, what: str, size: int | None = None) -> bytes:
    try:
        raw = text.encode("gbk")
    except UnicodeEncodeError as exc:
        raise CodecError(f"{what}: not representable in GBK") from exc
    if size is None:
        return raw
    if len(raw) > size:
        raise CodecError(f"{what}: {len(raw)} bytes, at most {size} allowed")
    return raw.ljust(size, b"\x00")


def decode_register(body: bytes, version: int) -> Register:
    """Decode a 0x0100 body (maker/model/terminal id sizes 5/20/7 in 2013, 11/30/30 in 2019)."""
    fmt = _REG_2019 if version == 2019 else _REG_2013
    if len(body) < fmt.size:
        raise CodecError(f"register: {len(body)} bytes, at least {fmt.size} expected")
    province, city, maker, model, terminal, color = fmt.unpack_from(body)
    return Register(
        province,
        city,
        _text(maker, "maker_id"),
        _text(model, "model"),
        _text(terminal, "terminal_id"),
        color,
        _text(body[fmt.size :], "plate"),
    )


def encode_register(reg: Register, version: int) -> bytes:
    """Encode a 0x0100 body for the given version."""
    sizes = (11, 30, 30) if version == 2019 else (5, 20, 7)
    try:
        head = struct.pack(">HH", reg.province_id, reg.city_id)
        color = bytes([reg.plate_color])
    except (struct.error, ValueError) as exc:
        raise CodecError(f"register: field out of range ({exc})") from exc
    return b"".join(
        (
            head,
            _pack_text(reg.maker_id, "maker_id", sizes[0]),
            _pack_text(reg.model, "model", sizes[1]),
            _pack_text(reg.terminal_id, "terminal_id", sizes[2]),
            color,
            _pack_text(reg.plate, "plate"),
        )
    )


def decode_authenticate(body: bytes, version: int) -> Authenticate:
    """Decode a 0x0102 body: the whole body in 2013; length, code, IMEI[15], version[20] in 2019."""
    if version != 2019:
        return Authenticate(_text(body, "auth_code"))
    if not body:
        raise CodecError("authenticate: empty body")
    size = body[0]
    if len(body) != 1 + size + 15 + 20:
        raise CodecError(f"authenticate: {len(body)} bytes, {36 + size} expected")
    return Authenticate(
        _text(body[1 : 1 + size], "auth_code"),
        _text(body[1 + size : 16 + size], "imei"),
        _text(body[16 + size :], "software_version"),
    )


def encode_authenticate(auth: Authenticate, version: int) -> bytes:
    """Encode a 0x0102 body for the given version."""
    code = _pack_text(auth.auth_code, "auth_code")
    if version != 2019:
        return code
    if len(code) > 0xFF:
        raise CodecError("auth_code: longer than 255 bytes")
    imei = _pack_text(auth.imei or "", "imei", 15)
    software = _pack_text(auth.software_version or "", "software_version", 20)
    return bytes([len(code)]) + code + imei + software


def decode_general_response(body: bytes) -> GeneralResponse:
    """Decode a 0x0001 or 0x8001 body."""
    if len(body) != _GENERAL.size:
        raise CodecError(f"general response: {len(body)} bytes, 5 expected")
    return GeneralResponse(*_GENERAL.unpack(body))


def encode_general_response(resp: GeneralResponse) -> bytes:
    """Encode a 0x0001 or 0x8001 body."""
    try:
        return _GENERAL.pack(resp.reply_serial, resp.reply_msg_id, resp.result)
    except struct.error as exc:
        raise CodecError(f"general response: field out of range ({exc})") from exc


def decode_register_response(body: bytes) -> RegisterResponse:
    """Decode a 0x8100 body."""
    if len(body) < _REG_RESP.size:
        raise CodecError(f"register response: {len(body)} bytes, at least 3 expected")
    serial, result = _REG_RESP.unpack_from(body)
    code = _text(body[3:], "auth_code") if result == REG_OK else None
    return RegisterResponse(serial, result, code)


def encode_register_response(resp: RegisterResponse) -> bytes:
    """Encode a 0x8100 body; the auth code is written only with result 0."""
    try:
        head = _REG_RESP.pack(resp.reply_serial, resp.result)
    except struct.error as exc:
        raise CodecError(f"register response: field out of range ({exc})") from exc
    if resp.result != REG_OK:
        return head
    return head + _pack_text(resp.auth_code or "", "auth_code")


def decode_alarm_confirmation(body: bytes) -> AlarmConfirmation:
    """Decode a 0x8203 body; reserved bits are kept as sent, for the decode tool to show."""
    if len(body) != _CONFIRM.size:
        raise CodecError(f"alarm confirmation: {len(body)} bytes, {_CONFIRM.size} expected")
    return AlarmConfirmation(*_CONFIRM.unpack(body))


def encode_alarm_confirmation(confirm: AlarmConfirmation) -> bytes:
    """Encode a 0x8203 body; only the confirmable bits may be set, and at least one."""
    if not 0 <= confirm.alarm_serial <= 0xFFFF:
        raise CodecError(f"alarm confirmation: serial {confirm.alarm_serial} out of range")
    if not confirm.alarm_types or confirm.alarm_types & ~CONFIRMABLE_ALARMS:
        raise CodecError(
            f"alarm confirmation: types 0x{confirm.alarm_types:x} are not confirmable bits"
        )
    return _CONFIRM.pack(confirm.alarm_serial, confirm.alarm_types)


def decode_body(msg_id: int, body: bytes, version: int = 2013) -> Message:
    """Decode the body of ``msg_id``; unknown ids give :class:`RawBody`."""
    if msg_id == LOCATION:
        return decode_location(body)
    if msg_id in (HEARTBEAT, LOGOUT):
        return Empty()
    if msg_id in (TERMINAL_RESPONSE, PLATFORM_RESPONSE):
        return decode_general_response(body)
    if msg_id == LOCATION_BATCH:
        return decode_location_batch(body)
    if msg_id == REGISTER:
        return decode_register(body, version)
    if msg_id == AUTHENTICATE:
        return decode_authenticate(body, version)
    if msg_id == REGISTER_RESPONSE:
        return decode_register_response(body)
    if msg_id == ALARM_CONFIRMATION:
        return decode_alarm_confirmation(body)
    return RawBody(body)


def encode_body(message: Message, version: int = 2013) -> bytes:
    """Encode any supported body (the message id travels separately, in the header)."""
    if isinstance(message, Location):
        return encode_location(message)
    if isinstance(message, LocationBatch):
        return encode_location_batch(message)
    if isinstance(message, Register):
        return encode_register(message, version)
    if isinstance(message, Authenticate):
        return encode_authenticate(message, version)
    if isinstance(message, GeneralResponse):
        return encode_general_response(message)
    if isinstance(message, RegisterResponse):
        return encode_register_response(message)
    if isinstance(message, AlarmConfirmation):
        return encode_alarm_confirmation(message)
    if isinstance(message, RawBody):
        return message.data
    return b""

"""0x8203 manual alarm confirmation: the body JT/T 808 defines (WORD serial, DWORD bits)."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from zhian.gateways.jt808.codec import CodecError, decode_frame, encode_frame
from zhian.gateways.jt808.messages import (
    ALARM_CONFIRMATION,
    CONFIRM_EMERGENCY,
    CONFIRMABLE_ALARMS,
    AlarmConfirmation,
    decode_body,
    encode_body,
)
from zhian.gateways.jt808.tool import decode_line

# Written out from the standard, not produced by the codec: 2013 header (id 8203, attributes
# 0006 = a 6-byte body, phone BCD 013800138000, serial 1), body 0000 00000001 (every message
# with the emergency bit), check code 0x2D (XOR of everything between the delimiters).
EMERGENCY_2013 = "7e8203000601380013800000010000000000012d7e"
# 2019 header (version flag bit 14, protocol version 1, BCD[10] phone), serial 0x0102; alarm
# serial 0x007E travels escaped as 7D 02; every confirmable bit: 0, 3, 20, 21, 22, 27, 28.
ALL_BITS_2019 = "7e8203400601000000000139123443290102007d0218700009ae7e"


def test_emergency_confirmation_is_the_frame_the_standard_implies() -> None:
    body = encode_body(AlarmConfirmation(0, CONFIRM_EMERGENCY))
    assert body == bytes.fromhex("000000000001")
    frame = encode_frame(ALARM_CONFIRMATION, "013800138000", 1, body)
    assert frame.hex() == EMERGENCY_2013


def test_standard_frames_decode() -> None:
    frame = decode_frame(bytes.fromhex(EMERGENCY_2013)[1:-1])
    assert frame.checksum_ok and frame.header.msg_id == 0x8203
    assert decode_body(frame.header.msg_id, frame.body) == AlarmConfirmation(0, 1)

    frame = decode_frame(bytes.fromhex(ALL_BITS_2019)[1:-1])
    assert frame.checksum_ok and frame.header.version == 2019 and frame.header.serial == 0x0102
    confirm = decode_body(frame.header.msg_id, frame.body, 2019)
    assert confirm == AlarmConfirmation(0x7E, CONFIRMABLE_ALARMS)
    bits = [b for b in range(32) if confirm.alarm_types >> b & 1]
    assert bits == [0, 3, 20, 21, 22, 27, 28]


def test_decode_tool_names_the_bits() -> None:
    out = decode_line(ALL_BITS_2019)
    assert out["msg_id"] == 0x8203 and out["checksum_ok"] is True
    assert out["alarm_serial"] == 0x7E and out["alarm_types"] == CONFIRMABLE_ALARMS
    assert out["alarm_type_flags"] == [
        "emergency",
        "danger_warning",
        "area_in_out",
        "route_in_out",
        "route_time_abnormal",
        "illegal_ignition",
        "illegal_displacement",
    ]
    assert decode_line(EMERGENCY_2013)["alarm_type_flags"] == ["emergency"]


@pytest.mark.parametrize("size", [0, 1, 5, 7, 12])
def test_wrong_body_length_is_a_codec_error(size: int) -> None:
    with pytest.raises(CodecError, match="6 expected"):
        decode_body(ALARM_CONFIRMATION, bytes(size))


@pytest.mark.parametrize(
    "confirm",
    [
        AlarmConfirmation(0, 0),  # confirms nothing
        AlarmConfirmation(0, 1 << 1),  # overspeed persists while it lasts: not confirmable
        AlarmConfirmation(0, CONFIRM_EMERGENCY | 1 << 31),
        AlarmConfirmation(-1, CONFIRM_EMERGENCY),
        AlarmConfirmation(0x10000, CONFIRM_EMERGENCY),
    ],
)
def test_encoder_refuses_what_the_standard_does_not_define(confirm: AlarmConfirmation) -> None:
    with pytest.raises(CodecError):
        encode_body(confirm)


@given(
    serial=st.integers(0, 0xFFFF),
    bits=st.sets(st.sampled_from([0, 3, 20, 21, 22, 27, 28]), min_size=1),
)
def test_round_trip(serial: int, bits: set[int]) -> None:
    confirm = AlarmConfirmation(serial, sum(1 << b for b in bits))
    assert decode_body(ALARM_CONFIRMATION, encode_body(confirm)) == confirm


@given(st.binary(max_size=16))
def test_any_body_decodes_or_raises_codec_error(body: bytes) -> None:
    try:
        confirm = decode_body(ALARM_CONFIRMATION, body)
    except CodecError:
        assert len(body) != 6
    else:
        assert isinstance(confirm, AlarmConfirmation) and len(body) == 6

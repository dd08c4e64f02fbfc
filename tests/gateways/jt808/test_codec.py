"""The JT/T 808 codec: known frames from public sources, round trips, and property tests."""

from __future__ import annotations

import contextlib
import dataclasses
import functools
import operator
from datetime import datetime, timedelta

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from zhian.gateways.jt808.codec import (
    MAX_FRAME,
    CodecError,
    FrameSplitter,
    Header,
    Reassembler,
    checksum,
    decode_frame,
    encode_frame,
    encode_subpackages,
    escape,
    unescape,
)
from zhian.gateways.jt808.messages import (
    CST,
    Authenticate,
    GeneralResponse,
    Location,
    LocationBatch,
    RawBody,
    Register,
    RegisterResponse,
    decode_body,
    decode_time,
    encode_body,
)
from zhian.gateways.jt808.normalize import (
    alarm_flags,
    position_event,
    position_event_id,
    status_flags,
)


def hexb(text: str) -> bytes:
    return bytes.fromhex(text.replace(" ", ""))


# SmallChi/JT808, src/JT808.Protocol.Test/MessageBody/JT808_0x0200Test.cs (Test5): a 2013
# location report with mileage (0x01) and fuel (0x02) items.
SMALLCHI_0200 = hexb(
    "7E 02 00 00 26 11 22 33 44 55 66 22 B8 00 00 00 01 00 00 00 02 00 BA 7F 0E 07 E4 F1 1C"
    " 00 28 00 3C 00 00 18 07 15 10 10 10 01 04 00 00 00 64 02 02 00 37 57 7E"
)
# Same file (Demo2): serial 0x007e and fuel 0x007d, both escaped on the wire.
SMALLCHI_0200_ESCAPED = hexb(
    "7E 02 00 00 26 12 34 56 78 90 12 00 7D 02 00 00 00 01 00 00 00 02 00 BA 7F 0E 07 E4 F1"
    " 1C 00 28 00 3C 00 00 18 10 15 10 10 10 01 04 00 00 00 64 02 02 00 7D 01 13 7E"
)
# makeclan/xtream-codec, debug/jt/jt-808-server-spring-boot-starter-debug-ui/src/utils/
# codec-utils.ts (BuiltinMessage0200): a 2019 report whose status 0x16 sets the south bit.
XTREAM_0200_2019 = hexb(
    "7e02004026010000000001391234432900000000006f0000001601dc9a0707456246007b004200032501"
    "292233440202006401040000000c417e"
)
# SmallChi/JT808, JT808_0x0704Test.cs (Test2): a 2013 normal batch of two locations.
SMALLCHI_0704 = hexb(
    "7E 07 04 00 53 11 22 33 44 55 66 22 B8 00 02 00 00 26 00 00 00 01 00 00 00 02 00 BA 7F"
    " 0E 07 E4 F1 1C 00 28 00 3C 00 00 18 07 15 10 10 10 01 04 00 00 00 64 02 02 00 37 00 26"
    " 00 00 00 02 00 00 00 01 00 CB 73 55 07 E6 A3 23 00 29 00 36 00 78 18 07 15 10 10 30 01"
    " 04 00 00 00 60 02 02 00 42 D4 7E"
)
# xtream-codec, same file (BuiltinMessage0704): a 2019 batch without additional items.
XTREAM_0704_2019 = hexb(
    "7e0704403f01000000000139123443290000000200001c000000010000000101d907f2073d336c029a0021"
    "0059241029213903001c000000010000000101d907f3073d336d03090043005a241029213903f87e"
)
# SmallChi/JT808, JT808_0x0100Test.cs (Test1_1 and Test2019_2).
SMALLCHI_0100_2013 = hexb(
    "7E0100002D000123456789000A002800323132333430736D616C6C6368693132333030303030303030304348"
    "493132333001D4C1413132333435BA7E"
)
SMALLCHI_0100_2019 = hexb(
    "7E010040540100000000000123456789000A0028003230303030303030313233343030303030303030303030"
    "3030303030303030736D616C6C63686931323330303030303030303030303030303030303030303030303043"
    "484931323301D4C1413132333435B27E"
)
# SmallChi/JT808, JT808_0x0102Test.cs (Test4): 2013 authentication.
SMALLCHI_0102 = hexb("7E 01 02 00 09 01 23 45 67 89 00 30 39 34 35 36 31 32 31 31 31 31 BE 7E")
# SmallChi/JT808, JT808HeaderPackageTest.cs: a 0x1205 message in two sub-packages.
SMALLCHI_SUB_2 = hexb(
    "7E1205203804066657506200EC000200020120121900163320121900360700000000000000000001010F0CE4"
    "CD0120121900002220121900163300000000000000000001010C6F9E7B5D7E"
)


def located(raw: bytes) -> tuple[Header, Location]:
    """Decode a location frame, insisting on a good check code."""
    frame = decode_frame(raw)
    assert frame.checksum_ok
    loc = decode_body(frame.header.msg_id, frame.body, frame.header.version)
    assert isinstance(loc, Location)
    return frame.header, loc


def test_smallchi_location_2013() -> None:
    h, loc = located(SMALLCHI_0200)
    assert (h.msg_id, h.phone, h.serial, h.version) == (0x0200, "112233445566", 8888, 2013)
    assert h.body_length == 38 and not h.subpackage
    assert (loc.lat, loc.lon, loc.altitude_m) == (12.222222, 132.444444, 40)
    assert (loc.speed_kmh, loc.heading) == (6.0, 0)  # 60 x 0.1 km/h
    assert loc.time == datetime(2018, 7, 15, 10, 10, 10, tzinfo=CST)
    assert loc.time.utcoffset() == timedelta(hours=8)
    assert (loc.alarm, loc.status) == (1, 2)
    assert loc.extras == {0x01: 10.0, 0x02: 5.5}  # 100 x 0.1 km, 55 x 0.1 L
    assert encode_frame(0x0200, "112233445566", 8888, encode_body(loc)) == SMALLCHI_0200


def test_escaped_frame_decodes_and_reencodes_byte_for_byte() -> None:
    h, loc = located(SMALLCHI_0200_ESCAPED)
    assert h.serial == 0x7E and h.phone == "123456789012"
    assert loc.extras[0x02] == 12.5  # 0x7d = 125
    again = encode_frame(0x0200, "123456789012", 0x7E, encode_body(loc))
    assert again == SMALLCHI_0200_ESCAPED


def test_xtream_location_2019_south_latitude() -> None:
    h, loc = located(XTREAM_0200_2019)
    assert (h.version, h.protocol_version, h.serial) == (2019, 1, 0)
    assert h.phone == "00000000013912344329"
    assert loc.lat == -31.234567  # status bit 2: south
    assert loc.lon == 121.987654
    assert (loc.altitude_m, loc.speed_kmh, loc.heading) == (123, 6.6, 3)
    assert loc.time.isoformat() == "2025-01-29T22:33:44+08:00"
    assert loc.extras == {0x02: 10.0, 0x01: 1.2}
    assert alarm_flags(loc.alarm) == [  # 0x6f
        "emergency",
        "overspeed",
        "fatigue",
        "danger_warning",
        "gnss_antenna_cut",
        "gnss_antenna_short",
    ]
    flags = status_flags(loc.status)
    assert flags["positioned"] and flags["south"] and flags["out_of_service"]
    assert not flags["acc_on"] and not flags["west"]
    assert encode_frame(0x0200, h.phone, 0, encode_body(loc), version=2019) == XTREAM_0200_2019


def test_normalized_position_is_utc() -> None:
    _, loc = located(SMALLCHI_0200)
    event = position_event("112233445566", loc, version=2013, serial=8888)
    assert event["time"] == "2018-07-15T02:10:10+00:00"
    assert event["mileage_km"] == 10.0 and event["fuel_l"] == 5.5
    assert event["alarms"] == ["emergency"] and event["status_flags"]["positioned"]


def test_batches_both_versions() -> None:
    frame = decode_frame(SMALLCHI_0704)
    batch = decode_body(0x0704, frame.body)
    assert isinstance(batch, LocationBatch)
    assert batch.kind == 0 and len(batch.items) == 2
    second = batch.items[1]
    assert (second.alarm, second.status, second.lat, second.lon) == (2, 1, 13.333333, 132.555555)
    assert (second.speed_kmh, second.heading) == (5.4, 120)
    assert second.time == datetime(2018, 7, 15, 10, 10, 30, tzinfo=CST)
    assert second.extras == {0x01: 9.6, 0x02: 6.6}
    assert encode_frame(0x0704, "112233445566", 8888, encode_body(batch)) == SMALLCHI_0704

    frame = decode_frame(XTREAM_0704_2019)
    batch = decode_body(0x0704, frame.body, 2019)
    assert isinstance(batch, LocationBatch)
    assert [(i.lat, i.altitude_m, i.speed_kmh) for i in batch.items] == [
        (31.000562, 666, 3.3),
        (31.000563, 777, 6.7),
    ]
    assert batch.items[0].time.isoformat() == "2024-10-29T21:39:03+08:00"


def test_blind_area_batch_kind_round_trips() -> None:
    loc = Location(0, 2, 34.5, 109.5, 0, 10.0, 0, datetime(2024, 1, 1, tzinfo=CST))
    body = encode_body(LocationBatch(1, (loc,)))
    decoded = decode_body(0x0704, body)
    assert isinstance(decoded, LocationBatch) and decoded.kind == 1


def test_register_2013_and_2019_bodies() -> None:
    frame = decode_frame(SMALLCHI_0100_2013)
    assert frame.header.phone == "000123456789" and frame.header.serial == 10
    reg = decode_body(0x0100, frame.body, 2013)
    assert reg == Register(40, 50, "12340", "smallchi123000000000", "CHI1230", 1, "粤A12345")
    assert encode_frame(0x0100, "000123456789", 10, encode_body(reg, 2013)) == SMALLCHI_0100_2013

    frame = decode_frame(SMALLCHI_0100_2019)
    assert frame.header.version == 2019 and frame.header.phone == "00000000000123456789"
    reg = decode_body(0x0100, frame.body, 2019)
    assert isinstance(reg, Register)
    assert reg.maker_id == "1234".rjust(11, "0")  # SmallChi pads with ASCII '0' on the left
    assert reg.terminal_id == "CHI123".rjust(30, "0")
    assert reg.plate == "粤A12345" and reg.plate_color == 1


def test_authenticate_bodies() -> None:
    frame = decode_frame(SMALLCHI_0102)
    assert frame.header.phone == "012345678900" and frame.header.serial == 12345
    assert decode_body(0x0102, frame.body, 2013) == Authenticate("456121111")

    auth = Authenticate("abc123", "860000000000001", "v1.2.3")
    body = encode_body(auth, 2019)
    assert body[0] == 6 and len(body) == 1 + 6 + 15 + 20
    assert decode_body(0x0102, body, 2019) == auth
    with pytest.raises(CodecError):
        decode_body(0x0102, body[:-1], 2019)


def test_platform_answers_match_published_frames() -> None:
    # SmallChi/JT808, JT808_0x8100Test.cs (Test1, Test3) and JT808_0x8001Test.cs (Test1).
    ok = encode_body(RegisterResponse(100, 0, "123456"))
    assert encode_frame(0x8100, "012345678900", 10, ok) == hexb(
        "7E81000009012345678900000A006400313233343536687E"
    )
    refused = encode_body(RegisterResponse(100, 4, "ignored without result 0"))
    assert encode_frame(0x8100, "012345678900", 10, refused) == hexb(
        "7E81000003012345678900000A006404617E"
    )
    general = encode_body(GeneralResponse(100, 0x0200, 0))
    assert encode_frame(0x8001, "012345678900", 10, general) == hexb(
        "7E80010005012345678900000A0064020000617E"
    )
    # xtream-codec codec-utils.ts (BuiltinMessage8001, BuiltinMessage8100): 2019 headers.
    phone = "00000000013912344329"
    general = encode_body(GeneralResponse(111, 0x0200, 0))
    assert encode_frame(0x8001, phone, 0, general, version=2019) == hexb(
        "7e8001400501000000000139123443290000006f020000dc7e"
    )
    ok = encode_body(RegisterResponse(111, 0, "ok..ok..ok"))
    assert encode_frame(0x8100, phone, 0, ok, version=2019) == hexb(
        "7e8100400d01000000000139123443290000006f006f6b2e2e6f6b2e2e6f6bd27e"
    )
    decoded = decode_body(0x8100, decode_frame(hexb("7E81000003012345678900000A006404617E")).body)
    assert decoded == RegisterResponse(100, 4, None)


def test_subpackage_header_and_reassembly() -> None:
    frame = decode_frame(SMALLCHI_SUB_2)
    h = frame.header
    assert h.subpackage and (h.packet_total, h.packet_index) == (2, 2)
    assert h.serial == 0xEC and len(frame.body) == 0x38 and frame.checksum_ok

    body = bytes(range(256)) * 5
    frames = [decode_frame(f) for f in encode_subpackages(0x0704, "13800138000", 65535, body)]
    assert [f.header.serial for f in frames] == [65535, 0, 1]
    reasm = Reassembler()
    assert reasm.feed(frames[2], 0.0) is None
    assert reasm.feed(frames[0], 0.0) is None
    assert reasm.feed(frames[0], 0.0) is None  # a duplicate changes nothing
    assert reasm.missing("013800138000", 0x0704) == [2]  # keyed by the phone as framed
    whole = reasm.feed(frames[1], 0.0)
    assert whole is not None and whole.body == body
    assert not whole.header.subpackage and whole.header.serial == 65535
    assert len(reasm) == 0


def test_reassembler_is_bounded() -> None:
    parts = [decode_frame(f) for f in encode_subpackages(0x0900, "1", 0, bytes(3000))]
    reasm = Reassembler(ttl=10.0)
    assert reasm.feed(parts[0], 0.0) is None
    assert reasm.feed(parts[1], 11.0) is None  # the first package expired meanwhile
    assert reasm.expired == 1
    assert reasm.feed(parts[2], 11.0) is None
    assert reasm.missing("000000000001", 0x0900) == [1, 4, 5, 6]

    small = Reassembler(max_bytes=600)
    small.feed(parts[0], 0.0)
    with pytest.raises(CodecError):
        small.feed(parts[1], 0.0)

    few = Reassembler(max_pending=2)
    for phone in ("1", "2", "3"):
        few.feed(decode_frame(encode_subpackages(0x0900, phone, 0, bytes(600))[0]), 0.0)
    assert len(few) == 2 and few.missing("000000000001", 0x0900) == []


def test_escaping() -> None:
    assert escape(b"\x30\x7e\x08\x7d\x55") == b"\x30\x7d\x02\x08\x7d\x01\x55"
    assert unescape(b"\x30\x7d\x02\x08\x7d\x01\x55") == b"\x30\x7e\x08\x7d\x55"
    for bad in (b"\x7d", b"\x7d\x03", b"\x01\x7d\x7d\x01", b"\x7e"):
        with pytest.raises(CodecError):
            unescape(bad)


def test_bad_frames_are_codec_errors() -> None:
    body = SMALLCHI_0200[1:-1]
    with pytest.raises(CodecError, match="length"):
        decode_frame(body[:-3] + body[-2:])  # one body byte missing
    with pytest.raises(CodecError, match="short"):
        decode_frame(b"\x7e\x02\x00\x7e")
    with pytest.raises(CodecError, match="phone"):
        decode_frame(encode_frame(2, "1", 0).replace(b"\x00\x00\x00\x00\x00\x01", b"\xab" * 6))
    flipped = bytearray(SMALLCHI_0200)
    flipped[-2] ^= 0x01
    assert decode_frame(bytes(flipped)).checksum_ok is False


def test_times_must_be_valid_bcd_dates() -> None:
    assert decode_time(b"\x24\x02\x29\x23\x59\x59") == datetime(2024, 2, 29, 23, 59, 59, tzinfo=CST)
    for bad in (b"\x24\x02\x30\x00\x00\x00", b"\x24\x1a\x01\x00\x00\x00", b"\x00" * 6):
        with pytest.raises(CodecError):
            decode_time(bad)


def test_extras_known_unknown_and_overrun() -> None:
    base = encode_body(Location(0, 0, 1.0, 2.0, 0, 0.0, 0, datetime(2024, 1, 1, tzinfo=CST)))
    loc = decode_body(0x0200, base + b"\x03\x02\x01\x90" + b"\xee\x03abc" + b"\x01\x02\x00\x01")
    assert isinstance(loc, Location)
    # 0x03 speed 400 x 0.1 km/h; 0xee unknown stays raw; 0x01 with a wrong length stays raw.
    assert loc.extras == {0x03: 40.0, 0xEE: b"abc", 0x01: b"\x00\x01"}
    with pytest.raises(CodecError):
        decode_body(0x0200, base + b"\x01\x04\x00")
    with pytest.raises(CodecError):
        decode_body(0x0200, base + b"\x01")


def test_unknown_ids_decode_raw() -> None:
    assert decode_body(0x0900, b"\x01\x02") == RawBody(b"\x01\x02")


def test_splitter_resyncs_and_bounds() -> None:
    one = encode_frame(0x0002, "13800138000", 1)
    two = encode_frame(0x0002, "13800138000", 2)
    splitter = FrameSplitter()
    out = splitter.feed(b"junk" + one + two[:5])
    out += splitter.feed(two[5:] + b"\x00\x00")
    assert out == [one[1:-1], two[1:-1]]
    assert splitter.garbage_bytes == 4 and splitter.buffered == 2
    # Shared delimiters: 7e frame 7e frame 7e.
    assert FrameSplitter().feed(one[:-1] + two) == [one[1:-1], two[1:-1]]
    small = FrameSplitter(max_frame=32)
    assert small.feed(b"\x7e" + b"\x01" * 100) == []
    assert small.buffered == 0 and small.overflows == 1
    assert small.feed(one) == [one[1:-1]]


# -- properties ------------------------------------------------------------------------------

phones_2013 = st.text("0123456789", min_size=1, max_size=12)
phones_2019 = st.text("0123456789", min_size=1, max_size=20)
times = st.datetimes(datetime(2000, 1, 1), datetime(2099, 12, 31, 23, 59, 59)).map(
    lambda t: t.replace(microsecond=0, tzinfo=CST)
)
KNOWN_EXTRAS = {0x01, 0x02, 0x03, 0x04, 0x25, 0x2A, 0x2B, 0x30, 0x31}
extras = st.builds(
    lambda raw, tenths: {**raw, **tenths},
    st.dictionaries(
        st.integers(0, 255).filter(lambda k: k not in KNOWN_EXTRAS), st.binary(max_size=20)
    ),
    st.dictionaries(
        st.sampled_from([0x01, 0x02, 0x03]), st.integers(0, 0xFFFF).map(lambda v: v / 10)
    ),
)
locations = st.builds(
    Location,
    alarm=st.integers(0, 2**32 - 1),
    status=st.integers(0, 2**32 - 1),
    lat=st.integers(-90_000_000, 90_000_000).map(lambda v: v / 1e6),
    lon=st.integers(-180_000_000, 180_000_000).map(lambda v: v / 1e6),
    altitude_m=st.integers(0, 0xFFFF),
    speed_kmh=st.integers(0, 0xFFFF).map(lambda v: v / 10),
    heading=st.integers(0, 359),
    time=times,
    extras=extras,
)


@given(st.binary(max_size=200))
def test_escape_round_trip(data: bytes) -> None:
    wire = escape(data)
    assert b"\x7e" not in wire
    assert unescape(wire) == data


@given(st.binary(max_size=3000))
def test_checksum_is_xor(data: bytes) -> None:
    assert checksum(data) == functools.reduce(operator.xor, data, 0)


@given(
    st.integers(0, 0xFFFF),
    st.integers(0, 0xFFFF),
    st.binary(max_size=1023),
    st.sampled_from([2013, 2019]),
    st.data(),
)
def test_frame_round_trip(
    msg_id: int, serial: int, body: bytes, version: int, data: st.DataObject
) -> None:
    phone = data.draw(phones_2013 if version == 2013 else phones_2019)
    total = data.draw(st.integers(1, 9))
    packet = data.draw(st.none() | st.integers(1, total).map(lambda index: (total, index)))
    wire = encode_frame(msg_id, phone, serial, body, version=version, packet=packet)
    frame = decode_frame(wire)
    h = frame.header
    assert frame.checksum_ok and frame.body == body
    assert (h.msg_id, h.serial, h.version, h.body_length) == (msg_id, serial, version, len(body))
    assert h.phone == phone.rjust(12 if version == 2013 else 20, "0")
    assert h.subpackage == (packet is not None)
    if packet is not None:
        assert (h.packet_total, h.packet_index) == packet


@given(locations)
def test_location_round_trip(loc: Location) -> None:
    decoded = decode_body(0x0200, encode_body(loc))
    assert isinstance(decoded, Location)
    # The hemisphere bits follow the signs of the coordinates, whatever the status said.
    expected_status = loc.status & ~0b1100 | (loc.lat < 0) << 2 | (loc.lon < 0) << 3
    assert decoded.status == expected_status
    assert (decoded.lat, decoded.lon) == (loc.lat, loc.lon)
    assert (decoded.altitude_m, decoded.speed_kmh, decoded.heading) == (
        loc.altitude_m,
        loc.speed_kmh,
        loc.heading,
    )
    assert decoded.time == loc.time and decoded.extras == loc.extras


@given(st.binary(max_size=300))
def test_arbitrary_frames_raise_only_codec_errors(data: bytes) -> None:
    try:
        frame = decode_frame(data)
        decode_body(frame.header.msg_id, frame.body, frame.header.version)
    except CodecError:
        pass


@given(
    st.sampled_from([0x0001, 0x0100, 0x0102, 0x0200, 0x0704, 0x8001, 0x8100]),
    st.binary(max_size=300),
    st.sampled_from([2013, 2019]),
)
def test_arbitrary_bodies_raise_only_codec_errors(msg_id: int, body: bytes, version: int) -> None:
    with contextlib.suppress(CodecError):
        decode_body(msg_id, body, version)


garbage = st.binary(max_size=20).map(lambda b: b.replace(b"\x7e", b""))


@settings(max_examples=200)
@given(
    st.lists(st.tuples(st.binary(max_size=40), garbage), max_size=6),
    st.lists(st.integers(1, 64), min_size=1, max_size=20),
)
def test_splitter_chunking_does_not_matter(
    pieces: list[tuple[bytes, bytes]], cuts: list[int]
) -> None:
    frames = [encode_frame(0x0200, "13800138000", i, body) for i, (body, _) in enumerate(pieces)]
    stream = b"".join(frame + junk for frame, (_, junk) in zip(frames, pieces, strict=True))
    # Garbage between two frames comes out as a candidate frame (that will fail to decode);
    # garbage after the last frame waits for a delimiter.
    expected: list[bytes] = []
    for i, (frame, (_, junk)) in enumerate(zip(frames, pieces, strict=True)):
        expected.append(frame[1:-1])
        if junk and i + 1 < len(frames):
            expected.append(junk)
    splitter, got, pos, i = FrameSplitter(), [], 0, 0
    while pos < len(stream):
        step = cuts[i % len(cuts)]
        got += splitter.feed(stream[pos : pos + step])
        pos, i = pos + step, i + 1
    assert got == expected


@given(st.binary(max_size=MAX_FRAME * 2), st.integers(1, 128))
def test_splitter_never_holds_more_than_a_frame(data: bytes, step: int) -> None:
    splitter = FrameSplitter()
    for pos in range(0, len(data), step):
        for raw in splitter.feed(data[pos : pos + step]):
            assert 0 < len(raw) <= MAX_FRAME
        assert splitter.buffered <= MAX_FRAME


def test_event_ids_are_deterministic() -> None:
    _, loc = located(SMALLCHI_0200)
    _, again = located(SMALLCHI_0200)
    assert position_event_id("112233445566", loc) == position_event_id("112233445566", again)
    moved = dataclasses.replace(loc, lat=12.0)
    assert position_event_id("112233445566", moved) != position_event_id("112233445566", loc)

"""Decode throughput of JT/T 808 location frames, against a naive decoder in the same run.

    .venv/bin/python bench/bench_jt808.py [--frames 20000] [--rounds 5]

Prints frames/s for the codec (frame + 0x0200 body, and the same through ``FrameSplitter`` over
one byte stream) and for the baseline: a byte-at-a-time unescape and check code, one
``struct.unpack`` per field and ``strptime`` for the time, as a first-draft decoder would.
The ratio, not the absolute figure, is what compares across machines.
"""

from __future__ import annotations

import argparse
import random
import struct
import time
from collections.abc import Callable
from datetime import datetime, timedelta

from zhian.gateways.jt808.codec import FrameSplitter, decode_frame, encode_frame
from zhian.gateways.jt808.location import CST, Location, decode_location, encode_location


def make_frames(count: int, seed: int = 808) -> list[bytes]:
    """Realistic 0x0200 frames: both versions, mileage/fuel/speed extras, some needing escapes."""
    rng = random.Random(seed)
    start = datetime(2024, 5, 1, 8, 0, tzinfo=CST)
    frames = []
    for i in range(count):
        loc = Location(
            rng.choice((0, 0, 0, 1, 2)),
            0b11 | 1 << 18,
            34.0 + rng.random(),
            109.0 + rng.random(),
            rng.randrange(300, 600),
            round(rng.uniform(0, 90), 1),
            rng.randrange(360),
            start + timedelta(seconds=i),
            {0x01: rng.randrange(100000) / 10, 0x02: rng.randrange(5000) / 10, 0x03: 40.0},
        )
        version = 2019 if i % 2 else 2013
        phone = "13800138000" if version == 2013 else "13912344329"
        body = encode_location(loc)
        frames.append(encode_frame(0x0200, phone, i & 0xFFFF, body, version=version))
    return frames


def naive_decode(frame: bytes) -> tuple[object, ...]:
    """The baseline: straightforward, per-byte and per-field."""
    data = bytearray()
    i, raw = 0, frame[1:-1]
    while i < len(raw):
        b = raw[i]
        if b == 0x7D:
            data.append(0x7E if raw[i + 1] == 0x02 else 0x7D)
            i += 2
        else:
            data.append(b)
            i += 1
    check = 0
    for b in data[:-1]:
        check ^= b
    if check != data[-1]:
        raise ValueError("checksum")
    (attrs,) = struct.unpack(">H", data[2:4])
    pos = 17 if attrs & 0x4000 else 12
    phone = data[5:15].hex() if attrs & 0x4000 else data[4:10].hex()
    body = bytes(data[pos:-1])
    (alarm,) = struct.unpack(">I", body[0:4])
    (status,) = struct.unpack(">I", body[4:8])
    (lat,) = struct.unpack(">I", body[8:12])
    (lon,) = struct.unpack(">I", body[12:16])
    (alt,) = struct.unpack(">H", body[16:18])
    (speed,) = struct.unpack(">H", body[18:20])
    (heading,) = struct.unpack(">H", body[20:22])
    when = datetime.strptime(body[22:28].hex(), "%y%m%d%H%M%S").replace(tzinfo=CST)
    extras = {}
    p = 28
    while p < len(body):
        item, size = body[p], body[p + 1]
        extras[item] = body[p + 2 : p + 2 + size]
        p += 2 + size
    return phone, alarm, status, lat / 1e6, lon / 1e6, alt, speed / 10, heading, when, extras


def codec_decode(frame: bytes) -> Location:
    """What the gateway does per frame."""
    return decode_location(decode_frame(frame).body)


def stream_decode(stream: bytes) -> int:
    """Split one long byte stream into frames and decode each."""
    splitter = FrameSplitter()
    count = 0
    for start in range(0, len(stream), 4096):
        for raw in splitter.feed(stream[start : start + 4096]):
            decode_location(decode_frame(raw).body)
            count += 1
    return count


def rate(fn: Callable[[], int], rounds: int) -> float:
    """Best frames/s over ``rounds`` runs."""
    best = 0.0
    for _ in range(rounds):
        t0 = time.perf_counter()
        n = fn()
        best = max(best, n / (time.perf_counter() - t0))
    return best


def main() -> int:
    """Run the benchmark and print figures."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--frames", type=int, default=20000)
    parser.add_argument("--rounds", type=int, default=5)
    args = parser.parse_args()
    frames = make_frames(args.frames)
    for frame in frames[:200]:  # both decoders must agree before their speed means anything
        a, b = codec_decode(frame), naive_decode(frame)
        assert (a.lat, a.lon, a.speed_kmh, a.time) == (b[3], b[4], b[6], b[8])
    stream = b"".join(frames)

    def run_codec() -> int:
        """Decode every frame with the codec."""
        for f in frames:
            codec_decode(f)
        return len(frames)

    def run_naive() -> int:
        """Decode every frame with the baseline."""
        for f in frames:
            naive_decode(f)
        return len(frames)

    codec = rate(run_codec, args.rounds)
    streamed = rate(lambda: stream_decode(stream), args.rounds)
    naive = rate(run_naive, args.rounds)
    print(f"frames: {len(frames)}, mean size {len(stream) / len(frames):.1f} bytes")
    print(f"codec  decode_frame + decode_location : {codec:12,.0f} frames/s")
    print(f"codec  FrameSplitter stream + decode  : {streamed:12,.0f} frames/s")
    print(f"naive  baseline (same run)            : {naive:12,.0f} frames/s")
    print(f"ratio  codec / naive                  : {codec / naive:6.2f}x")
    print(f"ratio  stream / naive                 : {streamed / naive:6.2f}x")
    target = 100_000
    print(f"target >= {target:,} frames/s: {'met' if codec >= target else 'NOT met'}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

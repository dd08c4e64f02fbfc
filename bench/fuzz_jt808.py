"""Fuzz the JT/T 808 codec: random and mutated inputs must raise nothing but CodecError.

    .venv/bin/python bench/fuzz_jt808.py [count=1000000] [--seed N]

Inputs are random bytes, valid frames with bytes flipped, cut, duplicated or inserted, and —
so that the body decoders see hostile bodies, not just bad check codes — mutated bodies
re-framed with a correct check code. Each goes through ``decode_frame``, ``decode_body``
(and sometimes ``FrameSplitter``, ``Reassembler`` and the ``decode`` tool). Exits 1 on any
other exception or if one input takes more than a second (a SIGALRM watchdog catches hangs).
"""

from __future__ import annotations

import argparse
import random
import signal
import sys
import time
import traceback
from collections import Counter
from datetime import datetime
from types import FrameType

from zhian.gateways.jt808.codec import (
    CodecError,
    FrameSplitter,
    Reassembler,
    checksum,
    decode_frame,
    encode_frame,
    escape,
    unescape,
)
from zhian.gateways.jt808.messages import (
    CONFIRM_EMERGENCY,
    CONFIRMABLE_ALARMS,
    CST,
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
from zhian.gateways.jt808.tool import decode_line

IDS = (0x0001, 0x0002, 0x0003, 0x0100, 0x0102, 0x0200, 0x0704, 0x8001, 0x8100, 0x8203, 0x0900)
LIMIT_S = 1.0


class Hang(Exception):
    """Raised by the watchdog when one input runs past the limit."""


def _alarm(signum: int, frame: FrameType | None) -> None:
    raise Hang


def seeds() -> list[tuple[int, bytes, int]]:
    """Valid (msg_id, body, version) triples to mutate."""
    when = datetime(2024, 5, 1, 8, 0, tzinfo=CST)
    extras = {1: 1234.5, 2: 50.0, 3: 40.0, 0x99: b"x"}
    loc = Location(1, 3, 34.5, 109.5, 400, 42.5, 90, when, extras)
    out: list[tuple[int, bytes, int]] = []
    for version in (2013, 2019):
        batch = LocationBatch(1, (loc, loc))
        reg = Register(61, 500, "ZHIAN", "SIM808", "T1", 2, "陕E12345")
        for msg_id, message in (
            (0x0200, loc),
            (0x0704, batch),
            (0x0100, reg),
            (0x0102, Authenticate("code", "860000000000001", "v1")),
            (0x0001, GeneralResponse(1, 0x8103, 0)),
            (0x8001, GeneralResponse(1, 0x0200, 0)),
            (0x8100, RegisterResponse(1, 0, "abc")),
            (0x8203, AlarmConfirmation(0, CONFIRM_EMERGENCY)),
            (0x8203, AlarmConfirmation(0x7E7D, CONFIRMABLE_ALARMS)),
        ):
            out.append((msg_id, encode_body(message, version), version))
        out.append((0x0002, b"", version))
    return out


def mutate(rng: random.Random, data: bytes) -> bytes:
    """One to four random edits."""
    buf = bytearray(data)
    for _ in range(rng.randint(1, 4)):
        op = rng.randrange(6)
        pos = rng.randrange(len(buf) + 1)
        if op == 0 and buf:
            buf[min(pos, len(buf) - 1)] ^= 1 << rng.randrange(8)
        elif op == 1 and buf:
            buf[min(pos, len(buf) - 1)] = rng.choice((0x00, 0x7D, 0x7E, 0xFF, rng.randrange(256)))
        elif op == 2:
            del buf[pos : pos + rng.randint(1, 8)]
        elif op == 3:
            buf[pos:pos] = rng.randbytes(rng.randint(1, 8))
        elif op == 4 and buf:
            start = rng.randrange(len(buf))
            buf[pos:pos] = buf[start : start + rng.randint(1, 16)]
        else:
            buf = buf[: rng.randrange(len(buf) + 1)]
    return bytes(buf)


def reframe(msg_id: int, version: int, body: bytes, serial: int) -> bytes:
    """A well-framed message around a hostile body (correct length and check code)."""
    try:
        return encode_frame(msg_id, "13800138000", serial, body[:1023], version=version)
    except CodecError:
        return b""


def one(rng: random.Random, pool: list[tuple[int, bytes, int]], kinds: Counter[str]) -> None:
    """Generate and push one input through the codec."""
    r = rng.random()
    msg_id, body, version = rng.choice(pool)
    if r < 0.2:
        kinds["random"] += 1
        data = rng.randbytes(rng.randint(0, 120))
    elif r < 0.5:
        kinds["mutated_frame"] += 1
        data = mutate(rng, encode_frame(msg_id, "13800138000", 7, body, version=version))
    else:
        kinds["mutated_body"] += 1
        target = rng.choice(IDS) if rng.random() < 0.2 else msg_id
        data = reframe(target, version, mutate(rng, body), rng.randrange(65536))
    try:
        frame = decode_frame(data)
        decode_body(frame.header.msg_id, frame.body, frame.header.version)
        kinds["decoded"] += 1
    except CodecError:
        kinds["codec_error"] += 1
    roll = rng.random()
    if roll < 0.02:
        splitter = FrameSplitter(max_frame=rng.choice((16, 64, 4096)))
        for cut in range(0, len(data) + 1, rng.randint(1, 16)):
            splitter.feed(data[cut : cut + 16])
    elif roll < 0.04:
        decode_line(data.hex(" ") if rng.random() < 0.5 else data.decode("latin-1"))
    elif roll < 0.05:
        if unescape(escape(data)) != data:
            raise AssertionError("escape round trip failed")
        checksum(data)
        try:
            reasm = Reassembler(ttl=1.0, max_pending=2, max_bytes=256)
            sub = encode_frame(msg_id, "1", 1, body[:64], packet=(rng.randint(1, 3), 1))
            reasm.feed(decode_frame(mutate(rng, sub)), rng.random() * 3)
        except CodecError:
            pass


def main() -> int:
    """Run the fuzzer; print counts; exit 1 on failure."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("count", nargs="?", type=int, default=1_000_000)
    parser.add_argument("--seed", type=int, default=808)
    args = parser.parse_args()
    rng = random.Random(args.seed)
    pool = seeds()
    kinds: Counter[str] = Counter()
    signal.signal(signal.SIGALRM, _alarm)
    failures = 0
    slowest = 0.0
    started = time.perf_counter()
    for i in range(args.count):
        signal.setitimer(signal.ITIMER_REAL, LIMIT_S * 2)
        t0 = time.perf_counter()
        try:
            one(rng, pool, kinds)
        except Hang:
            failures += 1
            print(f"input {i}: hang (> {LIMIT_S * 2:.0f} s)", file=sys.stderr)
        except Exception:
            failures += 1
            print(f"input {i}: unexpected exception", file=sys.stderr)
            traceback.print_exc()
        finally:
            signal.setitimer(signal.ITIMER_REAL, 0)
        took = time.perf_counter() - t0
        slowest = max(slowest, took)
        if took > LIMIT_S:
            failures += 1
            print(f"input {i}: took {took:.2f} s", file=sys.stderr)
        if failures >= 20:
            break
    elapsed = time.perf_counter() - started
    print(f"inputs: {sum(kinds[k] for k in ('random', 'mutated_frame', 'mutated_body')):,}")
    for key in ("random", "mutated_frame", "mutated_body", "decoded", "codec_error"):
        print(f"  {key:14s} {kinds[key]:>10,}")
    print(f"elapsed {elapsed:.1f} s, slowest input {slowest * 1000:.2f} ms, failures {failures}")
    return 1 if failures else 0


if __name__ == "__main__":
    raise SystemExit(main())

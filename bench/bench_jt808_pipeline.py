"""Positions stored per second, end to end: TCP → JT/T 808 gateway → bus → transport consumer
→ database, with thousands of terminals connected at once.

    .venv/bin/python bench/bench_jt808_pipeline.py [--terminals 5000] [--fixes 10]
        [--bursts 3] [--duration 60] [--direct 500] [--batch 1000] [--database-url URL]
        [--default-gc]

The gateway, the in-process bus and both consumers of ``jt808.position`` (transport's rules
and storage, dispatch's patrol-car positions) run in this process on uvloop, with the garbage
collector tuned as ``zhian serve`` tunes it (``core.runtime``; ``--default-gc`` keeps the
defaults). The terminals run in a child process (asyncio, one connection each) so that they
do not share this process's core. Every terminal authenticates first; then, ``--bursts``
times, each sends its next ``--fixes`` fixes (0x0200, pipelined) and the bench waits until
all are stored or ``--duration`` seconds have passed, counting rows in
``transport_position``. Each burst is printed; the summary is the median and the best.

Baselines measured in the same run, on the same kind of frames and database:

- decode only: ``decode_frame`` + ``decode_body`` of the same frames (the gateway's ceiling);
- direct: the consumer's effect for one event (``apply_once`` + ``position_effect``, one
  transaction per fix: what the bus's per-event fallback costs) called in a loop;
- direct batch path: ``apply_batch`` with the whole-batch effect, ``POSITIONS_BATCH`` fixes
  per transaction (what the consumer does), no TCP and no bus.

Besides the rate, it prints the platform process's CPU time per stored position (event loop
and consumers' threads together): on a shared machine the wall-clock rate says as much about
the neighbours as about the code, and 1e6 / that figure is what one core would sustain
(fsync waits excluded). The load average is printed at the start and the end. The two cores
of this machine are shared: with another process busy, the same code measures 20-40% more
CPU per position and a lower rate, so figures are taken on the quiet machine.

Target (issue 5): >= 10,000 positions/s stored with 5,000 terminals connected, on one core.
The default database is a fresh SQLite file (WAL, synchronous=FULL, as deployed); pass
``--database-url`` for an empty PostgreSQL database.

Where it stands, 29 November 2026, SQLite, quiet machine (load 0.3-1.5), default
arguments: 12,231 positions/s end to end, median of three bursts of 50,000 (best 12,535);
71 us of platform CPU per stored position (one core: ~14,000/s); the batch path alone
20,767/s; decode 256,584 frames/s (an earlier run of the day: 11,006/s median, 80 us). With
the collector's defaults (``--default-gc``), same run shape: 8,495/s, 107 us. PostgreSQL 15
on the same two cores (``--database-url``; the server's own CPU competes for them and is not
counted): 9,100-10,300/s median over six runs (best bursts ~10,600), 80-95 us; batch path
12,500-15,800/s. With transport_vehicle's fillfactor at 70 (migration 0024, HOT updates of
the motion state) against 100, alternated: 9,891 and 9,511/s against 9,144 and 9,014/s. At the
start of the day the pipeline stored 205/s, and 4,346/s at the end of the previous session
(199 us of CPU per position). What made the difference, measured one change at a time:
the garbage collector (a fifth of the CPU was young and full collections walking the bus's
retained log and 5,000 sessions: ``core.runtime.tune_collector``); the consumer's batch
applied as one unit; no bus key for positions (a fix is unique by vehicle, time and event
id, and only fixes not newer than their vehicle's newest are looked up: the old unique
index on the event id alone was written at a random place for every fix); lists bound as
one parameter (``core.db.one_of``) instead of a thousand placeholders; the in-memory bus
trimming its log in constant time (each burst after the log filled was slower than the
last); the dispatch consumer reading only patrol cars' fixes, 2,000 a batch. Where the time
goes now (py-spy and per-thread CPU): the event loop ~35-45 us a fix (decode and
normalisation ~13 us, bus publish ~3 us, the per-read asyncio and socket work of 5,000
connections including ~5 us of loopback send per answered fix), the consumers' threads
~35 us (the rules, the executemany rows and the commit). In a burst the two run mostly one
after the other: the 5,000 sessions' reads become ready in the same turn of the event
loop, and the consumer's next batch waits for that turn to end.
"""

from __future__ import annotations

import argparse
import asyncio
import hashlib
import os
import random
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import uvloop
from sqlalchemy import func, insert, select
from sqlalchemy.orm import Session, sessionmaker

AUTH_CODE = "bench-808"
PORT_LINE = "port "


def phone_of(i: int) -> str:
    """Terminal number of bench terminal ``i``."""
    return f"1370{i:07d}"


def location_frames(i: int, count: int, start: datetime, serial0: int = 2) -> bytes:
    """``count`` 0x0200 frames of terminal ``i``, one second apart, in one byte string."""
    from zhian.gateways.jt808.codec import encode_frame
    from zhian.gateways.jt808.location import CST, Location, encode_location
    from zhian.gateways.jt808.messages import LOCATION

    rng = random.Random(i)
    lon, lat = 109.3 + rng.random() * 0.5, 34.45 + rng.random() * 0.3
    out = []
    for k in range(count):
        loc = Location(
            0,
            0b11,
            round(lat + k * 1e-4, 6),
            round(lon + k * 1e-4, 6),
            400,
            55.0,
            90,
            (start + timedelta(seconds=k)).astimezone(CST),
            {0x01: 1000.0 + k / 10},
        )
        out.append(encode_frame(LOCATION, phone_of(i), serial0 + k, encode_location(loc)))
    return b"".join(out)


# --- the terminals (child process) -----------------------------------------------------------


async def _terminals(host: str, port: int, first: int, count: int, fixes: int) -> None:
    from zhian.gateways.jt808.codec import FrameSplitter, encode_frame
    from zhian.gateways.jt808.messages import AUTHENTICATE, Authenticate, encode_body

    gate = asyncio.Semaphore(200)  # connection ramp: a real fleet does not connect at once

    async def connect(i: int) -> tuple[asyncio.StreamReader, asyncio.StreamWriter]:
        async with gate:
            reader, writer = await asyncio.open_connection(host, port)
            body = encode_body(Authenticate(AUTH_CODE), 2013)
            writer.write(encode_frame(AUTHENTICATE, phone_of(i), 1, body))
            await writer.drain()
            splitter = FrameSplitter()
            while not list(splitter.feed(await reader.read(4096))):
                pass
            return reader, writer

    t0 = time.perf_counter()
    conns = await asyncio.gather(*(connect(first + n) for n in range(count)))
    print(f"ready {count} {time.perf_counter() - t0:.2f}", flush=True)

    async def send(n: int, payload: bytes) -> None:
        _, writer = conns[n]
        writer.write(payload)
        await writer.drain()

    async def drain_acks(reader: asyncio.StreamReader) -> None:
        while await reader.read(65536):
            pass

    readers = [asyncio.create_task(drain_acks(r)) for r, _ in conns]
    start = datetime.now(UTC).replace(microsecond=0) - timedelta(hours=1)
    burst = 0
    # One burst per "go": each terminal's next ``fixes`` fixes, later than the last burst's.
    while (await asyncio.get_running_loop().run_in_executor(None, sys.stdin.readline)) == "go\n":
        at = start + timedelta(seconds=burst * fixes)
        payloads = [location_frames(first + n, fixes, at, 2 + burst * fixes) for n in range(count)]
        await asyncio.gather(*(send(n, payloads[n]) for n in range(count)))
        burst += 1
        print("sent", flush=True)
    for _, writer in conns:
        writer.close()
    for task in readers:
        task.cancel()


# --- the platform (this process) ------------------------------------------------------------


def prepare(url: str, terminals: int, spare: int) -> sessionmaker[Session]:
    """Migrate, load the divisions, provision ``terminals + spare`` registered vehicles."""
    from zhian.core.db import check_durability, make_engine, make_sessionmaker, unit_of_work
    from zhian.core.migrate import upgrade
    from zhian.domains.places import service as places
    from zhian.domains.transport.models import Vehicle

    upgrade(url)
    engine = make_engine(url)
    check_durability(engine)
    factory = make_sessionmaker(engine)
    digest = hashlib.sha256(AUTH_CODE.encode()).hexdigest()
    now = datetime.now(UTC)
    with unit_of_work(factory) as session:
        places.load_weinan_profile(session)
        session.execute(
            insert(Vehicle),
            [
                {
                    "plate": f"陕B{i:05d}",
                    "plate_color": 2,
                    "terminal_phone": phone_of(i).lstrip("0"),
                    "division": "610502",
                    "hazard_classes": "3",
                    "body_type": "tank",
                    "is_police_unit": False,
                    "auth_code_hash": digest,
                    "registered_at": now,
                    "created_at": now,
                    "updated_at": now,
                }
                for i in range(terminals + spare)
            ],
        )
    return factory


def stored(factory: sessionmaker[Session]) -> int:
    """Rows in transport_position."""
    from zhian.domains.transport.models import Position

    with factory() as session:
        return session.scalar(select(func.count(Position.id))) or 0


def newest_id(factory: sessionmaker[Session]) -> int:
    """The highest position id: one index probe, so the bench can look often. Ids can skip
    (a rolled-back batch on PostgreSQL), so it only says when to count."""
    from zhian.domains.transport.models import Position

    with factory() as session:
        return session.scalar(select(func.max(Position.id))) or 0


def decode_rate(frames: bytes, rounds: int = 3) -> float:
    """Frames/s of decode_frame + decode_body over the same frames, best of ``rounds``."""
    from zhian.gateways.jt808.codec import FrameSplitter, decode_frame
    from zhian.gateways.jt808.messages import decode_body

    raw = list(FrameSplitter().feed(frames))
    best = 0.0
    for _ in range(rounds):
        t0 = time.perf_counter()
        for r in raw:
            frame = decode_frame(r)
            decode_body(frame.header.msg_id, frame.body, frame.header.version)
        best = max(best, len(raw) / (time.perf_counter() - t0))
    return best


def _events(first: int, vehicles: int, fixes: int, *, hours_ago: int) -> list[Any]:
    """The position events the gateway would publish for these vehicles' fixes."""
    from zhian.core.bus import Event
    from zhian.domains.transport.consumers import SUBJECT
    from zhian.gateways.jt808.codec import FrameSplitter, decode_frame
    from zhian.gateways.jt808.location import Location
    from zhian.gateways.jt808.messages import decode_body
    from zhian.gateways.jt808.normalize import position_event, position_event_id

    start = datetime.now(UTC).replace(microsecond=0) - timedelta(hours=hours_ago)
    events = []
    for i in range(first, first + vehicles):
        for r in FrameSplitter().feed(location_frames(i, fixes, start)):
            frame = decode_frame(r)
            loc = decode_body(frame.header.msg_id, frame.body)
            assert isinstance(loc, Location)
            phone = frame.header.phone
            data = position_event(phone, loc, version=2013, serial=frame.header.serial)
            events.append(Event.new(SUBJECT, "bench", data, id=position_event_id(phone, loc)))
    return events


def direct_rate(factory: sessionmaker[Session], first: int, vehicles: int, fixes: int) -> float:
    """Positions/s of the consumer's effect called directly, one transaction per fix."""
    from zhian.core.bus.consumer import apply_once
    from zhian.domains.transport.consumers import CONSUMER, position_effect
    from zhian.domains.transport.rules import AlertRules

    effect = position_effect(AlertRules())
    events = _events(first, vehicles, fixes, hours_ago=3)
    t0 = time.perf_counter()
    for event in events:
        apply_once(CONSUMER, factory, effect, event)
    return len(events) / (time.perf_counter() - t0)


def batch_rate(factory: sessionmaker[Session], first: int, vehicles: int, fixes: int) -> float:
    """Positions/s of the consumer's batch path called directly: ``apply_batch`` with the
    whole-batch effect, ``POSITIONS_BATCH`` fixes per transaction, no TCP and no bus."""
    from zhian.core.bus.consumer import apply_batch
    from zhian.domains.transport.consumers import (
        CONSUMER,
        POSITIONS_BATCH,
        position_effect,
        positions_effect,
    )
    from zhian.domains.transport.rules import AlertRules

    rules = AlertRules()
    # Fix k of every vehicle before fix k + 1 of any, as terminals reporting together do.
    events = _events(first, vehicles, fixes, hours_ago=6)
    ordered = [events[v * fixes + k] for k in range(fixes) for v in range(vehicles)]
    t0 = time.perf_counter()
    for n in range(0, len(ordered), POSITIONS_BATCH):
        chunk = ordered[n : n + POSITIONS_BATCH]
        failed = apply_batch(
            CONSUMER,
            factory,
            position_effect(rules),
            chunk,
            whole=positions_effect(rules),
            keyed=False,  # as the consumer runs
        )
        assert not failed, failed
    return len(ordered) / (time.perf_counter() - t0)


async def pipeline(
    factory: sessionmaker[Session],
    terminals: int,
    fixes: int,
    duration: float,
    *,
    bursts: int,
    tuned: bool,
) -> dict[str, Any]:
    """Run the gateway, bus and consumers here and the terminals in a child process; time
    ``bursts`` bursts of ``fixes`` fixes from every terminal, one after the other."""
    from zhian.app import start_jt808
    from zhian.core.bus.memory import InMemoryBus
    from zhian.core.runtime import tune_collector
    from zhian.domains.incidents import consumers as avl
    from zhian.domains.transport import consumers
    from zhian.domains.transport.rules import AlertRules

    total = terminals * fixes
    if tuned:
        tune_collector()  # as ``zhian serve`` does once the app is built
    bus = InMemoryBus(max_messages=max(100_000, 2 * total))
    await bus.start()
    await consumers.subscribe(bus, factory, AlertRules())
    await avl.subscribe(bus, factory)  # dispatch's consumer of the same fixes, as in serve
    server = await start_jt808(bus, factory, host="127.0.0.1", port=0)
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(sys.path)}
    child = await asyncio.create_subprocess_exec(
        sys.executable,
        __file__,
        "--terminals-at",
        f"127.0.0.1:{server.port}",
        "--terminals",
        str(terminals),
        "--fixes",
        str(fixes),
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        env=env,
    )
    assert child.stdin is not None and child.stdout is not None
    out: dict[str, Any] = {"bursts": []}
    try:
        line = (await child.stdout.readline()).decode().split()
        if not line or line[0] != "ready":
            raise RuntimeError(f"terminals failed to connect: {line}")
        out["connect_s"] = float(line[2])
        for _ in range(bursts):
            before, base = stored(factory), newest_id(factory)
            published0 = server.counters.positions_published
            child.stdin.write(b"go\n")
            await child.stdin.drain()
            t0, cpu0 = time.perf_counter(), time.process_time()
            published_at: float | None = None
            deadline = t0 + duration
            count = 0
            while time.perf_counter() < deadline:
                await asyncio.sleep(0.02)
                published = server.counters.positions_published - published0
                if published_at is None and published >= total:
                    published_at = time.perf_counter() - t0
                if await asyncio.to_thread(newest_id, factory) - base < total:
                    continue
                count = await asyncio.to_thread(stored, factory) - before
                if count >= total:
                    break
            elapsed, cpu = time.perf_counter() - t0, time.process_time() - cpu0
            out["bursts"].append(
                dict(
                    stored=count,
                    elapsed_s=elapsed,
                    cpu_s=cpu,
                    published=server.counters.positions_published - published0,
                    published_s=published_at or elapsed,
                )
            )
            await child.stdout.readline()  # the child's "sent": every byte is written
        child.stdin.write(b"stop\n")
        await child.stdin.drain()
        await asyncio.wait_for(child.wait(), 30)
    finally:
        if child.returncode is None:
            child.kill()
        await server.close()
        await bus.close()
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--terminals", type=int, default=5000)
    parser.add_argument("--fixes", type=int, default=10, help="fixes each terminal sends")
    parser.add_argument("--duration", type=float, default=60.0, help="a burst's time limit (s)")
    parser.add_argument("--bursts", type=int, default=3, help="bursts timed, one after another")
    parser.add_argument("--direct", type=int, default=500, help="fixes of the direct baseline")
    parser.add_argument("--batch", type=int, default=1000, help="vehicles of the batch baseline")
    parser.add_argument("--database-url", default=None, help="an EMPTY database; default SQLite")
    parser.add_argument(
        "--default-gc",
        action="store_true",
        help="keep the garbage collector's defaults (zhian serve tunes it: core.runtime)",
    )
    parser.add_argument("--terminals-at", default=None, help=argparse.SUPPRESS)  # the child
    args = parser.parse_args()

    if args.terminals_at:
        host, _, port = args.terminals_at.rpartition(":")
        asyncio.run(_terminals(host, int(port), 0, args.terminals, args.fixes))
        return

    with tempfile.TemporaryDirectory() as tmp:
        url = args.database_url or f"sqlite:///{Path(tmp) / 'bench.db'}"
        spare = max(1, args.direct // 10)
        factory = prepare(url, args.terminals, spare + args.batch)
        backend = factory.kw["bind"].dialect.name
        print(f"database: {backend}; {args.terminals} terminals x {args.fixes} fixes")
        print("load average at start: {:.1f} {:.1f} {:.1f}".format(*os.getloadavg()))

        sample = b"".join(location_frames(i, args.fixes, datetime.now(UTC)) for i in range(500))
        decoded = decode_rate(sample)
        direct = direct_rate(factory, args.terminals, spare, 10)
        batched = batch_rate(factory, args.terminals + spare, args.batch, 10)
        print(f"baseline decode only:           {decoded:12,.0f} frames/s")
        print(
            f"baseline direct record_position: {direct:11,.0f} positions/s (one transaction each)"
        )
        print(f"baseline direct batch path:     {batched:12,.0f} positions/s (no TCP, no bus)")

        # The event loop ``zhian serve`` runs on: uvicorn takes uvloop when it is installed
        # (uvicorn[standard] brings it).
        r = uvloop.run(
            pipeline(
                factory,
                args.terminals,
                args.fixes,
                args.duration,
                bursts=args.bursts,
                tuned=not args.default_gc,
            )
        )
        total = args.terminals * args.fixes
        print(f"terminals connected and authenticated: {args.terminals} in {r['connect_s']:.1f} s")
        rates, pers = [], []
        for n, b in enumerate(r["bursts"], 1):
            rate = b["stored"] / b["elapsed_s"] if b["elapsed_s"] else 0.0
            # What one core would sustain: the platform process's CPU time (event loop,
            # consumers' threads) per stored position. It leaves out the fsync waits, which
            # overlap with the gateway's work, and the other processes loading the machine.
            per = b["cpu_s"] / b["stored"] * 1e6 if b["stored"] else float("nan")
            rates.append(rate)
            pers.append(per)
            done = "all" if b["stored"] >= total else f"{b['stored']:,.0f} (time limit)"
            print(
                f"burst {n}: published {b['published']:,.0f} in {b['published_s']:.2f} s, stored"
                f" {done} in {b['elapsed_s']:.2f} s: {rate:,.0f} positions/s;"
                f" {per:.0f} us of CPU per position ({b['cpu_s']:.1f} s)"
            )
        rate, per = statistics.median(rates), statistics.median(pers)
        print(
            f"pipeline TCP -> stored:         {rate:12,.0f} positions/s, median of {len(rates)}"
            f" bursts (best {max(rates):,.0f}; target >= 10,000)"
        )
        print(
            f"platform CPU per stored position: {per:.0f} us, median (one core: {1e6 / per:,.0f}/s)"
        )
        print(
            f"ratio pipeline / direct: {rate / direct:.2f}; pipeline / batch path:"
            f" {rate / batched:.2f}; pipeline / decode: {rate / decoded:.4f}"
        )
        print("load average at end: {:.1f} {:.1f} {:.1f}".format(*os.getloadavg()))
        factory.kw["bind"].dispose()


if __name__ == "__main__":
    main()

"""The live board's query for one viewer with 1,000,000 past incidents in the database.

Target (issue 4): the live board's query <= 50 ms with 1,000,000 past incidents. The board and
its event stream run ``board.stamp`` every poll and ``board.snapshot`` when the stamp moves, so
both are timed, for a city-wide viewer (610500) and a county viewer (临渭区 610502), over a
database of ``PAST`` cleared or cancelled incidents spread over a year, a few hundred open
ones, ``UNITS`` units (some off duty) and a few dozen open alerts.

On PostgreSQL the statements are prepared after a few executions and then planned without
their parameters; the partial index on open incidents (migration 0015) keeps that generic plan
on the few open rows (before it, the snapshot went from ~30 ms to ~400 ms after ten calls).

The baseline, measured in the same run on the same database, is the naive board: read every
incident's id, status, division and update time and keep the open, visible ones in Python.

Building the entries was most of a snapshot (the issue's 114.7 ms p99 city-wide on SQLite).
The board now reads Core rows, resolves labels once per language, reuses its statements per
scope, keeps the unit part per scope on the units' stamp and each unit's entry while its row
is unchanged (positions move the stamp all the time, so "units moved" is the usual case and
the one checked against the target), and the stream encodes the kept unit part once.

What holds now (2 CPUs shared with other work, load average 4-5; "before" is the code before
this change measured just after on the same database), city-wide, stamp + snapshot:
SQLite units moved median 13.7 ms, p99 34.4 ms (before: median 38.7, p99 82.9); PostgreSQL
units moved median 12.0 ms, p99 88 ms (before: median 39.7, p99 94.0) - the PostgreSQL p99
is a few load spikes out of 100 rounds (units kept: p99 20.3 ms) and was NOT met in that run.
County views: p99 10-21 ms on both. With JSON for the stream: city-wide median 23 ms.

    .venv/bin/python bench/bench_board.py [--past N] [--open N] [--units N] [--rounds N]
                                          [--database-url URL [--reuse]]

Without ``--database-url`` a temporary SQLite file is used. A database URL must name an
empty database the bench may migrate and fill (it is left filled); ``--reuse`` measures one
filled before.
"""

from __future__ import annotations

import argparse
import os
import tempfile
import time
from collections.abc import Callable
from datetime import timedelta
from typing import Any

import numpy as np
from sqlalchemy import insert, select
from sqlalchemy.orm import Session

from zhian.core.db import make_engine, make_sessionmaker, unit_of_work
from zhian.core.identity.roles import Role
from zhian.core.migrate import upgrade
from zhian.core.scope import Actor, can_see
from zhian.core.time import utcnow
from zhian.domains.incidents import board
from zhian.domains.incidents.choices import (
    AlertKind,
    IncidentStatus,
    IncidentType,
    UnitKind,
    UnitStatus,
)
from zhian.domains.incidents.models import Alert, Incident, Unit
from zhian.domains.places import service as places

TARGET_MS = 50.0
BATCH = 20_000
# Every county of the profile; the county viewer's (610502) and its zones get a larger share.
DIVISIONS = [
    "610502",
    "610502",
    "610502900",
    "610502901",
    "610503",
    "610522",
    "610523",
    "610524",
    "610525",
    "610526",
    "610527",
    "610528",
    "610581",
    "610582",
]
CITY = Actor(user_id=None, username="bench-city", role=Role.COMMANDER.value, division="610500")
COUNTY = Actor(user_id=None, username="bench-county", role=Role.DISPATCHER.value, division="610502")


def _incident_rows(
    rng: np.random.Generator, n: int, statuses: list[str], max_age_s: float
) -> list[dict[str, Any]]:
    now = utcnow()
    types = [t.value for t in IncidentType]
    age = rng.uniform(0, max_age_s, n)
    div = rng.integers(0, len(DIVISIONS), n)
    typ = rng.integers(0, len(types), n)
    stat = rng.integers(0, len(statuses), n)
    lon = 109.5 + rng.uniform(-0.5, 0.5, n)
    lat = 34.8 + rng.uniform(-0.4, 0.4, n)
    rows = []
    for i in range(n):
        received = now - timedelta(seconds=float(age[i]))
        status = statuses[int(stat[i])]
        done = status in (IncidentStatus.CLEARED.value, IncidentStatus.CANCELLED.value)
        rows.append(
            {
                "type": types[int(typ[i])],
                "priority": int(typ[i]) % 4 + 1,
                "status": status,
                "division": DIVISIONS[int(div[i])],
                "lon": float(lon[i]),
                "lat": float(lat[i]),
                "received_at": received,
                "cleared_at": received + timedelta(minutes=40) if done else None,
                "created_at": received,
                "updated_at": received + timedelta(minutes=40) if done else received,
            }
        )
    return rows


def seed(url: str, *, past: int, open_: int, units: int) -> float:
    """Migrate and fill the database; returns the seconds the bulk insert took."""
    rng = np.random.default_rng(2026)
    upgrade(url)
    engine = make_engine(url)
    try:
        with unit_of_work(make_sessionmaker(engine)) as session:
            places.load_weinan_profile(session)
        t0 = time.perf_counter()
        closed = [IncidentStatus.CLEARED.value] * 9 + [IncidentStatus.CANCELLED.value]
        indexes = list(Incident.__table__.indexes)
        with engine.begin() as conn:
            # Indexes are built once after the load rather than maintained row by row; they are
            # the model's own definitions, so the board runs on the schema it has in production.
            for index in indexes:
                index.drop(conn)
            for start in range(0, past, BATCH):
                rows = _incident_rows(rng, min(BATCH, past - start), closed, 365 * 86_400.0)
                rows.sort(key=lambda r: r["received_at"])  # ids follow time, as in service
                conn.execute(insert(Incident), rows)
            opened = [
                IncidentStatus.RECEIVED.value,
                IncidentStatus.DISPATCHED.value,
                IncidentStatus.EN_ROUTE.value,
                IncidentStatus.ON_SCENE.value,
            ]
            conn.execute(insert(Incident), _incident_rows(rng, open_, opened, 3 * 3600.0))
            for index in indexes:
                index.create(conn)
            now = utcnow()
            statuses = [s.value for s in UnitStatus]
            kinds = [k.value for k in UnitKind]
            conn.execute(
                insert(Unit),
                [
                    {
                        "callsign": f"U{i:05d}",
                        "kind": kinds[i % len(kinds)],
                        "crew_size": 2,
                        "capabilities": "",
                        "division": DIVISIONS[i % len(DIVISIONS)],
                        "lon": 109.5 + float(rng.uniform(-0.5, 0.5)),
                        "lat": 34.8 + float(rng.uniform(-0.4, 0.4)),
                        "position_at": now,
                        "status": statuses[i % len(statuses)],
                        "status_at": now,
                        "created_at": now,
                        "updated_at": now,
                    }
                    for i in range(units)
                ],
            )
            newest = conn.execute(
                select(Incident.id, Incident.division)
                .where(Incident.status == IncidentStatus.RECEIVED.value)
                .limit(40)
            ).all()
            conn.execute(
                insert(Alert),
                [
                    {
                        "kind": AlertKind.OVERDUE.value,
                        "division": division,
                        "incident_id": iid,
                        "message": f"警情 {iid} 超时未派",
                        "opened_at": now,
                        "created_at": now,
                        "updated_at": now,
                    }
                    for iid, division in newest
                ],
            )
        if url.startswith("postgresql"):
            with engine.connect() as conn:
                conn.exec_driver_sql("COMMIT")
                conn.exec_driver_sql("ANALYZE")
        return time.perf_counter() - t0
    finally:
        engine.dispose()


def naive_board(session: Session, *, actor: Actor) -> tuple[int, Any]:
    """The baseline: every incident read and filtered in Python (no index, no SQL filter)."""
    seen, newest = 0, None
    open_ = set(board.OPEN)
    for _id, status, division, updated in session.execute(
        select(Incident.id, Incident.status, Incident.division, Incident.updated_at)
    ):
        if status in open_ and can_see(actor, division):
            seen += 1
            newest = updated if newest is None or updated > newest else newest
    return seen, newest


def timed(fn: Callable[[], object], rounds: int, *, warm: bool = True) -> tuple[float, float]:
    """Median and p99 of ``rounds`` calls, in milliseconds (after a warm-up call if ``warm``)."""
    if warm:
        fn()
    samples = []
    for _ in range(rounds):
        t0 = time.perf_counter()
        fn()
        samples.append(time.perf_counter() - t0)
    arr = np.array(samples) * 1e3
    return float(np.median(arr)), float(np.percentile(arr, 99))


def measure(session: Session, name: str, actor: Actor, args: argparse.Namespace) -> float:
    """Time one viewer's board and the naive baseline; print them; return the board's p99
    when the units changed since the last snapshot (the usual case with positions coming in)."""
    now = utcnow()
    board.clear()
    snap = board.snapshot(session, actor=actor, now=now)

    def stamp() -> object:
        return board.stamp(session, actor=actor)

    def snapshot() -> object:
        return board.snapshot(session, actor=actor, now=now)

    def both() -> object:
        return board.snapshot(session, actor=actor, now=now, known=stamp())

    def units_moved() -> object:
        board.clear(entries=False)  # the units' stamp moved: the part is rebuilt
        return both()

    def cold() -> object:
        board.clear()  # nothing kept at all: the first viewer after a start
        return both()

    def encoded() -> object:
        board.clear(entries=False)
        return board.to_json(both())

    s50, s99 = timed(stamp, args.rounds)
    n50, n99 = timed(snapshot, args.rounds)
    r50, r99 = timed(both, args.rounds)
    m50, m99 = timed(units_moved, args.rounds)
    c50, c99 = timed(cold, args.rounds)
    j50, j99 = timed(encoded, args.rounds)
    b50, b99 = timed(lambda: naive_board(session, actor=actor), args.baseline, warm=False)
    print(
        f"\n{name}: {len(snap['incidents'])} incidents, {len(snap['units'])} units,"
        f" {len(snap['alerts'])} alerts on the board"
    )
    print(f"  board.stamp                   median {s50:8.2f} ms  p99 {s99:8.2f} ms")
    print(f"  board.snapshot (units kept)   median {n50:8.2f} ms  p99 {n99:8.2f} ms")
    print(f"  stamp + snapshot, units kept  median {r50:8.2f} ms  p99 {r99:8.2f} ms")
    print(f"  stamp + snapshot, units moved median {m50:8.2f} ms  p99 {m99:8.2f} ms")
    print(f"  stamp + snapshot, all cold    median {c50:8.2f} ms  p99 {c99:8.2f} ms")
    print(f"  units moved + JSON (stream)   median {j50:8.2f} ms  p99 {j99:8.2f} ms")
    print(f"  naive full scan               median {b50:8.2f} ms  p99 {b99:8.2f} ms")
    print(f"  naive / board, units moved (median) ratio: {b50 / m50:.0f}x")
    return m99


def run(url: str, args: argparse.Namespace) -> None:
    if args.reuse:
        print(f"incidents: reusing the filled database ({url.split(':', 1)[0]})")
    else:
        took = seed(url, past=args.past, open_=args.open, units=args.units)
        print(
            f"incidents: {args.past:,} past + {args.open} open, units: {args.units:,}; "
            f"bulk insert {took:.1f} s ({url.split(':', 1)[0]})"
        )
    engine = make_engine(url)
    try:
        with make_sessionmaker(engine)() as session:
            worst = max(
                measure(session, "city-wide 610500", CITY, args),
                measure(session, "county 610502", COUNTY, args),
            )
    finally:
        engine.dispose()
    print(f"\ntarget stamp + snapshot (units moved) p99 <= {TARGET_MS:.0f} ms:", end=" ")
    print("met" if worst <= TARGET_MS else "NOT met")
    print(f"load average (1 min): {os.getloadavg()[0]:.1f} on {os.cpu_count()} CPUs")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--past", type=int, default=1_000_000)
    parser.add_argument("--open", type=int, default=300)
    parser.add_argument("--units", type=int, default=2_000)
    parser.add_argument("--rounds", type=int, default=100)
    parser.add_argument("--baseline", type=int, default=2, help="rounds of the naive scan")
    parser.add_argument("--database-url", default=None)
    parser.add_argument(
        "--reuse", action="store_true", help="the database is filled already: only measure"
    )
    args = parser.parse_args()
    if args.database_url:
        run(args.database_url, args)
        return
    with tempfile.TemporaryDirectory() as tmp:
        run(f"sqlite:///{tmp}/bench.db", args)


if __name__ == "__main__":
    main()

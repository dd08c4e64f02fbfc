"""``zhian audit verify`` speed: entries verified per second, read from the database.

Target (issue 2): >= 500,000 entries/s. Builds a chain of N realistic entries in a fresh SQLite
database (bulk insert, hashes computed as the service computes them), then times the service's
verification against a naive baseline (ORM objects, one hash call per entry) in the same run.

    .venv/bin/python bench/bench_audit_verify.py [N]
"""

from __future__ import annotations

import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta

from sqlalchemy import insert, select, update

from zhian.core import hashchain
from zhian.core.audit import service as audit
from zhian.core.audit.models import AuditChainHead, AuditEntry
from zhian.core.db import make_engine, make_sessionmaker, unit_of_work
from zhian.core.migrate import upgrade

ACTIONS = ("login", "read", "update", "create", "access")


def build(factory, n: int) -> None:  # type: ignore[no-untyped-def]
    """Write a valid chain of n entries."""
    start = datetime(2026, 1, 1, tzinfo=UTC)
    prev = hashchain.GENESIS
    rows = []
    for seq in range(1, n + 1):
        at = start + timedelta(seconds=seq * 7)
        row: dict[str, object] = {
            "seq": seq,
            "at": at,
            "actor": f"user{seq % 97}",
            "actor_id": seq % 97,
            "role": "dispatcher",
            "action": ACTIONS[seq % 5],
            "record_type": "incident",
            "record_id": str(seq * 3),
            "division": "610502",
            "client_addr": "10.61.5.20",
            "outcome": "success" if seq % 11 else "failure",
            "detail": '{"reason":"bad_credentials"}' if seq % 11 == 0 else None,
        }
        # As the service writes it: the canonical text and its chained hash; the database
        # derives the queryable columns from the text.
        data = audit.canonical(audit.payload_of(row))
        digest = hashchain.entry_hash_encoded(prev, data)
        rows.append(
            {
                "seq": seq,
                "canonical": data.decode("utf-8"),
                "prev_hash": prev,
                "hash": digest,
                "created_at": at,
                "updated_at": at,
            }
        )
        prev = digest
    with unit_of_work(factory) as session:
        for i in range(0, n, 50_000):
            session.execute(insert(AuditEntry), rows[i : i + 50_000])
        session.execute(update(AuditChainHead).values(seq=n, hash=prev))


def main() -> None:
    n = int(sys.argv[1]) if len(sys.argv) > 1 else 500_000
    with tempfile.TemporaryDirectory() as tmp:
        url = f"sqlite:///{tmp}/bench.db"
        upgrade(url)
        engine = make_engine(url)
        factory = make_sessionmaker(engine)
        t0 = time.perf_counter()
        build(factory, n)
        print(f"built {n:,} entries in {time.perf_counter() - t0:.1f} s")

        with factory() as session:
            t0 = time.perf_counter()
            report = audit.verify(session)
            fast_s = time.perf_counter() - t0
        assert report.ok and report.checked == n, report

        m = min(n, 100_000)
        with factory() as session:
            t0 = time.perf_counter()
            prev = hashchain.GENESIS
            for entry in session.scalars(select(AuditEntry).order_by(AuditEntry.seq).limit(m)):
                assert audit.entry_hash(prev, entry) == entry.hash
                prev = entry.hash
            naive_s = time.perf_counter() - t0
        engine.dispose()

    fast_rate, naive_rate = n / fast_s, m / naive_s
    print(f"audit verify (service): {fast_rate:,.0f} entries/s ({fast_s:.2f} s for {n:,})")
    print(f"ORM objects + per-entry hash (baseline, {m:,}): {naive_rate:,.0f} entries/s")
    print(f"ratio: {fast_rate / naive_rate:.1f}x")
    print(f"target >= 500,000 entries/s: {'met' if fast_rate >= 500_000 else 'NOT met'}")


if __name__ == "__main__":
    main()

"""Speed of the ledger primitives, against naive baselines in the same run.

    .venv/bin/python bench/bench_hashchain.py [--entries 500000] [--leaves 100000] [--rounds 3]

Prints, best of ``--rounds``:

- chain verification in entries/s over small custody-ledger entries, through
  ``verify_chain_encoded`` (stored canonical bytes: the audit trail's target is >= 500,000/s
  on one core) and ``verify_chain`` (payload mappings, encoded on the fly), against a baseline
  loop that re-encodes each payload with ``json.dumps`` and calls ``entry_hash``-like code;
- the Merkle root of ``--leaves`` leaf hashes (``root_hash`` and building a ``MerkleTree``),
  against the RFC's recursive definition written naively (list slices, recursion per node),
  and proofs per second from a built tree against ``inclusion_proof`` over the bare leaves
  (which rehashes the tree for every proof).

The ratios, not the absolute figures, are what compare across machines.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import time
from collections.abc import Callable, Sequence
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

from zhian.core import hashchain, merkle


def make_payloads(n: int) -> list[dict[str, Any]]:
    """Small custody-ledger entries: who moved which lot, how much, when."""
    start = datetime(2026, 1, 1, tzinfo=UTC)
    ops = ("receive", "issue", "return", "transfer", "consume")
    return [
        {
            "seq": i,
            "at": start + timedelta(seconds=7 * i),
            "op": ops[i % 5],
            "lot": f"ANFO-2026-{i % 977:04d}",
            "qty": Decimal(i % 500) / 4,
            "site": 610502,
        }
        for i in range(1, n + 1)
    ]


def make_chain(payloads: Sequence[dict[str, Any]]) -> list[tuple[int, str, str, bytes]]:
    """A valid chain of (seq, prev_hash, hash, canonical bytes)."""
    rows = []
    prev = hashchain.GENESIS
    for payload in payloads:
        data = hashchain.canonical(payload)
        digest = hashchain.entry_hash_encoded(prev, data)
        rows.append((payload["seq"], prev, digest, data))
        prev = digest
    return rows


def best(rounds: int, fn: Callable[[], object]) -> float:
    """The fastest of ``rounds`` runs, in seconds: the least disturbed by the rest of the box."""
    times = []
    for _ in range(rounds):
        t0 = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t0)
    return min(times)


def naive_verify(entries: Sequence[tuple[int, str, str, dict[str, Any]]]) -> bool:
    """The baseline: what a first draft does, json.dumps with a default hook per entry."""

    def default(value: object) -> str:
        if isinstance(value, datetime):
            return value.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")
        return str(value)

    prev = hashchain.GENESIS
    for _seq, prev_hash, stored, payload in entries:
        text = json.dumps(
            payload, sort_keys=True, separators=(",", ":"), ensure_ascii=False, default=default
        )
        digest = hashlib.sha256(hashchain.DOMAIN + prev_hash.encode() + text.encode()).hexdigest()
        if prev_hash != prev or digest != stored:
            return False
        prev = stored
    return True


def naive_mth(leaves: Sequence[bytes]) -> bytes:
    """The baseline: RFC 6962 MTH exactly as written, recursive, slicing at every node."""
    if len(leaves) == 0:
        return merkle.EMPTY_ROOT
    if len(leaves) == 1:
        return leaves[0]
    k = 1
    while k * 2 < len(leaves):
        k *= 2
    return merkle.node_hash(naive_mth(leaves[:k]), naive_mth(leaves[k:]))


def bench_chain(n: int, rounds: int) -> None:
    payloads = make_payloads(n)
    t0 = time.perf_counter()
    rows = make_chain(payloads)
    build_s = time.perf_counter() - t0
    with_payloads = [
        (seq, prev, digest, p) for (seq, prev, digest, _), p in zip(rows, payloads, strict=True)
    ]
    head = (rows[-1][0], rows[-1][2])
    size = sum(len(r[3]) for r in rows) / n
    print(f"chain: {n:,} entries, canonical payload {size:.0f} bytes on average")
    print(f"  append (canonical + entry hash): {n / build_s:12,.0f} entries/s")

    def encoded() -> None:
        report = hashchain.verify_chain_encoded(rows, expected_head=head)
        assert report.ok and report.checked == n, report

    def decoded() -> None:
        report = hashchain.verify_chain(with_payloads, expected_head=head)
        assert report.ok and report.checked == n, report

    def baseline() -> None:
        assert naive_verify(with_payloads)

    enc_rate = n / best(rounds, encoded)
    dec_rate = n / best(rounds, decoded)
    base_rate = n / best(rounds, baseline)
    print(f"  verify_chain_encoded (stored bytes): {enc_rate:12,.0f} entries/s")
    print(f"  verify_chain (payloads):             {dec_rate:12,.0f} entries/s")
    print(f"  baseline json.dumps per entry:       {base_rate:12,.0f} entries/s")
    print(f"  ratio encoded / baseline: {enc_rate / base_rate:.1f}x")
    print(f"  ratio payloads / baseline: {dec_rate / base_rate:.1f}x")
    met = "met" if enc_rate >= 500_000 else "NOT met"
    print(f"  target >= 500,000 entries/s (encoded): {met}")


def bench_merkle(n: int, rounds: int) -> None:
    leaves = merkle.hash_leaves(i.to_bytes(8, "big") for i in range(n))
    print(f"merkle: {n:,} leaves")
    root = merkle.root_hash(leaves)
    root_s = best(rounds, lambda: merkle.root_hash(leaves))
    tree_s = best(rounds, lambda: merkle.MerkleTree(leaves))
    naive_s = best(rounds, lambda: naive_mth(leaves))
    assert naive_mth(leaves) == root == merkle.MerkleTree(leaves).root
    print(f"  root_hash:          {root_s * 1000:8.1f} ms")
    print(f"  MerkleTree (build): {tree_s * 1000:8.1f} ms")
    print(f"  baseline recursive: {naive_s * 1000:8.1f} ms")
    print(f"  ratio baseline / root_hash: {naive_s / root_s:.1f}x")

    tree = merkle.MerkleTree(leaves)
    k = 20_000
    step = max(1, n // k)
    indices = range(0, n, step)

    def proofs() -> None:
        for i in indices:
            assert merkle.verify_inclusion(leaves[i], i, n, tree.inclusion_proof(i), root)

    def one_shot() -> None:
        for i in indices[:5]:
            merkle.inclusion_proof(leaves, i)

    tree_rate = len(indices) / best(rounds, proofs)
    once_rate = 5 / best(rounds, one_shot)
    print(f"  inclusion proof + verify, built tree:  {tree_rate:10,.0f} /s")
    print(f"  inclusion_proof from the leaves alone: {once_rate:10,.1f} /s")
    print(f"  ratio built tree / leaves alone: {tree_rate / once_rate:,.0f}x")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--entries", type=int, default=500_000)
    parser.add_argument("--leaves", type=int, default=100_000)
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    bench_chain(args.entries, args.rounds)
    bench_merkle(args.leaves, args.rounds)


if __name__ == "__main__":
    main()

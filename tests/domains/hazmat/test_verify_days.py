"""Sealed days in ``verify_all``: the leaves the one pass gathers are the leaves
:func:`verify.day_leaves` reads (same day boundaries, same order), on a ledger of several
days whose entries sit on the boundaries and go back and forth in time; and an entry whose
``at`` is written otherwise is named, not filed under another day."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from datetime import UTC, date, datetime
from typing import Any

import pytest
from sqlalchemy import Engine, text

from tests.domains.hazmat.builders import CHECKING, checking_engine, enterprise, event, tamper
from zhian.core import merkle
from zhian.core.db import make_sessionmaker, unit_of_work
from zhian.domains.hazmat import verify

NOW = datetime(2026, 11, 5, tzinfo=UTC)
SEALED = [date(2026, 10, 27), date(2026, 10, 28), date(2026, 10, 29), date(2026, 10, 30)]
# UTC instants; a Shanghai day starts at 16:00 UTC the day before.
TIMES = [
    datetime(2026, 10, 26, 12, 0, tzinfo=UTC),  # 10-26, not sealed
    datetime(2026, 10, 27, 15, 59, 59, 999999, tzinfo=UTC),  # last instant of 10-27
    datetime(2026, 10, 27, 16, 0, tzinfo=UTC),  # first instant of 10-28
    datetime(2026, 10, 26, 16, 0, tzinfo=UTC),  # first instant of 10-27
    datetime(2026, 10, 28, 3, 0, 0, 1, tzinfo=UTC),  # 10-28
    datetime(2026, 10, 30, 12, 0, tzinfo=UTC),  # 10-30 (10-29 has no entry)
    datetime(2026, 10, 28, 15, 59, 59, 999999, tzinfo=UTC),  # back to 10-28
    datetime(2026, 10, 30, 16, 0, tzinfo=UTC),  # 10-31, not sealed
]


@pytest.fixture(params=CHECKING)
def engine(fresh_url: str, request: pytest.FixtureRequest) -> Iterator[Engine]:
    """Three enterprises, each recording at the times above in its own order (time going
    back and forth within a chain), their entries interleaved in the table; four days
    sealed, one of them with no entry. Checked with the hash chain's SQLite functions, and
    all in Python."""
    eng = checking_engine(fresh_url, request.param)
    with unit_of_work(make_sessionmaker(eng)) as session:
        firms = [
            enterprise(session, f"厂{n}", classes={"3": "1000"}, capacity={"3": "1000"})
            for n in range(3)
        ]
        orders = [TIMES, TIMES[::-1], TIMES[3:] + TIMES[:3]]
        for k in range(len(TIMES)):
            for n, (firm, site) in enumerate(firms):
                event(
                    session,
                    "produce",
                    firm,
                    f"C-{n}-{k}",
                    item_kind="chemical",
                    hazard_class="3",
                    site_id=site,
                    at=orders[n][k],
                )
        for day in SEALED:
            verify.seal_day(session, day, now=NOW)
    yield eng
    eng.dispose()


def _read_again(engine: Engine, day: date) -> list[bytes]:
    with make_sessionmaker(engine)() as session:
        leaves = verify.day_leaves(session, day)
    return merkle.hash_leaves(verify.leaf_data(*leaf) for leaf in leaves)


def _gathered(engine: Engine, monkeypatch: pytest.MonkeyPatch) -> list[Sequence[bytes]]:
    """The leaf hashes each sealed day's root is computed from in ``verify_all``."""
    seen: list[Sequence[bytes]] = []
    root_hash = merkle.root_hash

    def spy(leaf_hashes: Sequence[bytes]) -> bytes:
        seen.append(list(leaf_hashes))
        return root_hash(leaf_hashes)

    def read(*args: Any) -> None:
        pytest.fail("a sealed day's leaves were read again")

    with monkeypatch.context() as m:
        m.setattr(merkle, "root_hash", spy)
        m.setattr(verify, "day_leaves", read)
        with make_sessionmaker(engine)() as session:
            report = verify.verify_all(session)
    assert report.ok and report.roots == len(SEALED) and report.entries == 3 * len(TIMES)
    return seen


def test_the_pass_gathers_each_sealed_days_leaves_as_day_leaves_reads_them(
    engine: Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    gathered = _gathered(engine, monkeypatch)
    expected = [_read_again(engine, day) for day in SEALED]
    assert [len(leaves) for leaves in expected] == [6, 9, 0, 3]
    assert gathered == expected


def test_a_sealed_days_size_changed_is_named(engine: Engine) -> None:
    tamper(engine, "UPDATE hazmat_daily_root SET tree_size = tree_size + 1 WHERE tree_size = 3")
    with make_sessionmaker(engine)() as session:
        report = verify.verify_all(session)
    assert (report.ok, report.day, report.reason) == (False, date(2026, 10, 30), "root mismatch")


def test_an_empty_sealed_days_root_changed_is_named(engine: Engine) -> None:
    tamper(engine, "UPDATE hazmat_daily_root SET root = '" + "1" * 64 + "' WHERE tree_size = 0")
    with make_sessionmaker(engine)() as session:
        report = verify.verify_all(session)
    assert (report.ok, report.day, report.reason) == (False, date(2026, 10, 29), "root mismatch")


def test_entries_of_no_chain_are_still_held_against_the_roots(engine: Engine) -> None:
    # With its head gone, no chain walk sees an enterprise's entries; its sealed days' roots
    # are recomputed from the entries read again, and a changed hash shows.
    with engine.connect() as conn:
        firm = conn.execute(text("SELECT min(enterprise_id) FROM hazmat_ledger_entry")).scalar()
    tamper(
        engine,
        f"DELETE FROM hazmat_chain_head WHERE enterprise_id = {firm}",
        f"UPDATE hazmat_ledger_entry SET hash = '{'f' * 64}' "
        f"WHERE enterprise_id = {firm} AND seq = 5",
    )
    with make_sessionmaker(engine)() as session:
        report = verify.verify_all(session)
    # Seq 5 of the first enterprise was recorded at TIMES[4], on 10-28.
    assert (report.ok, report.day, report.reason) == (False, date(2026, 10, 28), "root mismatch")


@pytest.mark.parametrize(
    ("seq", "written"),
    [
        (5, "2026-10-28T03:00:00.000001"),  # sorts after 10-28's last instant as text
        (3, "2026-10-27 16:00:00"),  # sorts before 10-28's first instant as text
        (5, "2026-10-28 11:00:00.000001+08:00"),
    ],
)
def test_an_instant_written_otherwise_is_named(engine: Engine, seq: int, written: str) -> None:
    # Each is the entry's own instant, and each is stored on SQLite as text that sorts as
    # another instant: a day's tree would file the entry elsewhere, so it is altered.
    # PostgreSQL stores the instant itself, and the entry stays what it was.
    with engine.connect() as conn:
        firm = conn.execute(text("SELECT min(enterprise_id) FROM hazmat_ledger_entry")).scalar()
    tamper(
        engine,
        f"UPDATE hazmat_ledger_entry SET at = '{written}' "
        f"WHERE enterprise_id = {firm} AND seq = {seq}",
    )
    with make_sessionmaker(engine)() as session:
        report = verify.verify_all(session)
    if engine.dialect.name == "sqlite":
        assert (report.ok, report.enterprise_id, report.first_bad_seq, report.reason) == (
            False,
            firm,
            seq,
            "altered",
        )
    else:
        assert report.ok and report.roots == len(SEALED)

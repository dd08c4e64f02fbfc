"""Tamper evidence: chain verification, daily roots, inclusion proofs, the offline export
verifier and ``zhian ledger verify``, on committed data with the triggers lifted."""

from __future__ import annotations

import copy
from collections.abc import Callable, Iterator
from contextlib import closing
from datetime import date
from decimal import Decimal
from typing import Any

import pytest
from pydantic import ValidationError
from sqlalchemy import Engine, select, text
from sqlalchemy.exc import DBAPIError
from typer.testing import CliRunner

from tests.domains.hazmat.builders import (
    AT,
    CHECKING,
    REG,
    checking_engine,
    enterprise,
    event,
    rendered_as_bytes,
    tamper,
)
from tests.helpers import running_app
from zhian.cli import app as cli
from zhian.core import hashchain
from zhian.core.db import SQLITE, make_sessionmaker, unit_of_work
from zhian.core.errors import Conflict
from zhian.domains.hazmat import service, verify
from zhian.domains.hazmat.models import ChainHead, LedgerEntry
from zhian.domains.hazmat.schemas import EventIn

DAY = date(2026, 11, 1)


@pytest.fixture(params=CHECKING)
def engine(fresh_url: str, request: pytest.FixtureRequest) -> Iterator[Engine]:
    """A committed ledger: two enterprises, a week's day of traffic, the day sealed; checked
    with the hash chain's SQLite functions, and all in Python."""
    eng = checking_engine(fresh_url, request.param)
    with unit_of_work(make_sessionmaker(eng)) as session:
        maker, mag = enterprise(session, "甲厂")
        buyer, store = enterprise(session, "乙矿", kind="user")
        for n in range(4):
            code = f"EX-{n}"
            event(session, "produce", maker, code, site_id=mag, minutes=n)
            event(
                session,
                "transfer",
                maker,
                code,
                site_id=mag,
                to_enterprise_id=buyer,
                minutes=10 + n,
            )
            event(session, "receive", buyer, code, site_id=store, minutes=20 + n)
        verify.seal_day(session, DAY)
    yield eng
    eng.dispose()


def check(engine: Engine) -> verify.LedgerReport:
    with make_sessionmaker(engine)() as session:
        return verify.verify_all(session)


def exported(engine: Engine, enterprise_id: int = 1) -> dict[str, Any]:
    with unit_of_work(make_sessionmaker(engine)) as session:
        ids = sorted(session.scalars(select(LedgerEntry.enterprise_id).distinct()))
        return service.export_ledger(session, actor=REG, enterprise_id=ids[enterprise_id - 1])


def test_intact_ledger_verifies(engine: Engine) -> None:
    report = check(engine)
    assert report.ok and report.entries == 12 and report.roots == 1


def test_intact_ledger_is_verified_in_one_pass(
    engine: Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Walking each chain again is for naming a bad entry; an intact ledger never needs it.
    def walk(*args: Any) -> None:
        pytest.fail("an intact ledger was walked chain by chain")

    monkeypatch.setattr(verify, "_each_chain", walk)
    assert check(engine).ok


@pytest.mark.parametrize("table", ["hazmat_ledger_entry", "hazmat_daily_root"])
@pytest.mark.parametrize("verb", ["UPDATE {t} SET id = id", "DELETE FROM {t}"])
def test_database_refuses_update_and_delete(engine: Engine, table: str, verb: str) -> None:
    with pytest.raises(DBAPIError, match="append-only"), engine.begin() as conn:
        conn.execute(text(verb.format(t=table)))


def _first(engine: Engine) -> tuple[int, int]:
    with engine.connect() as conn:
        row = conn.execute(
            text(
                "SELECT enterprise_id, min(seq) FROM hazmat_ledger_entry GROUP BY enterprise_id "
                "ORDER BY enterprise_id"
            )
        ).first()
    assert row is not None
    return int(row[0]), int(row[1])


def test_altered_entry_is_named(engine: Engine) -> None:
    ent, _ = _first(engine)
    tamper(
        engine,
        f"UPDATE hazmat_ledger_entry SET quantity = 2 WHERE enterprise_id = {ent} AND seq = 3",
    )
    report = check(engine)
    assert not report.ok
    assert (report.enterprise_id, report.first_bad_seq, report.reason) == (ent, 3, "altered")


@pytest.mark.parametrize(
    "change",
    [
        "payload = '[1]'",
        "payload = 'not json'",
        "reference = 'x'",
        "site_id = NULL",
        "at = '2026-11-01 03:00:00.000000'",
        "quantity = quantity + 0.5",
        "quantity = -quantity",
    ],
)
def test_column_changed_under_its_stored_bytes_is_named(engine: Engine, change: str) -> None:
    # The canonical bytes and the hash still agree: only the column says something else.
    ent, _ = _first(engine)
    if engine.dialect.name == "postgresql":
        change = change.replace("'2026-11-01 03:00:00.000000'", "'2026-11-01 03:00:00+00'")
    tamper(
        engine, f"UPDATE hazmat_ledger_entry SET {change} WHERE enterprise_id = {ent} AND seq = 5"
    )
    report = check(engine)
    assert (report.ok, report.enterprise_id, report.first_bad_seq) == (False, ent, 5)
    assert report.reason == "altered"


def test_prev_hash_changed_alone_is_named(engine: Engine) -> None:
    # Its hash and bytes untouched: only the stored link to the entry before says otherwise.
    ent, _ = _first(engine)
    tamper(
        engine,
        f"UPDATE hazmat_ledger_entry SET prev_hash = '{'0' * 64}' "
        f"WHERE enterprise_id = {ent} AND seq = 5",
    )
    report = check(engine)
    assert (report.ok, report.enterprise_id, report.first_bad_seq) == (False, ent, 5)
    assert report.reason == "broken link"


def test_column_written_otherwise_saying_the_same_verifies(engine: Engine) -> None:
    # The database's rendering no longer matches the bytes, the columns' meaning does: no alarm.
    ent, _ = _first(engine)
    tamper(
        engine,
        "UPDATE hazmat_ledger_entry SET payload = ' ' || payload "
        f"WHERE enterprise_id = {ent} AND seq IN (2, 5)",
    )
    report = check(engine)
    assert report.ok and report.entries == 12


def produce_lots(
    eng: Engine, quantities: list[str], fields: Callable[[int], dict[str, Any]] = lambda n: {}
) -> int:
    """A new enterprise producing a chemical lot of each quantity (the n-th with ``fields(n)``
    too), committed: the enterprise's id."""
    with unit_of_work(make_sessionmaker(eng)) as session:
        maker, mag = enterprise(
            session, "丙厂", classes={"3": "10000000"}, capacity={"3": "10000000"}
        )
        for n, quantity in enumerate(quantities):
            event(
                session,
                "produce",
                maker,
                f"LOT-{n}",
                quantity=quantity,
                item_kind="chemical",
                hazard_class="3",
                site_id=mag,
                minutes=n,
                **fields(n),
            )
    return maker


@pytest.mark.parametrize("checking", CHECKING)
def test_database_renders_honest_entries_as_their_bytes(fresh_url: str, checking: str) -> None:
    # Whole and fractional quantities, text and a payload: the database's rendering is the
    # canonical encoding, so no honest entry needs the slow comparison in Python.
    eng = checking_engine(fresh_url, checking)
    try:
        maker = produce_lots(
            eng,
            ["12.345", "0.5", "7", "1000000.001"],
            lambda n: {"reference": f'单号 "{n}"\n', "payload": {"批次": n, "note": "a\tb"}},
        )
        with make_sessionmaker(eng)() as session:
            assert verify.verify_all(session).ok
            counts = rendered_as_bytes(session)
            assert counts == [4] * len(counts)
        # The same payload with its keys in another order: the database's rendering differs,
        # the comparison in Python finds the same entry, and the ledger still verifies.
        tamper(
            eng,
            # A backslash before :0 keeps text() from taking it for a bind parameter.
            """UPDATE hazmat_ledger_entry SET payload = '{"批次"\\:0,"note":"a\\tb"}' """
            f"WHERE enterprise_id = {maker} AND seq = 1",
        )
        with make_sessionmaker(eng)() as session:
            assert rendered_as_bytes(session) == [3] * len(counts)
            report = verify.verify_all(session)
            assert report.ok and report.entries == 4
    finally:
        eng.dispose()


@pytest.mark.parametrize("checking", CHECKING)
def test_a_quantity_the_application_reads_otherwise_is_named(fresh_url: str, checking: str) -> None:
    # SQLite's printf writes 0.0625 as "0.063", rounding the half up; the application reads
    # the column as 0.062, rounding it to even. Bytes saying 0.063 do not hold that column.
    if not fresh_url.startswith("sqlite"):
        pytest.skip("PostgreSQL's numeric(18, 3) column holds no fourth decimal")
    eng = checking_engine(fresh_url, checking)
    try:
        maker = produce_lots(eng, ["0.063", "12.5"])
        with make_sessionmaker(eng)() as session:
            assert verify.verify_all(session).ok
        tamper(
            eng,
            "UPDATE hazmat_ledger_entry SET quantity = 0.0625 "
            f"WHERE enterprise_id = {maker} AND quantity = 0.063",
        )
        with make_sessionmaker(eng)() as session:
            read = select(LedgerEntry.quantity).where(LedgerEntry.seq == 1)
            assert session.scalar(read) == Decimal("0.062")  # what the application reads
            report = verify.verify_all(session)
        assert (report.ok, report.first_bad_seq, report.reason) == (False, 1, "altered")
    finally:
        eng.dispose()


@pytest.mark.parametrize(
    ("quantity", "taken"),
    [("999999999999.999", True), ("1000000000000", False), ("123456789012.3456", False)],
)
def test_a_quantity_is_one_a_stored_double_holds_exactly(quantity: str, taken: bool) -> None:
    # SQLite keeps a fractional quantity as a double: a 16th digit would be read back as
    # another number than the entry's bytes say, and the honest entry found altered.
    item = {"kind": "chemical", "code": "LOT-1", "hazard_class": "3"}
    data = {"event": "produce", "enterprise_id": 1, "item": item, "quantity": quantity}
    if taken:
        assert EventIn.model_validate(data).quantity == Decimal(quantity)
    else:
        with pytest.raises(ValidationError, match="quantity"):
            EventIn.model_validate(data)


@pytest.mark.parametrize(
    "leaf",
    [
        (1, 1, "ab" * 32),
        (-7, 10**30, "0" * 64),
        (3, 2, "Z9"),
        (3, 2, ""),
        (3, 2, 'a"b'),
        (3, 2, "a\\b\n"),
        (3, 2, "渭南"),
        (True, 2, "ab"),
    ],
)
def test_leaf_data_is_the_canonical_encoding(leaf: tuple[Any, Any, Any]) -> None:
    e, seq, h = leaf
    expected = hashchain.canonical({"enterprise_id": e, "seq": seq, "hash": h})
    assert verify.leaf_data(e, seq, h) == expected


def test_one_chain_is_verified_alone(engine: Engine) -> None:
    ent, _ = _first(engine)
    with make_sessionmaker(engine)() as session:
        head = session.execute(
            select(ChainHead.seq, ChainHead.hash).where(ChainHead.enterprise_id == ent)
        ).one()
        assert verify.verify_chain_of(session, ent, expected_head=(head[0], head[1])).ok
    tamper(
        engine,
        f"UPDATE hazmat_ledger_entry SET event = 'x' WHERE enterprise_id = {ent} AND seq = 2",
    )
    with make_sessionmaker(engine)() as session:
        report = verify.verify_chain_of(session, ent, expected_head=(head[0], head[1]))
    assert (report.ok, report.first_bad_seq, report.reason) == (False, 2, "altered")


def test_stored_bytes_changed_under_their_columns_is_named(engine: Engine) -> None:
    ent, _ = _first(engine)
    tamper(
        engine,
        'UPDATE hazmat_ledger_entry SET canonical = replace(canonical, \'"actor":"reg"\', '
        f'\'"actor":"rex"\') WHERE enterprise_id = {ent} AND seq = 6',
    )
    report = check(engine)
    assert (report.ok, report.first_bad_seq, report.reason) == (False, 6, "altered")


def test_entry_rewritten_whole_under_its_hash_is_named(engine: Engine) -> None:
    # Columns and bytes rewritten to agree with each other: only the hash tells.
    ent, _ = _first(engine)
    tamper(
        engine,
        'UPDATE hazmat_ledger_entry SET canonical = replace(canonical, \'"actor":"reg"\', '
        f"'\"actor\":\"rex\"'), actor = 'rex' WHERE enterprise_id = {ent} AND seq = 6",
    )
    with make_sessionmaker(engine)() as session:
        assert rendered_as_bytes(session)[-1] == 12  # the columns say what the bytes do
    report = check(engine)
    assert (report.ok, report.first_bad_seq, report.reason) == (False, 6, "altered")


def test_removed_entry_is_named(engine: Engine) -> None:
    ent, _ = _first(engine)
    tamper(engine, f"DELETE FROM hazmat_ledger_entry WHERE enterprise_id = {ent} AND seq = 2")
    report = check(engine)
    assert (report.ok, report.first_bad_seq, report.reason) == (False, 3, "broken link")


def test_cut_tail_is_caught_by_the_head(engine: Engine) -> None:
    ent, _ = _first(engine)
    tamper(engine, f"DELETE FROM hazmat_ledger_entry WHERE enterprise_id = {ent} AND seq = 8")
    report = check(engine)
    assert (report.ok, report.first_bad_seq, report.reason) == (False, 8, "truncated")


def test_reordered_entries_are_named(engine: Engine) -> None:
    ent, _ = _first(engine)
    tamper(
        engine,
        f"UPDATE hazmat_ledger_entry SET seq = -seq WHERE enterprise_id = {ent} AND seq IN (2, 3)",
        f"UPDATE hazmat_ledger_entry SET seq = 3 WHERE enterprise_id = {ent} AND seq = -2",
        f"UPDATE hazmat_ledger_entry SET seq = 2 WHERE enterprise_id = {ent} AND seq = -3",
    )
    report = check(engine)
    assert not report.ok and report.first_bad_seq == 2 and report.reason == "broken link"


def test_altered_daily_root_is_named(engine: Engine) -> None:
    tamper(engine, "UPDATE hazmat_daily_root SET root = '" + "0" * 64 + "'")
    report = check(engine)
    assert (report.ok, report.day, report.reason) == (False, DAY, "root mismatch")


def test_inclusion_proof_verifies(engine: Engine) -> None:
    with make_sessionmaker(engine)() as session:
        entries = session.scalars(select(LedgerEntry)).all()
        proofs = [verify.inclusion(session, e) for e in entries]
    assert all(verify.check_inclusion(p) for p in proofs)
    assert {p["tree_size"] for p in proofs} == {12}
    forged = dict(proofs[0], index=(proofs[0]["index"] + 1) % 12)
    assert not verify.check_inclusion(forged)
    assert not verify.check_inclusion({**proofs[0], "path": proofs[0]["path"][:-1]})


def test_a_day_is_sealed_once_and_only_when_over(engine: Engine) -> None:
    with make_sessionmaker(engine)() as session:
        with pytest.raises(Conflict):
            verify.seal_day(session, DAY)
        with pytest.raises(Conflict):
            verify.seal_day(session, date(2026, 11, 2), now=AT)


def test_export_verifies_offline_and_tampering_fails(engine: Engine) -> None:
    data = exported(engine)
    assert verify.verify_export(data).ok
    assert len(data["proofs"]) == len(data["entries"]) == 8
    altered = copy.deepcopy(data)
    altered["entries"][4]["payload"]["quantity"] = "2.000"
    report = verify.verify_export(altered)
    assert (report.ok, report.first_bad_seq, report.reason) == (False, 5, "altered")
    cut = copy.deepcopy(data)
    del cut["entries"][-1]
    assert verify.verify_export(cut).reason == "truncated"
    swapped = copy.deepcopy(data)
    swapped["entries"][1], swapped["entries"][2] = swapped["entries"][2], swapped["entries"][1]
    assert not verify.verify_export(swapped).ok
    rehashed = copy.deepcopy(data)
    rehashed["proofs"][0]["index"] += 1
    assert verify.verify_export(rehashed).reason == "not in the day's root"
    assert verify.verify_export({"entries": 3}).reason == "malformed export"


def test_cli_ledger_verify(engine: Engine, fresh_url: str, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ZHIAN_DATABASE_URL", fresh_url)
    good = CliRunner().invoke(cli, ["ledger", "verify"])
    assert good.exit_code == 0, good.output
    assert "12 entries" in good.output
    ent, _ = _first(engine)
    tamper(
        engine,
        f"UPDATE hazmat_ledger_entry SET actor = 'x' WHERE enterprise_id = {ent} AND seq = 4",
    )
    bad = CliRunner().invoke(cli, ["ledger", "verify"])
    assert bad.exit_code == 1
    assert f"enterprise {ent} entry seq=4: altered" in bad.output


@pytest.mark.parametrize(
    ("column", "named"),
    [
        ("actor", (5, "altered")),
        ("actor_id", (5, "altered")),
        ("at", (5, "altered")),
        ("event", (5, "altered")),
        ("from_enterprise_id", (5, "altered")),
        ("item_id", (5, "altered")),
        ("quantity", (5, "altered")),
        ("reference", (5, "altered")),
        ("site_id", (5, "altered")),
        ("to_enterprise_id", (5, "altered")),
        ("prev_hash", (5, "broken link")),
        ("hash", (5, "altered")),
        # No longer the chain's (a BLOB is no enterprise id; a BLOB seq sorts after every
        # number): the chain reads as if the entry were gone.
        ("enterprise_id", (6, "broken link")),
        ("seq", (6, "broken link")),
        # The same bytes as a BLOB: what they say is unchanged.
        ("payload", None),
        ("canonical", None),
    ],
)
@pytest.mark.parametrize(
    "blob",
    [
        # The column's own value (7 for a NULL) as bytes, which json_object refuses.
        "CAST(coalesce({column}, 7) AS BLOB)",
        # As JSONB, which json_object (SQLite 3.45 on) writes as the JSON it holds: the very
        # text the value it replaced renders as.
        "jsonb(json_quote(coalesce({column}, 7)))",
    ],
)
def test_blob_written_into_a_column_is_named(
    engine: Engine, column: str, named: tuple[int, str] | None, blob: str
) -> None:
    # SQLite stores whatever it is given: a BLOB in a column must neither stop verification
    # nor pass for the value it replaced.
    if engine.dialect.name != "sqlite":
        pytest.skip("PostgreSQL's typed columns hold no BLOB")
    if blob.startswith("jsonb") and SQLITE.sqlite_version_info < (3, 45):
        pytest.skip("JSONB came with SQLite 3.45")
    ent, _ = _first(engine)
    tamper(engine)
    # Foreign keys are the connection's choice: someone writing behind the application
    # leaves them off (sqlite3's default).
    with closing(SQLITE.connect(str(engine.url.database))) as conn, conn:
        conn.execute(
            f"UPDATE hazmat_ledger_entry SET {column} = {blob.format(column=column)} "
            f"WHERE enterprise_id = {ent} AND seq = 5"
        )
    report = check(engine)
    if named is None and blob.startswith("jsonb"):
        named = (5, "altered")  # no longer the same bytes
    if named is None:
        assert report.ok and report.entries == 12
    else:
        assert (report.ok, report.enterprise_id, report.first_bad_seq, report.reason) == (
            False,
            ent,
            *named,
        )


def test_a_collation_given_to_the_stored_bytes_hides_no_rewrite(engine: Engine) -> None:
    # Someone who can change the schema makes the comparison of an entry's bytes with its
    # columns blind to case, then writes an event in capitals.
    ent, _ = _first(engine)
    rewrite = (
        "UPDATE hazmat_ledger_entry SET event = upper(event) "
        f"WHERE enterprise_id = {ent} AND seq = 5"
    )
    if engine.dialect.name == "postgresql":
        tamper(
            engine,
            "CREATE COLLATION blind (provider = icu, locale = 'und-u-ks-level2', "
            "deterministic = false)",
            "ALTER TABLE hazmat_ledger_entry ALTER COLUMN canonical TYPE text COLLATE blind",
            rewrite,
        )
    else:
        tamper(engine)
        path = str(engine.url.database)
        with closing(SQLITE.connect(path)) as conn, conn:
            conn.execute("PRAGMA writable_schema = ON")
            conn.execute(
                "UPDATE sqlite_schema SET sql = replace(sql, 'canonical TEXT', "
                "'canonical TEXT COLLATE NOCASE') WHERE name = 'hazmat_ledger_entry'"
            )
        with closing(SQLITE.connect(path)) as conn, conn:
            conn.execute(rewrite)
        engine.dispose()  # its connections would go on with the schema they read before
    with engine.connect() as conn:
        assert (
            conn.execute(
                text("SELECT count(*) FROM hazmat_ledger_entry WHERE event = upper(event)")
            ).scalar_one()
            == 1
        )
    report = check(engine)
    assert (report.ok, report.enterprise_id, report.first_bad_seq, report.reason) == (
        False,
        ent,
        5,
        "altered",
    )


def _sqlite_only(engine: Engine, why: str) -> None:
    if engine.dialect.name != "sqlite":
        pytest.skip(why)


def _cli_verify(fresh_url: str, monkeypatch: pytest.MonkeyPatch) -> str:
    monkeypatch.setenv("ZHIAN_DATABASE_URL", fresh_url)
    result = CliRunner().invoke(cli, ["ledger", "verify"])
    assert result.exit_code == 1, result.output
    return result.output


def test_cli_names_a_changed_daily_root_as_a_daily_root(
    engine: Engine, fresh_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    tamper(engine, "UPDATE hazmat_daily_root SET root = '" + "0" * 64 + "'")
    assert "daily root of day 2026-11-01: root mismatch" in _cli_verify(fresh_url, monkeypatch)


@pytest.mark.parametrize(
    ("written", "read"),
    [
        ("x", "'x'"),
        ("2026-11-01 00:00:00", "'2026-11-01 00:00:00'"),
        ("20261101", "20261101"),  # the column's numeric affinity keeps it as a number
    ],
)
def test_a_daily_root_whose_day_is_not_a_date_is_named(
    engine: Engine, fresh_url: str, monkeypatch: pytest.MonkeyPatch, written: str, read: str
) -> None:
    _sqlite_only(engine, "PostgreSQL's date column refuses a day that is not a date")
    with engine.connect() as conn:
        root_id = conn.execute(text("SELECT id FROM hazmat_daily_root")).scalar_one()
    tamper(engine, f"UPDATE hazmat_daily_root SET day = '{written}'")
    report = check(engine)
    assert (report.ok, report.root_id, report.day) == (False, root_id, None)
    assert report.reason == f"daily root's day is not a date: {read}"
    out = _cli_verify(fresh_url, monkeypatch)
    assert f"daily root id={root_id}: daily root's day is not a date" in out
    with pytest.raises(Conflict, match=f"每日根 id={root_id}"):
        exported(engine)


def test_an_entry_stored_at_in_another_form_gets_no_proof_but_a_refusal(
    engine: Engine, fresh_url: str
) -> None:
    # Its instant is on the sealed day; its text ('T' sorts after ' ') is past the day's
    # end, so the day's tree does not hold it. PostgreSQL stores the instant itself.
    ent, _ = _first(engine)
    tamper(
        engine,
        "UPDATE hazmat_ledger_entry SET at = replace(at, ' ', 'T') "
        f"WHERE enterprise_id = {ent} AND seq = 2"
        if engine.dialect.name == "sqlite"
        else f"UPDATE hazmat_ledger_entry SET at = at WHERE enterprise_id = {ent} AND seq = 2",
    )
    with make_sessionmaker(engine)() as session:
        entry = session.scalars(
            select(LedgerEntry).where(LedgerEntry.enterprise_id == ent, LedgerEntry.seq == 2)
        ).one()
        if engine.dialect.name != "sqlite":
            assert verify.check_inclusion(verify.inclusion(session, entry))
            return
        with pytest.raises(Conflict, match=f"企业 {ent} 序号 2 的账本记录（id={entry.id}）"):
            verify.inclusion(session, entry)
    with pytest.raises(Conflict, match=f"企业 {ent} 序号 2 的账本记录"):
        exported(engine)
    with running_app(fresh_url) as app:
        headers = app.headers(app.token("reg", role="regulator", division="610500"))
        refused = app.client.get(f"/api/v1/hazmat/enterprises/{ent}/ledger/export", headers=headers)
    assert refused.status_code == 409, refused.text
    assert f"企业 {ent} 序号 2 的账本记录" in refused.json()["detail"][0]["msg"]


def test_an_entry_of_no_enterprise_is_refused_a_seal_and_named(
    engine: Engine, fresh_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    _sqlite_only(engine, "PostgreSQL's integer column refuses an enterprise id that is text")
    ent, _ = _first(engine)
    with engine.connect() as conn:
        entry_id = conn.execute(
            text(f"SELECT id FROM hazmat_ledger_entry WHERE enterprise_id = {ent} AND seq = 5")
        ).scalar_one()
    # With its head gone, no chain walk meets the enterprise's entries: the day's root is
    # what must name the one that is no enterprise's.
    tamper(engine, f"DELETE FROM hazmat_chain_head WHERE enterprise_id = {ent}")
    # Foreign keys off, as sqlite3 leaves them for someone writing behind the application.
    with closing(SQLITE.connect(str(engine.url.database))) as conn, conn:
        conn.execute(f"UPDATE hazmat_ledger_entry SET enterprise_id = 'abc' WHERE id = {entry_id}")
    report = check(engine)
    assert (report.ok, report.entry_id, report.day) == (False, entry_id, DAY)
    assert f"entry id={entry_id} (day {DAY})" in _cli_verify(fresh_url, monkeypatch)
    with engine.begin() as conn:  # the guard is already lifted
        conn.execute(text("DELETE FROM hazmat_daily_root"))
    refused = pytest.raises(verify.UnreadableEntry, match=f"账本记录 id={entry_id}（企业 'abc'")
    with make_sessionmaker(engine)() as session, refused:
        verify.seal_day(session, DAY)

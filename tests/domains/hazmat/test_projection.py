"""The ledger's typed columns are generated from each entry's canonical bytes by the database
(migration 0025): nothing can write one, they read back as exactly what the bytes say, and
verification holds the table's definition instead of every row, unless it no longer derives
them or is asked to compare (``--columns``)."""

from __future__ import annotations

from collections.abc import Iterator
from decimal import Decimal

import pytest
from alembic import command
from sqlalchemy import Engine, select, text
from sqlalchemy.exc import DBAPIError
from sqlalchemy.orm import Session
from typer.testing import CliRunner

from tests.domains.hazmat.builders import enterprise, event, rewrite_definition, tamper
from zhian.cli import app as cli
from zhian.core import hashchain
from zhian.core.db import make_engine, make_sessionmaker, unit_of_work
from zhian.core.migrate import alembic_config, upgrade
from zhian.domains.hazmat import projection, verify
from zhian.domains.hazmat.ledger import hashed_payload
from zhian.domains.hazmat.models import LedgerEntry

TRICKY = {
    "批次": "A\t1",
    "note": 'quote " and \\ and \u001f and \u2028',
    "nested": {"z": [1.5, -0.0, 10**20, 1e-07, None, True], "a": {}},
    "emoji": "🧨",
}


@pytest.fixture()
def engine(fresh_url: str) -> Iterator[Engine]:
    """A committed ledger: a produce, a transfer with its buyer, a chemical's fractional
    quantity, and an entry whose payload has every kind of JSON value and escape."""
    eng = make_engine(fresh_url)
    with unit_of_work(make_sessionmaker(eng)) as session:
        maker, mag = enterprise(session, "甲厂")
        buyer, _ = enterprise(session, "乙矿", kind="user")
        event(session, "produce", maker, "EX-1", site_id=mag, payload=TRICKY)
        event(session, "transfer", maker, "EX-1", site_id=mag, to_enterprise_id=buyer, minutes=1)
        event(
            session,
            "produce",
            maker,
            "LOT-1",
            site_id=mag,
            minutes=2,
            quantity=Decimal("12.345"),
            item_kind="chemical",
            hazard_class="3",
        )
    yield eng
    eng.dispose()


def check(engine: Engine, *, columns: bool = False) -> verify.LedgerReport:
    with make_sessionmaker(engine)() as session:
        return verify.verify_all(session, columns=columns)


def entry_id(engine: Engine, seq: int = 2) -> int:
    with engine.connect() as conn:
        return int(
            conn.execute(
                text("SELECT min(id) FROM hazmat_ledger_entry WHERE seq = :s"), {"s": seq}
            ).scalar_one()
        )


def test_migrated_table_derives_the_columns(engine: Engine) -> None:
    with make_sessionmaker(engine)() as session:
        assert projection.intact(session)
    report = check(engine)
    assert report.ok and report.entries == 3 and report.columns == "derived"
    full = check(engine, columns=True)
    assert full.ok and full.entries == 3 and full.columns == "compared"


def test_columns_read_back_as_the_bytes_say(engine: Engine) -> None:
    # Whatever the payload holds and whatever the quantity, the columns the database derived
    # encode back to the very bytes the hash commits to.
    with make_sessionmaker(engine)() as session:
        entries = session.scalars(select(LedgerEntry).order_by(LedgerEntry.id)).all()
        assert len(entries) == 3
        for entry in entries:
            assert hashchain.canonical(hashed_payload(entry)) == entry.canonical.encode()
        assert entries[0].payload and hashed_payload(entries[0])["payload"] == TRICKY
        assert entries[1].to_enterprise_id is not None and entries[0].to_enterprise_id is None
        assert entries[2].quantity == Decimal("12.345")


@pytest.mark.parametrize(
    "change",
    [
        "actor = 'x'",
        "quantity = 2",
        "enterprise_id = enterprise_id",
        "at = at",
        "payload = '{}'",
    ],
)
def test_database_refuses_to_write_a_typed_column(engine: Engine, change: str) -> None:
    # Even with the append-only guard lifted, only a changed table definition lets one change.
    with pytest.raises(DBAPIError, match=r"generated|updated to DEFAULT"):
        tamper(engine, f"UPDATE hazmat_ledger_entry SET {change}", plain=False)


def test_bytes_changed_under_derived_columns_are_named(engine: Engine) -> None:
    # The table still derives the columns: the altered bytes are what is caught.
    tamper(
        engine,
        'UPDATE hazmat_ledger_entry SET canonical = replace(canonical, \'"actor":"reg"\', '
        f'\'"actor":"xx"\') WHERE id = {entry_id(engine)}',
        plain=False,
    )
    report = check(engine)
    assert (report.ok, report.first_bad_seq, report.reason) == (False, 2, "altered")
    assert report.columns == "derived"


def test_plain_columns_are_compared_row_by_row(engine: Engine) -> None:
    tamper(engine, f"UPDATE hazmat_ledger_entry SET actor = 'x' WHERE id = {entry_id(engine)}")
    with make_sessionmaker(engine)() as session:
        assert not projection.intact(session)
    report = check(engine)
    assert (report.ok, report.first_bad_seq, report.reason) == (False, 2, "altered")
    assert report.columns == "compared"


def test_plain_columns_that_still_agree_verify(engine: Engine) -> None:
    tamper(engine)
    report = check(engine)
    assert report.ok and report.entries == 3 and report.columns == "compared"


def test_column_given_another_expression_is_not_the_table(engine: Engine) -> None:
    # Someone redefines a column to say something else for one entry.
    target = entry_id(engine)
    with engine.begin() as conn:
        if conn.dialect.name == "postgresql":
            conn.execute(
                text(
                    "ALTER TABLE hazmat_ledger_entry DROP COLUMN actor, ADD COLUMN actor varchar "
                    f"GENERATED ALWAYS AS (CASE WHEN id = {target} THEN 'x' "
                    "ELSE canonical::json ->> 'actor' END) STORED"
                )
            )
        else:
            actor = "json_extract(canonical, '$.actor')"
            rewrite_definition(
                conn,
                projection.SQLITE_TABLE.replace(
                    f"({actor})", f"(CASE WHEN id = {target} THEN 'x' ELSE {actor} END)"
                ),
            )
    if engine.dialect.name == "sqlite":
        # SQLite takes the text as it is: the stored values are what they were. Written
        # again, the entry gets its new "actor".
        tamper(
            engine,
            f"UPDATE hazmat_ledger_entry SET canonical = canonical WHERE id = {target}",
            plain=False,
        )
    with make_sessionmaker(engine)() as session:
        assert not projection.intact(session)
        assert session.get(LedgerEntry, target).actor == "x"  # type: ignore[union-attr]
    report = check(engine)
    assert (report.ok, report.first_bad_seq, report.reason) == (False, 2, "altered")
    assert report.columns == "compared"


def test_stored_value_edited_under_the_definition_needs_columns(engine: Engine) -> None:
    if engine.dialect.name == "postgresql":
        pytest.skip("PostgreSQL cannot make a plain column generated again but by a rewrite")
    # The one change the definition cannot show: the table made plain, a value changed, and
    # the definition put back (SQLite's writable_schema). The row-by-row comparison, which
    # sealing a day always runs, names it.
    target = entry_id(engine)
    tamper(engine, f"UPDATE hazmat_ledger_entry SET actor = 'x' WHERE id = {target}")
    with engine.begin() as conn:
        rewrite_definition(conn, projection.SQLITE_TABLE)
    with make_sessionmaker(engine)() as session:
        assert projection.intact(session)
    report = check(engine, columns=True)
    assert (report.ok, report.first_bad_seq, report.reason) == (False, 2, "altered")


def test_cli_says_how_columns_were_held(
    engine: Engine, fresh_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("ZHIAN_DATABASE_URL", fresh_url)
    derived = CliRunner().invoke(cli, ["ledger", "verify"])
    assert derived.exit_code == 0, derived.output
    assert "3 entries" in derived.output and "typed columns derived" in derived.output
    full = CliRunner().invoke(cli, ["ledger", "verify", "--columns"])
    assert full.exit_code == 0, full.output
    assert "typed columns compared row by row" in full.output
    assert "warning" not in full.output
    tamper(engine)
    plain = CliRunner().invoke(cli, ["ledger", "verify"])
    assert plain.exit_code == 0, plain.output
    assert "warning: the ledger table no longer derives" in plain.output


def test_migration_refuses_columns_that_differ_from_the_bytes(fresh_url: str) -> None:
    # Rebuilding the columns from the bytes would wipe out the difference: the upgrade stops
    # and names the entry, and the table stays as it was.
    engine = make_engine(fresh_url)
    try:
        with unit_of_work(make_sessionmaker(engine)) as session:
            maker, mag = enterprise(session, "甲厂")
            event(session, "produce", maker, "EX-1", site_id=mag)
            event(session, "produce", maker, "EX-2", site_id=mag, minutes=1)
        command.downgrade(alembic_config(fresh_url), "0024")
        target = entry_id(engine)
        tamper(engine, f"UPDATE hazmat_ledger_entry SET actor = 'x' WHERE id = {target}")
        with pytest.raises(RuntimeError, match=f"entries id={target} have columns that differ"):
            upgrade(fresh_url)
        with engine.connect() as conn:
            assert (
                conn.execute(
                    text(f"SELECT actor FROM hazmat_ledger_entry WHERE id = {target}")
                ).scalar_one()
                == "x"
            )
            assert conn.execute(text("SELECT version_num FROM alembic_version")).scalar_one() == (
                "0024"
            )
        with make_sessionmaker(engine)() as session:
            assert not projection.intact(session)
            report = verify.verify_all(session)
            assert (report.ok, report.first_bad_seq, report.reason) == (False, 2, "altered")
    finally:
        engine.dispose()


def test_migration_keeps_every_entry_as_it_was(fresh_url: str) -> None:
    engine = make_engine(fresh_url)
    try:
        with unit_of_work(make_sessionmaker(engine)) as session:
            maker, mag = enterprise(session, "甲厂")
            event(session, "produce", maker, "EX-1", site_id=mag, payload=TRICKY)
            event(session, "issue", maker, "EX-1", site_id=mag, minutes=1)
        command.downgrade(alembic_config(fresh_url), "0024")
        before = _rows(engine)
        upgrade(fresh_url)
        assert _rows(engine) == before
        with make_sessionmaker(engine)() as session:
            assert _appends(session)
            report = verify.verify_all(session)
            assert report.ok and report.entries == 3 and report.columns == "derived"
    finally:
        engine.dispose()


def _rows(engine: Engine) -> list[tuple[object, ...]]:
    columns = ", ".join(
        ["id", "prev_hash", "hash", "canonical"] + [c.name for c in projection.COLUMNS]
    )
    with engine.connect() as conn:
        return [
            tuple(r)
            for r in conn.execute(text(f"SELECT {columns} FROM hazmat_ledger_entry ORDER BY id"))
        ]


def _appends(session: Session) -> bool:
    # The rebuilt table takes new entries and keeps refusing changes.
    maker = session.scalar(select(LedgerEntry.enterprise_id))
    assert maker is not None
    site = session.scalar(select(LedgerEntry.site_id).where(LedgerEntry.enterprise_id == maker))
    event(session, "return", maker, "EX-1", site_id=site, minutes=2)
    session.commit()
    with pytest.raises(DBAPIError, match="append-only"):
        session.execute(text("UPDATE hazmat_ledger_entry SET hash = hash"))
    session.rollback()
    return True

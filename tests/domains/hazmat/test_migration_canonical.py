"""Migration 0016 fills in the canonical bytes of the entries already recorded, so that a
ledger written before it still verifies, on the fast path, after it."""

from __future__ import annotations

from typing import Any

import pytest
from alembic import command
from sqlalchemy import func, literal_column, select, text
from sqlalchemy.exc import DBAPIError

from tests.domains.hazmat.builders import enterprise, event
from zhian.core.db import make_engine, make_sessionmaker, unit_of_work
from zhian.core.migrate import alembic_config, upgrade
from zhian.domains.hazmat import verify
from zhian.domains.hazmat.models import LedgerEntry


def test_entries_recorded_before_0016_are_filled_in(fresh_url: str) -> None:
    engine = make_engine(fresh_url)
    try:
        with unit_of_work(make_sessionmaker(engine)) as session:
            maker, mag = enterprise(session, "甲厂")
            for n in range(3):
                event(
                    session,
                    "produce",
                    maker,
                    f"EX-{n}",
                    site_id=mag,
                    minutes=n,
                    payload={"批次": n, "note": "a\nb"},
                )
        command.downgrade(alembic_config(fresh_url), "0015")
        with engine.begin() as conn:
            # Entries as they were written before: payload text with spaces after separators.
            if engine.dialect.name == "postgresql":
                conn.execute(text("ALTER TABLE hazmat_ledger_entry DISABLE TRIGGER USER"))
            else:
                conn.execute(text("DROP TRIGGER hazmat_ledger_entry_no_update"))
            conn.execute(
                text("UPDATE hazmat_ledger_entry SET payload = replace(payload, ',', ', ')")
            )
            if engine.dialect.name == "postgresql":
                conn.execute(text("ALTER TABLE hazmat_ledger_entry ENABLE TRIGGER USER"))
            else:
                conn.execute(
                    text(
                        "CREATE TRIGGER hazmat_ledger_entry_no_update BEFORE UPDATE ON "
                        "hazmat_ledger_entry BEGIN SELECT RAISE(ABORT, "
                        "'hazmat_ledger_entry is append-only'); END"
                    )
                )
        upgrade(fresh_url)
        with make_sessionmaker(engine)() as session:
            assert verify.verify_all(session).ok
            render: Any = literal_column(f"({verify.RENDER[engine.dialect.name]})")
            fast = session.scalar(
                select(func.count()).select_from(LedgerEntry).where(LedgerEntry.canonical == render)
            )
            assert fast == 3
        # The append-only guard is back after the backfill.
        with pytest.raises(DBAPIError, match="append-only"), engine.begin() as conn:
            conn.execute(text("UPDATE hazmat_ledger_entry SET actor = 'x'"))
    finally:
        engine.dispose()

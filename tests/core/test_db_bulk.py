"""``Bulk`` executemany and the UTC column's SQLite binding, on both backends."""

from __future__ import annotations

import random
from datetime import UTC, datetime, timedelta, timezone
from typing import cast

import pytest
from sqlalchemy import DateTime, Table, bindparam, func, insert, select, update
from sqlalchemy.dialects import sqlite
from sqlalchemy.orm import Session

from zhian.core.bus.models import ProcessedEvent
from zhian.core.db import Bulk, UTCDateTime, one_of
from zhian.core.time import as_utc

TABLE = cast(Table, ProcessedEvent.__table__)
NAMES = ("consumer", "event_id", "subject", "created_at", "updated_at")


def test_bulk_insert_and_update_store_what_the_orm_reads_back(session: Session) -> None:
    at = datetime(2026, 11, 1, 8, 30, 15, 250, tzinfo=timezone(timedelta(hours=8)))
    Bulk(insert(TABLE), NAMES).execute(
        session, [("bulk", f"ev-{n}", "jt808.position", at, at) for n in range(3)]
    )
    later = at + timedelta(hours=1)
    touch = Bulk(
        update(TABLE)
        .where(TABLE.c.event_id == bindparam("which"))
        .values(subject=bindparam("new_subject"), updated_at=bindparam("new_updated_at")),
        ("which", "new_subject", "new_updated_at"),
    )
    touch.execute(session, [("ev-1", "jt808.other", later)])
    rows = session.execute(
        select(ProcessedEvent.event_id, ProcessedEvent.subject, ProcessedEvent.updated_at)
        .where(ProcessedEvent.consumer == "bulk")
        .order_by(ProcessedEvent.event_id)
    ).all()
    assert [tuple(r) for r in rows] == [
        ("ev-0", "jt808.position", at),
        ("ev-1", "jt808.other", later),
        ("ev-2", "jt808.position", at),
    ]
    assert rows[0][2].tzinfo is not None and rows[0][2] == as_utc(at)


def test_bulk_refuses_a_statement_with_a_parameter_it_is_not_given(session: Session) -> None:
    # created_at and updated_at have Python-side defaults, which Bulk never fills in.
    bulk = Bulk(insert(TABLE), ("consumer", "event_id", "subject"))
    with pytest.raises(ValueError, match="created_at"):
        bulk.execute(session, [("bulk", "ev-x", "jt808.position")])


def test_utc_column_binds_on_sqlite_as_the_generic_chain_does() -> None:
    dialect = sqlite.dialect()
    fast = UTCDateTime().bind_processor(dialect)
    generic = DateTime(timezone=True).dialect_impl(dialect).bind_processor(dialect)
    assert fast is not None and generic is not None
    rng = random.Random(808)
    for _ in range(20_000):
        value = datetime(1970, 1, 1, tzinfo=UTC) + timedelta(
            microseconds=rng.randrange(0, 4_000_000_000_000_000)
        )
        value = value.astimezone(timezone(timedelta(minutes=rng.randrange(-720, 840, 15))))
        if rng.random() < 0.3:
            value = value.replace(microsecond=0)
        assert fast(value) == generic(as_utc(value).replace(tzinfo=None))
    assert fast(None) is None
    with pytest.raises(ValueError, match="naive"):
        fast(datetime(2026, 1, 1))


def test_one_of_selects_the_rows_whose_value_is_in_the_list(session: Session) -> None:
    at = datetime(2026, 11, 1, tzinfo=UTC)
    Bulk(insert(TABLE), NAMES).execute(
        session, [("one-of", f"ev-{n}", "jt808.position", at, at) for n in range(1200)]
    )
    by_event = select(ProcessedEvent.event_id).where(
        ProcessedEvent.consumer == "one-of", one_of(ProcessedEvent.event_id, "ids")
    )
    wanted = [f"ev-{n}" for n in range(0, 1200, 3)] + ["ev-missing", "ev-0"]
    assert set(session.scalars(by_event, {"ids": wanted})) == {f"ev-{n}" for n in range(0, 1200, 3)}
    assert list(session.scalars(by_event, {"ids": []})) == []
    # Integers too, and a quote in a string is a value, not SQL.
    ids = list(
        session.scalars(select(ProcessedEvent.id).where(ProcessedEvent.consumer == "one-of"))
    )
    by_id = select(func.count()).where(one_of(ProcessedEvent.id, "ids"))
    assert session.scalar(by_id, {"ids": ids[:700]}) == 700
    assert list(session.scalars(by_event, {"ids": ["ev-1' OR '1'='1", 'ev-"2']})) == []


def test_one_of_is_one_statement_whatever_the_list_holds(session: Session) -> None:
    query = select(ProcessedEvent.event_id).where(one_of(ProcessedEvent.event_id, "ids"))
    compiled = query.compile(dialect=session.get_bind().dialect)
    # One placeholder, not one per value: the driver prepares it once.
    assert str(compiled).count("?" if compiled.positional else "%(ids)s") == 1

"""Read-only units of work: on SQLite a reader takes no write lock, so it neither queues
behind a writer nor holds one up; on every backend a write inside one fails at once."""

from __future__ import annotations

import threading
from pathlib import Path

import pytest
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError

from zhian.core.db import (
    begin_read_only,
    is_read_only,
    make_engine,
    make_sessionmaker,
    read_only,
    unit_of_work,
)


def test_a_reader_is_not_blocked_by_a_writer_holding_the_lock(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'read.db'}"
    engine = make_engine(url)
    factory = make_sessionmaker(engine)
    with engine.begin() as conn:
        conn.execute(text("CREATE TABLE t (x INTEGER)"))
        conn.execute(text("INSERT INTO t VALUES (1)"))
    holding, reader_done, errors = threading.Event(), threading.Event(), []

    def writer() -> None:
        try:
            with engine.begin() as conn:  # BEGIN IMMEDIATE: the write lock, held...
                conn.execute(text("INSERT INTO t VALUES (2)"))
                holding.set()
                reader_done.wait(30)  # ...until the reader has finished
        except Exception as exc:  # reported below; a thread cannot fail the test itself
            errors.append(exc)

    thread = threading.Thread(target=writer)
    thread.start()
    try:
        assert holding.wait(10)
        # An ordinary transaction would wait here for the writer, which waits for us: the
        # writer queue's timeout would end it with "database is locked".
        with read_only(factory) as session:
            seen = session.execute(text("SELECT x FROM t ORDER BY x")).scalars().all()
        assert thread.is_alive()  # the writer still holds its transaction open
        assert seen == [1]  # the snapshot before the writer's uncommitted row
    finally:
        reader_done.set()
        thread.join(30)
        engine.dispose()
    assert errors == []


def test_a_writer_is_not_blocked_by_an_open_reader(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'write.db'}"
    engine = make_engine(url)
    factory = make_sessionmaker(engine)
    with engine.begin() as conn:
        conn.execute(text("CREATE TABLE t (x INTEGER)"))
    try:
        with read_only(factory) as reader:
            assert reader.execute(text("SELECT count(*) FROM t")).scalar_one() == 0
            with unit_of_work(factory) as writer:
                writer.execute(text("INSERT INTO t VALUES (1)"))
            # The reader keeps the snapshot it began with.
            assert reader.execute(text("SELECT count(*) FROM t")).scalar_one() == 0
        with read_only(factory) as reader:
            assert reader.execute(text("SELECT count(*) FROM t")).scalar_one() == 1
    finally:
        engine.dispose()


def test_a_write_in_a_read_only_unit_fails_and_the_next_unit_writes(fresh_url: str) -> None:
    engine = make_engine(fresh_url, pool_size=1, max_overflow=0)  # one connection, reused
    factory = make_sessionmaker(engine)
    try:
        with unit_of_work(factory) as session:
            session.execute(text("CREATE TABLE ro_probe (x INTEGER)"))
        with pytest.raises(DBAPIError), read_only(factory) as session:
            assert is_read_only(session)
            session.execute(text("INSERT INTO ro_probe VALUES (1)"))
        with pytest.raises(DBAPIError), read_only(factory) as session:  # a reader again
            session.execute(text("INSERT INTO ro_probe VALUES (1)"))
        with unit_of_work(factory) as session:  # the same connection writes again
            assert not is_read_only(session)
            session.execute(text("INSERT INTO ro_probe VALUES (2)"))
        with read_only(factory) as session:
            assert session.execute(text("SELECT x FROM ro_probe")).scalars().all() == [2]
            session.rollback()
            assert not is_read_only(session)  # the transaction after it is an ordinary one
            session.execute(text("INSERT INTO ro_probe VALUES (3)"))
            session.commit()
        with unit_of_work(factory) as session:
            assert session.execute(text("SELECT count(*) FROM ro_probe")).scalar_one() == 2
            session.execute(text("DROP TABLE ro_probe"))
    finally:
        engine.dispose()


def test_read_only_must_begin_the_transaction(tmp_path: Path) -> None:
    engine = make_engine(f"sqlite:///{tmp_path / 'begun.db'}")
    try:
        with make_sessionmaker(engine)() as session:
            session.execute(text("SELECT 1"))
            with pytest.raises(RuntimeError):
                begin_read_only(session)
    finally:
        engine.dispose()

"""SQLite transactions take the write lock at BEGIN, so a read-then-write waits its turn
instead of failing at once when another connection committed in between."""

from __future__ import annotations

import threading
import time
from pathlib import Path

from sqlalchemy import text

from zhian.core.db import make_engine


def test_a_writer_waits_for_the_other_instead_of_failing(tmp_path: Path) -> None:
    engine = make_engine(f"sqlite:///{tmp_path / 'lock.db'}")
    with engine.begin() as conn:
        conn.execute(text("CREATE TABLE t (x INTEGER)"))
    started, errors = threading.Event(), []

    def other_writer() -> None:
        try:
            started.set()
            with engine.begin() as conn:  # waits (busy_timeout) until the first commits
                conn.execute(text("INSERT INTO t VALUES (2)"))
        except Exception as exc:  # reported below; a thread cannot fail the test itself
            errors.append(exc)

    try:
        with engine.begin() as conn:
            # Read first, as a request does (who is calling?), then write (the audit entry).
            assert conn.execute(text("SELECT count(*) FROM t")).scalar_one() == 0
            thread = threading.Thread(target=other_writer)
            thread.start()
            assert started.wait(5)
            thread.join(0.2)  # give it the chance to commit in between, which it must not get
            conn.execute(text("INSERT INTO t VALUES (1)"))
        thread.join(10)
        assert not thread.is_alive() and errors == []
        with engine.connect() as conn:
            assert conn.execute(text("SELECT x FROM t ORDER BY rowid")).scalars().all() == [1, 2]
    finally:
        engine.dispose()


def test_writers_take_turns_in_arrival_order(tmp_path: Path) -> None:
    """A connection that commits and begins again at once (a consumer working off a backlog)
    cannot starve a waiter: the waiter gets the lock at the first commit after it asked.

    SQLite's own busy wait polls with sleeps of up to 100 ms and would almost never catch the
    moment between the other's commit and its next BEGIN."""
    url = f"sqlite:///{tmp_path / 'fair.db'}"
    hog, waiter = make_engine(url), make_engine(url)  # two engines, one file: one queue
    with hog.begin() as conn:
        conn.execute(text("CREATE TABLE t (who TEXT)"))
    started, errors = threading.Event(), []

    def hogging() -> None:
        try:
            for _ in range(30):
                with hog.begin() as conn:
                    conn.execute(text("INSERT INTO t VALUES ('hog')"))
                    started.set()
                    time.sleep(0.1)  # a batch's worth of work under the lock
        except Exception as exc:  # reported below; a thread cannot fail the test itself
            errors.append(exc)

    thread = threading.Thread(target=hogging)
    thread.start()
    try:
        assert started.wait(5)
        time.sleep(0.05)  # inside the hog's first transaction
        with waiter.begin() as conn:
            conn.execute(text("INSERT INTO t VALUES ('waiter')"))
        thread.join(20)
        assert errors == [] and not thread.is_alive()
        with waiter.connect() as conn:
            rows = conn.execute(text("SELECT who FROM t ORDER BY rowid")).scalars().all()
        # The hog's first transaction, perhaps its second, then the waiter: not all 30 first.
        assert rows.index("waiter") <= 2, rows.index("waiter")
    finally:
        thread.join(20)
        hog.dispose()
        waiter.dispose()

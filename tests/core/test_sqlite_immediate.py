"""SQLite transactions take the write lock at BEGIN, so a read-then-write waits its turn
instead of failing at once when another connection committed in between."""

from __future__ import annotations

import threading
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

"""A request waiting for SQLite's write lock must not stall the server's event loop."""

from __future__ import annotations

import threading
import time
from pathlib import Path

import httpx

from tests.browser import serving
from tests.conftest import migrate
from tests.helpers import make_user
from zhian.app import create_app
from zhian.core.db import SQLITE, make_engine, make_sessionmaker, unit_of_work
from zhian.core.identity import service as identity
from zhian.core.scope import SYSTEM
from zhian.core.settings import Settings


def test_a_request_waiting_for_the_lock_leaves_the_loop_free(tmp_path: Path) -> None:
    db_file = tmp_path / "lock.db"
    url = f"sqlite:///{db_file}"
    migrate(url)
    engine = make_engine(url)
    with unit_of_work(make_sessionmaker(engine)) as session:
        make_user(session, "lw_disp")
        token = identity.create_token(session, actor=SYSTEM, username="lw_disp")
    engine.dispose()
    with serving(create_app(Settings(database_url=url, bus="memory"))) as base:
        _check_the_loop_serves_while_a_request_waits(base, db_file, token)


def _check_the_loop_serves_while_a_request_waits(base: str, db_file: Path, token: str) -> None:
    holder = SQLITE.connect(db_file, isolation_level=None, check_same_thread=False)
    try:
        holder.execute("BEGIN IMMEDIATE")  # another writer (a consumer, a purge) holds the lock
        answers: list[int] = []

        def api_call() -> None:
            resp = httpx.get(
                base + "/api/v1/transport/vehicles",
                headers={"Authorization": f"Bearer {token}"},
                timeout=30,
            )
            answers.append(resp.status_code)

        waiting = threading.Thread(target=api_call)
        waiting.start()
        time.sleep(0.5)  # let it reach the identity lookup, where it waits for the lock
        # The loop must still serve: before the fix this waited for the lock's busy timeout.
        static = httpx.get(base + "/static/js/map.js", timeout=5)
        assert static.status_code == 200
        assert waiting.is_alive() and answers == []  # still waiting for the lock
    finally:
        holder.execute("ROLLBACK")
        holder.close()
    waiting.join(timeout=30)
    assert answers == [200]

"""Every SQLite engine runs on the one SQLite the project picks (zhian.core.db._sqlite): on
Linux x86_64 the recent release pysqlite3-binary bundles, not whatever the system ships."""

from __future__ import annotations

import platform
import sys
from pathlib import Path

import pytest
from sqlalchemy import text

from zhian.core.db import SQLITE, make_engine


@pytest.mark.parametrize("where", ["file", "memory"])
def test_engines_run_on_the_sqlite_the_project_picks(tmp_path: Path, where: str) -> None:
    engine = make_engine(f"sqlite:///{tmp_path / 'x.db'}" if where == "file" else "sqlite://")
    try:
        with engine.connect() as conn:
            assert type(conn.connection.dbapi_connection) is SQLITE.Connection
            version = conn.execute(text("SELECT sqlite_version()")).scalar_one()
    finally:
        engine.dispose()
    assert version == SQLITE.sqlite_version
    if sys.platform == "linux" and platform.machine() == "x86_64":
        # The wheel is published here: a fall back to the system's would go unnoticed.
        assert SQLITE.__name__ == "pysqlite3.dbapi2"
        assert SQLITE.sqlite_version_info >= (3, 51)

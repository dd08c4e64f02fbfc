"""Database fixtures: every service test runs on SQLite and on PostgreSQL.

The schema is built once per backend by the real migrations; each test runs inside an outer
transaction that is rolled back, so code under test may ``commit()`` (a savepoint here).
"""

from __future__ import annotations

import os
import shutil
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import Connection, Engine, text
from sqlalchemy.engine import make_url
from sqlalchemy.orm import Session, sessionmaker

from zhian.core.db import make_engine

PG_ADMIN_URL = os.environ.get(
    "ZHIAN_TEST_PG_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"
)
BACKENDS = ["sqlite", "postgresql"]


def _create_pg_database() -> str:
    name = f"zhian_test_{uuid.uuid4().hex[:10]}"
    admin = make_engine(PG_ADMIN_URL, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    admin.dispose()
    return make_url(PG_ADMIN_URL).set(database=name).render_as_string(hide_password=False)


def _drop_pg_database(url: str) -> None:
    name = make_url(url).database
    admin = make_engine(PG_ADMIN_URL, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    admin.dispose()


def fresh_database_url(backend: str, tmp: Path) -> str:
    """A new, empty database of that backend (a throwaway PostgreSQL database)."""
    if backend == "sqlite":
        return f"sqlite:///{tmp / f'zhian-{uuid.uuid4().hex[:8]}.db'}"
    return _create_pg_database()


def migrate(url: str) -> None:
    """Build the schema the way production does (the real migrations) and load the profile."""
    from zhian.core.db import unit_of_work
    from zhian.core.migrate import upgrade
    from zhian.domains.places import service as places

    upgrade(url)
    engine = make_engine(url)
    with unit_of_work(sessionmaker(engine)) as session:
        places.load_weinan_profile(session)
    engine.dispose()


def copy_database(template_url: str, backend: str, tmp: Path) -> str:
    """A new database with the template's contents (a file copy, or CREATE ... TEMPLATE)."""
    if backend == "sqlite":
        src = Path(make_url(template_url).database or "")
        dst = tmp / f"copy-{uuid.uuid4().hex[:8]}.db"
        shutil.copyfile(src, dst)
        return f"sqlite:///{dst}"
    name = f"zhian_test_{uuid.uuid4().hex[:10]}"
    admin = make_engine(PG_ADMIN_URL, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        template = make_url(template_url).database
        conn.execute(text(f'CREATE DATABASE "{name}" TEMPLATE "{template}"'))
    admin.dispose()
    return make_url(PG_ADMIN_URL).set(database=name).render_as_string(hide_password=False)


@pytest.fixture(scope="session", params=BACKENDS)
def backend(request: pytest.FixtureRequest) -> str:
    """The database backend this test runs on."""
    return str(request.param)


@pytest.fixture(scope="session")
def _migrated(
    backend: str, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[tuple[str, Engine]]:
    url = fresh_database_url(backend, tmp_path_factory.mktemp(backend))
    migrate(url)
    engine = make_engine(url)
    yield url, engine
    engine.dispose()
    if backend == "postgresql":
        _drop_pg_database(url)


@pytest.fixture(scope="session")
def _template(backend: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    url = fresh_database_url(backend, tmp_path_factory.mktemp(f"{backend}-template"))
    migrate(url)
    yield url
    if backend == "postgresql":
        _drop_pg_database(url)


@pytest.fixture()
def fresh_url(backend: str, _template: str, tmp_path: Path) -> Iterator[str]:
    """A database of its own for this test (migrated, with the Weinan divisions), where commits
    are real: for the app through HTTP, and for anything that needs separate connections."""
    url = copy_database(_template, backend, tmp_path)
    yield url
    if backend == "postgresql":
        _drop_pg_database(url)


@pytest.fixture()
def connection(_migrated: tuple[str, Engine]) -> Iterator[Connection]:
    """A connection inside an outer transaction that is rolled back after the test."""
    conn = _migrated[1].connect()
    outer = conn.begin()
    try:
        yield conn
    finally:
        outer.rollback()
        conn.close()


@pytest.fixture()
def session_factory(connection: Connection) -> sessionmaker[Session]:
    """Sessions whose commits are savepoints of the test's outer transaction."""
    return sessionmaker(
        bind=connection, join_transaction_mode="create_savepoint", expire_on_commit=False
    )


@pytest.fixture()
def session(session_factory: sessionmaker[Session]) -> Iterator[Session]:
    """One session for a service test."""
    with session_factory() as s:
        yield s

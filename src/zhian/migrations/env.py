"""Alembic environment: batch mode on SQLite so ALTERs work there too."""

from __future__ import annotations

from typing import Any

from alembic import context
from sqlalchemy import Connection

from zhian.core.db import make_engine
from zhian.models import metadata

config = context.config
url = config.attributes.get("database_url") or config.get_main_option("sqlalchemy.url")


def run_migrations_online() -> None:
    """Run the migrations on a live connection."""
    engine = make_engine(str(url))
    with engine.connect() as connection:
        sqlite = connection.dialect.name == "sqlite"
        if sqlite:
            # A batch ALTER on SQLite rebuilds the table (copy, DROP, rename): with foreign keys
            # enforced the DROP fails as soon as another table's rows refer to it. The pragma
            # only takes effect outside a transaction, hence on the driver's connection, and
            # the references are checked once the migrations are done.
            _driver(connection).execute("PRAGMA foreign_keys=OFF")
        context.configure(
            connection=connection,
            target_metadata=metadata,
            render_as_batch=sqlite,
            compare_type=True,
        )
        try:
            with context.begin_transaction():
                context.run_migrations()
                if sqlite:
                    broken = connection.exec_driver_sql("PRAGMA foreign_key_check").fetchall()
                    if broken:
                        raise RuntimeError(f"migration left broken references: {broken[:5]}")
        finally:
            if sqlite:
                _driver(connection).execute("PRAGMA foreign_keys=ON")
    engine.dispose()


def _driver(connection: Connection) -> Any:
    """The DBAPI connection under a SQLAlchemy one (pysqlite: isolation_level None)."""
    return connection.connection.driver_connection


if context.is_offline_mode():
    raise SystemExit("zhian migrations run online only")
run_migrations_online()

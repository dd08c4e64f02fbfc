"""Migrations run on databases that hold data: on SQLite a batch ALTER rebuilds the table,
which must not trip over the rows of other tables that refer to it."""

from __future__ import annotations

import pytest
from alembic import command
from sqlalchemy import func, select

from tests.domains.hazmat.builders import enterprise, event
from tests.domains.incidents.builders import make_unit
from zhian.core.db import make_engine, make_sessionmaker, unit_of_work
from zhian.core.migrate import alembic_config, current, head, upgrade
from zhian.domains.hazmat.models import LedgerEntry, Site, Stock
from zhian.domains.incidents.models import UnitStatusChange


def test_down_and_up_again_with_rows_referring_to_rebuilt_tables(fresh_url: str) -> None:
    engine = make_engine(fresh_url)
    try:
        with unit_of_work(make_sessionmaker(engine)) as session:
            maker, site = enterprise(session, "甲厂")
            event(session, "produce", maker, "5360315A00042", site_id=site)
            make_unit(session, 1)  # status changes refer to the unit
        command.downgrade(alembic_config(fresh_url), "0015")
        upgrade(fresh_url)
        assert current(fresh_url) == head()
        with make_sessionmaker(engine)() as session:
            assert session.scalar(select(func.count()).select_from(Site)) == 1
            assert session.scalar(select(func.count()).select_from(LedgerEntry)) == 1
            assert session.scalar(select(func.count()).select_from(Stock)) == 1
            assert session.scalar(select(func.count()).select_from(UnitStatusChange)) == 2
            if engine.dialect.name == "sqlite":
                # Foreign keys are enforced again on the connections the app uses.
                assert session.connection().exec_driver_sql("PRAGMA foreign_keys").scalar() == 1
    finally:
        engine.dispose()


def test_vehicle_pages_keep_room_for_updates_on_postgresql(fresh_url: str) -> None:
    engine = make_engine(fresh_url)
    try:
        if engine.dialect.name != "postgresql":
            pytest.skip("a PostgreSQL storage setting")
        upgrade(fresh_url)
        options = "SELECT reloptions FROM pg_class WHERE relname = 'transport_vehicle'"
        with engine.connect() as connection:
            assert connection.exec_driver_sql(options).scalar() == ["fillfactor=70"]
        command.downgrade(alembic_config(fresh_url), "0023")
        with engine.connect() as connection:
            assert connection.exec_driver_sql(options).scalar() is None
        upgrade(fresh_url)
    finally:
        engine.dispose()

"""Builders shared by the hazmat tests: actors, enterprises with licences and sites, events."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from typing import Any

import pytest
from sqlalchemy import Engine, func, literal_column, select, text
from sqlalchemy.orm import Session

from zhian.core.db import hashchain_in_sqlite, make_engine
from zhian.core.scope import Actor
from zhian.domains.hazmat import service, verify
from zhian.domains.hazmat.models import LedgerEntry
from zhian.domains.hazmat.schemas import (
    EnterpriseCreate,
    EntryOut,
    EventIn,
    LicenceCreate,
    SiteCreate,
)

HOME = "610502"  # 临渭区
OTHER = "610581"  # 韩城市
AT = datetime(2026, 11, 1, 2, 0, tzinfo=UTC)  # 10:00 in Shanghai
REG = Actor(user_id=7, username="reg", role="regulator", division="610500")


def enterprise(
    session: Session,
    name: str = "渭南民爆",
    *,
    kind: str = "producer",
    division: str = HOME,
    classes: dict[str, str] | None = None,
    valid_until: date = date(2027, 12, 31),
    capacity: dict[str, str] | None = None,
) -> tuple[int, int]:
    """An enterprise with one licence and one site; returns (enterprise id, site id)."""
    ent = service.create_enterprise(
        session, actor=REG, data=EnterpriseCreate(name=name, kind=kind, division=division)
    )
    limits = classes if classes is not None else {"1.1": "100", "3": "5000"}
    if limits:
        service.add_licence(
            session,
            actor=REG,
            enterprise_id=ent.id,
            data=LicenceCreate.model_validate(
                {
                    "number": f"LIC-{ent.id}-{name}",
                    "limits": limits,
                    "valid_from": "2026-01-01",
                    "valid_until": valid_until.isoformat(),
                }
            ),
        )
    site = service.add_site(
        session,
        actor=REG,
        enterprise_id=ent.id,
        data=SiteCreate.model_validate(
            {"name": f"{name}1号库", "capacity": capacity or {"1.1": "10", "3": "1000"}}
        ),
    )
    return ent.id, site.id


def event(
    session: Session,
    kind: str,
    enterprise_id: int,
    code: str,
    *,
    quantity: str | Decimal = "1",
    item_kind: str = "explosive",
    hazard_class: str | None = "1.1",
    at: datetime = AT,
    minutes: int = 0,
    **fields: Any,
) -> EntryOut:
    """Record one event as the city's regulator."""
    item: dict[str, Any] = {"kind": item_kind, "code": code, "hazard_class": hazard_class}
    if item_kind == "chemical":
        item.update(un_number="UN1203", unit="kg")
    item.update(fields.pop("item", {}))
    data = EventIn.model_validate(
        {
            "event": kind,
            "enterprise_id": enterprise_id,
            "item": item,
            "quantity": str(quantity),
            **fields,
        }
    )
    return service.record_event(session, actor=REG, data=data, at=at + timedelta(minutes=minutes))


def tamper(engine: Engine, *statements: str) -> None:
    """What someone with database rights could do: lift the guard, then change rows."""
    with engine.begin() as conn:
        for table in ("hazmat_ledger_entry", "hazmat_daily_root"):
            if engine.dialect.name == "postgresql":
                conn.execute(text(f"ALTER TABLE {table} DISABLE TRIGGER USER"))
            else:
                conn.execute(text(f"DROP TRIGGER {table}_no_update"))
                conn.execute(text(f"DROP TRIGGER {table}_no_delete"))
        for stmt in statements:
            conn.execute(text(stmt))


# How verification checks each entry on SQLite: with the hash chain's SQLite functions (where
# they were built, as where the project is deployed), or all in Python, as where they were not.
CHECKING = ["sqlite functions", "python"]


def checking_engine(url: str, checking: str) -> Engine:
    """An engine for ``url`` that checks entries as ``checking`` says (PostgreSQL has only
    its own way: the second is skipped there)."""
    if checking == "python" and not url.startswith("sqlite"):
        pytest.skip("PostgreSQL checks in its own SQL, with or without SQLite's functions")
    return make_engine(url, hashchain_functions=checking != "python")


def rendered_as_bytes(session: Session) -> list[int]:
    """How many entries the database finds to say what their bytes do, by each comparison
    this connection has: json_object (or PostgreSQL's text), and the hash chain's function."""
    render: Any = literal_column(f"({verify.RENDER[session.get_bind().dialect.name]})")
    counts = [session.scalar(select(func.count()).where(LedgerEntry.canonical == render))]
    if hashchain_in_sqlite(session.connection()):
        same: Any = literal_column(verify.SAME_IN_SQLITE)
        counts.append(session.scalar(select(func.count()).select_from(LedgerEntry).where(same)))
    return [int(n or 0) for n in counts]

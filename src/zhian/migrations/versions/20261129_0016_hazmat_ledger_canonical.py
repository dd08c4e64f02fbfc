"""Hazmat ledger entries keep the canonical bytes their hash commits to.

Verification then hashes the stored bytes and lets the database check, row by row, that the
columns still encode to them, instead of re-encoding every entry in Python. Existing entries
are filled in here (the append-only triggers are lifted for the backfill and put back); their
payload text is rewritten in the same compact canonical form new entries are written in,
which changes nothing their hash commits to (the parsed payload).

Revision ID: 0016
Revises: 0015
Create Date: 2026-11-29 12:10:00
"""

from __future__ import annotations

import json
from decimal import Decimal
from typing import Any

import sqlalchemy as sa
from alembic import op

import zhian.core.db
from zhian.core import hashchain

revision = "0016"
down_revision = "0015"
branch_labels = None
depends_on = None

TABLE = "hazmat_ledger_entry"
SCALE = Decimal("0.001")

_entries = sa.table(
    TABLE,
    sa.column("id", sa.Integer()),
    sa.column("enterprise_id", sa.Integer()),
    sa.column("seq", sa.Integer()),
    sa.column("event", sa.String()),
    sa.column("item_id", sa.Integer()),
    sa.column("from_enterprise_id", sa.Integer()),
    sa.column("to_enterprise_id", sa.Integer()),
    sa.column("site_id", sa.Integer()),
    sa.column("quantity", sa.Numeric(18, 3)),
    sa.column("actor_id", sa.Integer()),
    sa.column("actor", sa.String()),
    sa.column("at", zhian.core.db.UTCDateTime(timezone=True)),
    sa.column("reference", sa.String()),
    sa.column("payload", sa.Text()),
    sa.column("canonical", sa.Text()),
)


def _canonical(row: Any) -> bytes:
    # Version 1 of the entry encoding, frozen here as it was when this migration was written
    # (ledger.hashed_payload).
    return hashchain.canonical(
        {
            "enterprise_id": row.enterprise_id,
            "seq": row.seq,
            "event": row.event,
            "item_id": row.item_id,
            "from_enterprise_id": row.from_enterprise_id,
            "to_enterprise_id": row.to_enterprise_id,
            "site_id": row.site_id,
            "quantity": str(Decimal(row.quantity).quantize(SCALE)),
            "actor_id": row.actor_id,
            "actor": row.actor,
            "at": row.at,
            "reference": row.reference,
            "payload": json.loads(row.payload),
        }
    )


def _guard(on: bool) -> None:
    """Lift (or put back) the append-only guard of the ledger entries (migration 0005)."""
    if op.get_bind().dialect.name == "postgresql":
        op.execute(
            f"ALTER TABLE {TABLE} {'ENABLE' if on else 'DISABLE'} TRIGGER {TABLE}_append_only"
        )
        return
    for verb in ("UPDATE", "DELETE"):
        name = f"{TABLE}_no_{verb.lower()}"
        if on:
            op.execute(
                f"CREATE TRIGGER {name} BEFORE {verb} ON {TABLE} "
                f"BEGIN SELECT RAISE(ABORT, '{TABLE} is append-only'); END"
            )
        else:
            op.execute(f"DROP TRIGGER {name}")


def upgrade() -> None:
    op.add_column(TABLE, sa.Column("canonical", sa.Text(), nullable=False, server_default=""))
    bind = op.get_bind()
    rows = bind.execute(sa.select(_entries).order_by(_entries.c.id)).all()
    if rows:
        _guard(False)
        for row in rows:
            data = _canonical(row)
            payload = hashchain.canonical(json.loads(row.payload)).decode("utf-8")
            bind.execute(
                _entries.update()
                .where(_entries.c.id == row.id)
                .values(canonical=data.decode("utf-8"), payload=payload)
            )
        _guard(True)
    if bind.dialect.name == "postgresql":
        op.alter_column(TABLE, "canonical", server_default=None)


def downgrade() -> None:
    # Native on both (SQLite >= 3.35): no table rebuild, so the triggers stay.
    op.execute(f"ALTER TABLE {TABLE} DROP COLUMN canonical")

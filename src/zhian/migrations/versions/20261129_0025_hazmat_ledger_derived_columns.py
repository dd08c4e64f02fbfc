"""Hazmat ledger: the typed columns become generated from each entry's canonical bytes.

Each typed column (enterprise, seq, event, item, quantity, time, ...) is now a stored
generated column reading it out of ``canonical`` (see ``zhian.domains.hazmat.projection``),
so the database itself refuses to write one, and no row's columns can say something its
hashed bytes do not. Verification then checks the table's definition instead of rendering
every row's columns again.

Before anything changes, every entry's columns are compared with what its bytes give: an
entry that differs (only a write behind the application can make one) stops the migration,
naming it, since rebuilding the columns from the bytes would wipe out the evidence. Run
``zhian ledger verify`` and resolve it first.

SQLite cannot add a stored generated column: the table is rebuilt (ids kept), and its
indexes and append-only triggers made again. PostgreSQL rewrites the table once. Either way
a large ledger takes a while: run it in a maintenance window.

Revision ID: 0025
Revises: 0024
Create Date: 2026-11-29 17:20:00
"""

# ruff: noqa: E501  (the tables as SQL text, frozen: one column a line)
from __future__ import annotations

from alembic import op

revision = "0025"
down_revision = "0024"
branch_labels = None
depends_on = None

TABLE = "hazmat_ledger_entry"
OLD = f"{TABLE}_0024"
# Frozen as they were when this migration was written (zhian.domains.hazmat.projection).
SQLITE_TABLE = """CREATE TABLE hazmat_ledger_entry (
	id INTEGER NOT NULL,
	created_at DATETIME NOT NULL,
	updated_at DATETIME NOT NULL,
	prev_hash VARCHAR NOT NULL,
	hash VARCHAR NOT NULL,
	canonical TEXT NOT NULL,
	enterprise_id INTEGER NOT NULL GENERATED ALWAYS AS (json_extract(canonical, '$.enterprise_id')) STORED,
	seq INTEGER NOT NULL GENERATED ALWAYS AS (json_extract(canonical, '$.seq')) STORED,
	event VARCHAR NOT NULL GENERATED ALWAYS AS (json_extract(canonical, '$.event')) STORED,
	item_id INTEGER NOT NULL GENERATED ALWAYS AS (json_extract(canonical, '$.item_id')) STORED,
	from_enterprise_id INTEGER GENERATED ALWAYS AS (json_extract(canonical, '$.from_enterprise_id')) STORED,
	to_enterprise_id INTEGER GENERATED ALWAYS AS (json_extract(canonical, '$.to_enterprise_id')) STORED,
	site_id INTEGER GENERATED ALWAYS AS (json_extract(canonical, '$.site_id')) STORED,
	quantity NUMERIC(18, 3) NOT NULL GENERATED ALWAYS AS (json_extract(canonical, '$.quantity')) STORED,
	actor_id INTEGER GENERATED ALWAYS AS (json_extract(canonical, '$.actor_id')) STORED,
	actor VARCHAR NOT NULL GENERATED ALWAYS AS (json_extract(canonical, '$.actor')) STORED,
	at DATETIME NOT NULL GENERATED ALWAYS AS (replace(substr(json_extract(canonical, '$.at'), 1, 26), 'T', ' ')) STORED,
	reference VARCHAR NOT NULL GENERATED ALWAYS AS (json_extract(canonical, '$.reference')) STORED,
	payload TEXT NOT NULL GENERATED ALWAYS AS (json_extract(canonical, '$.payload')) STORED,
	CONSTRAINT pk_hazmat_ledger_entry PRIMARY KEY (id),
	CONSTRAINT fk_hazmat_ledger_entry_enterprise_id_hazmat_enterprise FOREIGN KEY(enterprise_id) REFERENCES hazmat_enterprise (id),
	CONSTRAINT fk_hazmat_ledger_entry_from_enterprise_id_hazmat_enterprise FOREIGN KEY(from_enterprise_id) REFERENCES hazmat_enterprise (id),
	CONSTRAINT fk_hazmat_ledger_entry_item_id_hazmat_item FOREIGN KEY(item_id) REFERENCES hazmat_item (id),
	CONSTRAINT fk_hazmat_ledger_entry_site_id_hazmat_site FOREIGN KEY(site_id) REFERENCES hazmat_site (id),
	CONSTRAINT fk_hazmat_ledger_entry_to_enterprise_id_hazmat_enterprise FOREIGN KEY(to_enterprise_id) REFERENCES hazmat_enterprise (id),
	CONSTRAINT uq_hazmat_ledger_entry_enterprise_id_seq UNIQUE (enterprise_id, seq)
)"""
POSTGRESQL = (
    ("enterprise_id", "integer", False, "(canonical::json ->> 'enterprise_id')::integer"),
    ("seq", "integer", False, "(canonical::json ->> 'seq')::integer"),
    ("event", "varchar", False, "(canonical::json ->> 'event')::varchar"),
    ("item_id", "integer", False, "(canonical::json ->> 'item_id')::integer"),
    ("from_enterprise_id", "integer", True, "(canonical::json ->> 'from_enterprise_id')::integer"),
    ("to_enterprise_id", "integer", True, "(canonical::json ->> 'to_enterprise_id')::integer"),
    ("site_id", "integer", True, "(canonical::json ->> 'site_id')::integer"),
    ("quantity", "numeric(18,3)", False, "(canonical::json ->> 'quantity')::numeric(18,3)"),
    ("actor_id", "integer", True, "(canonical::json ->> 'actor_id')::integer"),
    ("actor", "varchar", False, "(canonical::json ->> 'actor')::varchar"),
    (
        "at",
        "timestamp with time zone",
        False,
        "make_timestamp(substr(canonical::json ->> 'at', 1, 4)::integer, substr(canonical::json ->> 'at', 6, 2)::integer, substr(canonical::json ->> 'at', 9, 2)::integer, substr(canonical::json ->> 'at', 12, 2)::integer, substr(canonical::json ->> 'at', 15, 2)::integer, substr(canonical::json ->> 'at', 18, 9)::double precision) AT TIME ZONE 'UTC'",
    ),
    ("reference", "varchar", False, "(canonical::json ->> 'reference')::varchar"),
    ("payload", "text", False, "(canonical::json -> 'payload')::text"),
)
# The table as migration 0005 made it and 0016 extended it, for the way down.
SQLITE_PLAIN = """CREATE TABLE hazmat_ledger_entry (
	enterprise_id INTEGER NOT NULL,
	seq INTEGER NOT NULL,
	prev_hash VARCHAR NOT NULL,
	hash VARCHAR NOT NULL,
	event VARCHAR NOT NULL,
	item_id INTEGER NOT NULL,
	from_enterprise_id INTEGER,
	to_enterprise_id INTEGER,
	site_id INTEGER,
	quantity NUMERIC(18, 3) NOT NULL,
	actor_id INTEGER,
	actor VARCHAR NOT NULL,
	at DATETIME NOT NULL,
	reference VARCHAR NOT NULL,
	payload TEXT NOT NULL,
	id INTEGER NOT NULL,
	created_at DATETIME NOT NULL,
	updated_at DATETIME NOT NULL, canonical TEXT DEFAULT '' NOT NULL,
	CONSTRAINT pk_hazmat_ledger_entry PRIMARY KEY (id),
	CONSTRAINT fk_hazmat_ledger_entry_enterprise_id_hazmat_enterprise FOREIGN KEY(enterprise_id) REFERENCES hazmat_enterprise (id),
	CONSTRAINT fk_hazmat_ledger_entry_from_enterprise_id_hazmat_enterprise FOREIGN KEY(from_enterprise_id) REFERENCES hazmat_enterprise (id),
	CONSTRAINT fk_hazmat_ledger_entry_item_id_hazmat_item FOREIGN KEY(item_id) REFERENCES hazmat_item (id),
	CONSTRAINT fk_hazmat_ledger_entry_site_id_hazmat_site FOREIGN KEY(site_id) REFERENCES hazmat_site (id),
	CONSTRAINT fk_hazmat_ledger_entry_to_enterprise_id_hazmat_enterprise FOREIGN KEY(to_enterprise_id) REFERENCES hazmat_enterprise (id),
	CONSTRAINT uq_hazmat_ledger_entry_enterprise_id_seq UNIQUE (enterprise_id, seq)
)"""
COLUMNS = [name for name, *_ in POSTGRESQL]
FOREIGN = (
    ("enterprise_id", "hazmat_enterprise"),
    ("from_enterprise_id", "hazmat_enterprise"),
    ("item_id", "hazmat_item"),
    ("site_id", "hazmat_site"),
    ("to_enterprise_id", "hazmat_enterprise"),
)
INDEXES = (
    f"CREATE INDEX ix_{TABLE}_at ON {TABLE} (at)",
    f"CREATE INDEX ix_{TABLE}_item_at ON {TABLE} (item_id, at)",
)


def upgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        _refuse_disagreeing(
            " OR ".join(f"{name} IS DISTINCT FROM ({expr})" for name, _, _, expr in POSTGRESQL)
        )
        _upgrade_postgresql()
        return
    _rebuild(SQLITE_TABLE, ("id", "created_at", "updated_at", "prev_hash", "hash", "canonical"))
    # Every stored value the rebuild derived, held against the one it had: SQLite converts
    # both by the same column types, so equal means the entry reads as it did.
    _refuse_disagreeing(
        " OR ".join(f"o.{name} IS NOT n.{name}" for name in COLUMNS),
        f"{OLD} o JOIN {TABLE} n ON n.id = o.id",
        "o.id",
    )
    op.execute(f"DROP TABLE {OLD}")
    _indexes_and_guard()


def _refuse_disagreeing(differs: str, source: str = TABLE, key: str = "id") -> None:
    ids = [
        row[0]
        for row in op.get_bind().exec_driver_sql(
            f"SELECT {key} FROM {source} WHERE {differs} ORDER BY {key} LIMIT 10"
        )
    ]
    if ids:
        raise RuntimeError(
            f"hazmat ledger entries id={', '.join(map(str, ids))} have columns that differ from "
            "their canonical bytes: the ledger was written behind the application. Run "
            "`zhian ledger verify` and resolve them before this migration (0025), which would "
            "rebuild those columns from the bytes and wipe the difference out."
        )


def _rebuild(create: str, copied: tuple[str, ...]) -> None:
    """SQLite: the table made anew under its own name, its rows copied by id, the old one
    left as ``OLD`` (the caller drops it)."""
    # Other tables' foreign keys (alerts point at entries) keep naming the table, not OLD.
    op.execute("PRAGMA legacy_alter_table=ON")
    op.execute(f"ALTER TABLE {TABLE} RENAME TO {OLD}")
    op.execute("PRAGMA legacy_alter_table=OFF")
    for index in ("at", "item_at"):
        op.execute(f"DROP INDEX ix_{TABLE}_{index}")
    op.execute(create)
    columns = ", ".join(copied)
    op.execute(f"INSERT INTO {TABLE} ({columns}) SELECT {columns} FROM {OLD} ORDER BY id")


def _indexes_and_guard() -> None:
    for index in INDEXES:
        op.execute(index)
    for verb in ("UPDATE", "DELETE"):
        op.execute(
            f"CREATE TRIGGER {TABLE}_no_{verb.lower()} BEFORE {verb} ON {TABLE} "
            f"BEGIN SELECT RAISE(ABORT, '{TABLE} is append-only'); END"
        )


def _upgrade_postgresql() -> None:
    # One rewrite of the table: the derived columns are added under other names and the old
    # ones dropped in one statement (with their constraints and indexes), then renamed.
    added = ", ".join(
        f"ADD COLUMN new_{name} {kind}{'' if nullable else ' NOT NULL'}"
        f" GENERATED ALWAYS AS ({expr}) STORED"
        for name, kind, nullable, expr in POSTGRESQL
    )
    dropped = ", ".join(f"DROP COLUMN {name}" for name in COLUMNS)
    op.execute(f"ALTER TABLE {TABLE} {added}, {dropped}")
    for name in COLUMNS:
        op.execute(f"ALTER TABLE {TABLE} RENAME COLUMN new_{name} TO {name}")
    op.execute(
        f"ALTER TABLE {TABLE} ADD CONSTRAINT uq_{TABLE}_enterprise_id_seq "
        "UNIQUE (enterprise_id, seq)"
    )
    for column, parent in FOREIGN:
        op.execute(
            f"ALTER TABLE {TABLE} ADD CONSTRAINT fk_{TABLE}_{column}_{parent} "
            f"FOREIGN KEY ({column}) REFERENCES {parent} (id)"
        )
    for index in INDEXES:
        op.execute(index)


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        # The columns keep their values and become plain (PostgreSQL 13 and later).
        op.execute(
            f"ALTER TABLE {TABLE} "
            + ", ".join(f"ALTER COLUMN {name} DROP EXPRESSION" for name in COLUMNS)
        )
        return
    _rebuild(
        SQLITE_PLAIN, ("id", "created_at", "updated_at", "prev_hash", "hash", "canonical", *COLUMNS)
    )
    op.execute(f"DROP TABLE {OLD}")
    _indexes_and_guard()

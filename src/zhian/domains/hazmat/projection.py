"""The ledger's typed columns, derived by the database from each entry's canonical bytes.

An entry's record is its ``canonical`` bytes: its hash commits to them, and verification
hashes them. Its typed columns (enterprise, seq, event, item, quantity, time, ...) are what
queries and indexes read; since migration 0025 each one is a stored generated column whose
expression reads it out of ``canonical``, so no INSERT or UPDATE can make a column say
something the bytes do not (the database refuses to write a generated column at all).

What verification then has to know about the columns is that the table is still this one:
:func:`intact` compares the table's definition, as the database holds it, with the one here
(SQLite: the whole ``CREATE TABLE`` text; PostgreSQL: each column's generation expression as
the server prints it). If it differs (someone rebuilt the table with plain columns, or gave
a column another expression), verification compares every row's columns with its bytes
instead (:mod:`zhian.domains.hazmat.verify`), as it also does when asked to (``--columns``):
that is the only way to catch a stored value changed under an unchanged definition, which
takes editing the schema record itself (SQLite's ``writable_schema``, PostgreSQL's
catalogs as a superuser) or the database file.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import Computed, text
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.orm import Session
from sqlalchemy.sql.expression import ColumnElement

TABLE = "hazmat_ledger_entry"


@dataclass(frozen=True, slots=True)
class Projected:
    """A typed column: its SQL types, and the expression each database derives it with."""

    name: str
    sqlite_type: str
    postgresql_type: str
    nullable: bool
    sqlite: str
    postgresql: str


def _field(key: str, sqlite_type: str, pg_type: str, *, nullable: bool = False) -> Projected:
    # json_extract gives SQLite's integer, text or NULL; the column's affinity does the rest.
    # PostgreSQL's json (not jsonb) keeps the payload's text as it was written.
    pg = f"canonical::json ->> '{key}'"
    cast = {"integer": f"({pg})::integer", "varchar": f"({pg})::varchar"}.get(pg_type, pg)
    return Projected(
        key, sqlite_type, pg_type, nullable, f"json_extract(canonical, '$.{key}')", cast
    )


# ``at`` is written as 2026-11-29T08:00:00.123456Z in the bytes. SQLite keeps the text the
# UTC type writes (a space, no zone): that text is what its queries compare. PostgreSQL
# builds the instant from its parts: a text-to-timestamp cast depends on settings, and a
# generated column takes only expressions that do not.
_AT_PG = (
    "make_timestamp(substr(canonical::json ->> 'at', 1, 4)::integer,"
    " substr(canonical::json ->> 'at', 6, 2)::integer,"
    " substr(canonical::json ->> 'at', 9, 2)::integer,"
    " substr(canonical::json ->> 'at', 12, 2)::integer,"
    " substr(canonical::json ->> 'at', 15, 2)::integer,"
    " substr(canonical::json ->> 'at', 18, 9)::double precision) AT TIME ZONE 'UTC'"
)
COLUMNS: tuple[Projected, ...] = (
    _field("enterprise_id", "INTEGER", "integer"),
    _field("seq", "INTEGER", "integer"),
    _field("event", "VARCHAR", "varchar"),
    _field("item_id", "INTEGER", "integer"),
    _field("from_enterprise_id", "INTEGER", "integer", nullable=True),
    _field("to_enterprise_id", "INTEGER", "integer", nullable=True),
    _field("site_id", "INTEGER", "integer", nullable=True),
    Projected(
        "quantity",
        "NUMERIC(18, 3)",
        "numeric(18,3)",
        False,
        "json_extract(canonical, '$.quantity')",
        "(canonical::json ->> 'quantity')::numeric(18,3)",
    ),
    _field("actor_id", "INTEGER", "integer", nullable=True),
    _field("actor", "VARCHAR", "varchar"),
    Projected(
        "at",
        "DATETIME",
        "timestamp with time zone",
        False,
        "replace(substr(json_extract(canonical, '$.at'), 1, 26), 'T', ' ')",
        _AT_PG,
    ),
    _field("reference", "VARCHAR", "varchar"),
    Projected(
        "payload",
        "TEXT",
        "text",
        False,
        "json_extract(canonical, '$.payload')",
        "(canonical::json -> 'payload')::text",
    ),
)
BY_NAME = {c.name: c for c in COLUMNS}

_FOREIGN = (
    ("enterprise_id", "hazmat_enterprise"),
    ("from_enterprise_id", "hazmat_enterprise"),
    ("item_id", "hazmat_item"),
    ("site_id", "hazmat_site"),
    ("to_enterprise_id", "hazmat_enterprise"),
)


def _sqlite_table() -> str:
    lines = [
        "id INTEGER NOT NULL",
        "created_at DATETIME NOT NULL",
        "updated_at DATETIME NOT NULL",
        "prev_hash VARCHAR NOT NULL",
        "hash VARCHAR NOT NULL",
        "canonical TEXT NOT NULL",
    ]
    lines += [
        f"{c.name} {c.sqlite_type}{'' if c.nullable else ' NOT NULL'}"
        f" GENERATED ALWAYS AS ({c.sqlite}) STORED"
        for c in COLUMNS
    ]
    lines.append(f"CONSTRAINT pk_{TABLE} PRIMARY KEY (id)")
    lines += [
        f"CONSTRAINT fk_{TABLE}_{column}_{parent} FOREIGN KEY({column}) REFERENCES {parent} (id)"
        for column, parent in _FOREIGN
    ]
    lines.append(f"CONSTRAINT uq_{TABLE}_enterprise_id_seq UNIQUE (enterprise_id, seq)")
    return f"CREATE TABLE {TABLE} (\n\t" + ",\n\t".join(lines) + "\n)"


# The table exactly as migration 0025 creates it (SQLite keeps the text it was given).
SQLITE_TABLE = _sqlite_table()


# Each generation expression as PostgreSQL prints it back (pg_get_expr), which is not the
# text it was given: read off a PostgreSQL 15 server the migration ran on. Another server
# version printing one differently only sends verification down its slower path.
def _printed(key: str, cast: str) -> str:
    return f"(((canonical)::json ->> '{key}'::text))::{cast}"


def _printed_at(start: int, length: int, cast: str) -> str:
    return f"(substr(((canonical)::json ->> 'at'::text), {start}, {length}))::{cast}"


POSTGRESQL_PRINTED = {
    c.name: _printed(c.name, "character varying" if c.postgresql_type == "varchar" else "integer")
    for c in COLUMNS
    if c.postgresql_type in ("integer", "varchar")
} | {
    "quantity": _printed("quantity", "numeric(18,3)"),
    "at": "(make_timestamp("
    + ", ".join(
        _printed_at(start, length, cast)
        for start, length, cast in (
            (1, 4, "integer"),
            (6, 2, "integer"),
            (9, 2, "integer"),
            (12, 2, "integer"),
            (15, 2, "integer"),
            (18, 9, "double precision"),
        )
    )
    + ") AT TIME ZONE 'UTC'::text)",
    "payload": "(((canonical)::json -> 'payload'::text))::text",
}


def intact(session: Session) -> bool:
    """Whether the ledger table is still the one whose typed columns the database derives from
    the bytes, as migration 0025 made it."""
    conn = session.connection()
    if conn.dialect.name == "postgresql":
        rows = conn.execute(text(_PG_GENERATED), {"table": TABLE}).all()
        return {name: printed for name, printed in rows} == POSTGRESQL_PRINTED
    stored = conn.execute(
        text("SELECT type, sql FROM sqlite_master WHERE name = :table"), {"table": TABLE}
    ).all()
    return [tuple(row) for row in stored] == [("table", SQLITE_TABLE)]


# Every column of the table with a stored generation expression, and that expression; a
# column made plain (DROP EXPRESSION) drops out, and the comparison then fails.
_PG_GENERATED = """
SELECT a.attname, pg_get_expr(d.adbin, d.adrelid)
FROM pg_attribute a JOIN pg_attrdef d ON d.adrelid = a.attrelid AND d.adnum = a.attnum
WHERE a.attrelid = CAST(:table AS regclass) AND a.attgenerated = 's' AND NOT a.attisdropped
"""


class _Derived(ColumnElement[Any]):
    """A column's generation expression, written in the dialect of the database at hand."""

    inherit_cache = True

    def __init__(self, name: str) -> None:
        self.name = name


@compiles(_Derived, "postgresql")
def _derived_pg(element: _Derived, compiler: Any, **kw: Any) -> str:
    return BY_NAME[element.name].postgresql


@compiles(_Derived)
def _derived_sqlite(element: _Derived, compiler: Any, **kw: Any) -> str:
    return BY_NAME[element.name].sqlite


def derived(name: str) -> Computed:
    """The ``Computed`` of a model's typed column: SQLAlchemy then never writes it."""
    return Computed(_Derived(name), persisted=True)

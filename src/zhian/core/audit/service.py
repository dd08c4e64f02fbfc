"""Writing and verifying the audit trail.

Every entry commits to the one before it: ``hash = chain(prev_hash, canonical(entry))``. The
chain head (last seq and hash) sits in its own row; appenders lock it first, so two
transactions never fork the chain, and verification compares against it, so a cut-off tail
shows. Entries are written in the caller's transaction: a denial's request is rolled back and
then commits the denial alone (see ``zhian.web.errors``).
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterator, Mapping, Sequence
from datetime import datetime
from typing import Any, NoReturn

from sqlalchemy import select, text, update
from sqlalchemy.orm import Session

from zhian.core import hashchain
from zhian.core.audit.models import AuditChainHead, AuditEntry
from zhian.core.errors import NotFound
from zhian.core.identity.roles import require
from zhian.core.pagination import Page, paginate
from zhian.core.scope import Actor, scope_clause
from zhian.core.time import as_utc, utcnow

FIELDS = (
    "seq",
    "at",
    "actor",
    "actor_id",
    "role",
    "action",
    "record_type",
    "record_id",
    "division",
    "client_addr",
    "outcome",
    "detail",
)


class AccessDenied(NotFound):
    """A record exists but lies outside the actor's jurisdiction: answered as not found,
    and audited as a denied access."""

    def __init__(self, actor: Actor, *, record_type: str, record_id: str, division: str | None):
        super().__init__(f"记录不存在：{record_type} {record_id}")
        self.actor = actor
        self.record_type = record_type
        self.record_id = record_id
        self.division = division


def deny(actor: Actor, *, record_type: str, record_id: str, division: str | None) -> NoReturn:
    """Refuse access to another jurisdiction's record as if it did not exist."""
    raise AccessDenied(actor, record_type=record_type, record_id=record_id, division=division)


# Written text values never hold a control character (``_clean``): PostgreSQL's jsonb refuses
# an escaped NUL, and a stored value holding one can only have been written behind the
# application's back.
_CONTROL = {c: "\ufffd" for c in range(0x20)}
_JSON = json.JSONEncoder(ensure_ascii=False, separators=(",", ":"), allow_nan=False)


def _clean(value: str | None) -> str | None:
    return None if value is None else value.translate(_CONTROL)


def _iso(value: datetime) -> str:
    return as_utc(value).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def canonical(values: Sequence[Any]) -> bytes:
    """The bytes an entry's hash commits to (audit encoding version 2): its FIELDS in order as
    a JSON array, no whitespace, non-ASCII as itself, UTF-8; ``at`` as
    ``YYYY-MM-DDTHH:MM:SS.ffffffZ`` in UTC. Stored as the ``canonical`` column, from which the
    database derives every queryable column."""
    return _JSON.encode([_iso(v) if isinstance(v, datetime) else v for v in values]).encode("utf-8")


def payload_of(entry: AuditEntry | Mapping[str, Any]) -> list[Any]:
    """The field values an entry's hash commits to, in FIELDS order."""
    if isinstance(entry, Mapping):
        return [entry.get(name) for name in FIELDS]
    return [getattr(entry, name) for name in FIELDS]


def entry_hash(prev_hash: str, entry: AuditEntry | Mapping[str, Any]) -> str:
    """The hash an entry must carry, chained to the one before it."""
    return hashchain.entry_hash_encoded(prev_hash, canonical(payload_of(entry)))


def record(
    session: Session,
    *,
    action: str,
    actor: Actor | None = None,
    outcome: str = "success",
    record_type: str | None = None,
    record_id: str | None = None,
    division: str | None = None,
    detail: Mapping[str, Any] | None = None,
    client_addr: str | None = None,
    at: datetime | None = None,
) -> AuditEntry:
    """Append an entry in the caller's transaction, chained to the one before it."""
    # UPDATE first: it takes the row lock (PostgreSQL) or the write lock (SQLite) on the head,
    # so concurrent appenders queue here instead of both chaining onto the same entry.
    seq = session.execute(
        update(AuditChainHead)
        .where(AuditChainHead.id == 1)
        .values(seq=AuditChainHead.seq + 1)
        .returning(AuditChainHead.seq, AuditChainHead.hash)
    ).one()
    new_seq, prev_hash = int(seq[0]), str(seq[1])
    when = as_utc(at or utcnow())
    values = {
        "seq": new_seq,
        "at": when,
        "actor": _clean(actor.username) if actor else None,
        "actor_id": actor.user_id if actor else None,
        "role": _clean(actor.role or None) if actor else None,
        "action": _clean(action),
        "record_type": _clean(record_type),
        "record_id": _clean(record_id),
        "division": _clean(division),
        "client_addr": _clean(client_addr or (actor.client_addr if actor else None)),
        "outcome": _clean(outcome),
        "detail": json.dumps(dict(detail), ensure_ascii=False, sort_keys=True) if detail else None,
    }
    data = canonical(payload_of(values))
    digest = hashchain.entry_hash_encoded(prev_hash, data)
    # The queryable columns are generated by the database from ``canonical``.
    entry = AuditEntry(
        seq=new_seq,
        canonical=data.decode("utf-8"),
        prev_hash=prev_hash,
        hash=digest,
        created_at=when,
        updated_at=when,
    )
    session.add(entry)
    session.execute(update(AuditChainHead).where(AuditChainHead.id == 1).values(hash=digest))
    session.flush()
    return entry


# The audit_entry table as migration 0001 creates it on SQLite (a copy: they change together).
# SQLite computes the VIRTUAL columns from ``canonical`` on every read, so checking that this
# is still the table's definition proves every queryable column of every entry.
SQLITE_SCHEMA = """CREATE TABLE audit_entry (
    id INTEGER NOT NULL,
    seq INTEGER NOT NULL,
    canonical TEXT NOT NULL CHECK (json_valid(canonical) AND json_type(canonical) = 'array'),
    prev_hash VARCHAR NOT NULL,
    hash VARCHAR NOT NULL,
    created_at DATETIME NOT NULL,
    updated_at DATETIME NOT NULL,
    at DATETIME NOT NULL GENERATED ALWAYS AS (replace(substr(json_extract(canonical, '$[1]'), 1, 26), 'T', ' ')) VIRTUAL,
    actor VARCHAR GENERATED ALWAYS AS (json_extract(canonical, '$[2]')) VIRTUAL,
    actor_id INTEGER GENERATED ALWAYS AS (json_extract(canonical, '$[3]')) VIRTUAL,
    role VARCHAR GENERATED ALWAYS AS (json_extract(canonical, '$[4]')) VIRTUAL,
    action VARCHAR NOT NULL GENERATED ALWAYS AS (json_extract(canonical, '$[5]')) VIRTUAL,
    record_type VARCHAR GENERATED ALWAYS AS (json_extract(canonical, '$[6]')) VIRTUAL,
    record_id VARCHAR GENERATED ALWAYS AS (json_extract(canonical, '$[7]')) VIRTUAL,
    division VARCHAR GENERATED ALWAYS AS (json_extract(canonical, '$[8]')) VIRTUAL,
    client_addr VARCHAR GENERATED ALWAYS AS (json_extract(canonical, '$[9]')) VIRTUAL,
    outcome VARCHAR NOT NULL GENERATED ALWAYS AS (json_extract(canonical, '$[10]')) VIRTUAL,
    detail TEXT GENERATED ALWAYS AS (json_extract(canonical, '$[11]')) VIRTUAL,
    CONSTRAINT pk_audit_entry PRIMARY KEY (id),
    CONSTRAINT uq_audit_entry_seq UNIQUE (seq)
)"""  # noqa: E501

_SQLITE_BATCH = (
    "SELECT seq, prev_hash, hash, canonical FROM audit_entry WHERE seq > ? ORDER BY seq LIMIT ?"
)
# PostgreSQL 15 has only STORED generated columns, which a user with DDL rights can turn into
# plain ones (DROP EXPRESSION) and then edit: the server rebuilds each entry's array from its
# queryable columns and compares it with ``canonical`` (one jsonb parse per row, server-side).
_PG_BATCH = (
    "SELECT seq, prev_hash, hash, canonical, canonical::jsonb = jsonb_build_array(seq, "
    """to_char(at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"'), actor, actor_id, """
    "role, action, record_type, record_id, division, client_addr, outcome, detail) "
    "FROM audit_entry WHERE seq > %s ORDER BY seq LIMIT %s"
)
SCHEMA_ALTERED = "schema altered"


def _batches(session: Session, batch: int) -> Iterator[Sequence[Any]]:
    """(seq, prev_hash, hash, canonical) in seq order, in batches, from a raw DB-API cursor:
    row materialisation is most of the cost of verifying a year of entries."""
    postgresql = session.get_bind().dialect.name == "postgresql"
    cursor = session.connection().connection.cursor()
    last: Any = 0
    try:
        while True:
            cursor.execute(_PG_BATCH if postgresql else _SQLITE_BATCH, (last, batch))
            rows = cursor.fetchall()
            if not rows:
                return
            last = rows[-1][0]
            if postgresql:
                # A row whose columns disagree with its canonical text is an altered entry.
                rows = [(s, p, h, c if same else "") for s, p, h, c, same in rows]
            yield rows
    finally:
        cursor.close()


def _schema_intact(session: Session) -> bool:
    if session.get_bind().dialect.name != "sqlite":
        return True
    ddl = session.execute(
        text("SELECT sql FROM sqlite_master WHERE type = 'table' AND name = 'audit_entry'")
    ).scalar()
    return ddl == SQLITE_SCHEMA


def verify(session: Session, *, batch: int = 20_000) -> hashchain.ChainReport:
    """Recompute the whole chain against the stored hashes and the head; name the first bad one.

    Proves, for every entry: its ``canonical`` text is the one its hash (chained to all before
    it, up to the head) commits to, its ``seq`` is the one inside that text, and every
    queryable column is derived from that text (SQLite: the table definition is intact;
    PostgreSQL: the columns are re-derived and compared)."""
    head = session.execute(select(AuditChainHead.seq, AuditChainHead.hash)).one()
    genesis = hashchain.ChainHead(0, hashchain.GENESIS)
    if not _schema_intact(session):
        return hashchain.ChainReport(
            ok=False, checked=0, head=genesis, first_bad_seq=1, reason=SCHEMA_ALTERED
        )
    return _verify_batches(_batches(session, batch), head_seq=head[0], head_hash=head[1])


def _verify_batches(
    batches: Iterator[Sequence[Any]], *, head_seq: int, head_hash: str
) -> hashchain.ChainReport:
    """:func:`hashchain.verify_chain_encoded` over stored rows, plus the check that the seq
    inside each canonical text is the row's seq; the same reasons, in the same order."""
    last_seq, last_hash = 0, hashchain.GENESIS
    checked = 0
    sha256 = hashlib.sha256
    domain = hashchain.DOMAIN
    prefix = domain + last_hash.encode("ascii")

    def bad(seq: int, reason: str) -> hashchain.ChainReport:
        return hashchain.ChainReport(
            ok=False,
            checked=checked,
            head=hashchain.ChainHead(last_seq, last_hash),
            first_bad_seq=seq,
            reason=reason,
        )

    if head_seq <= 0 and head_hash != last_hash:
        return bad(0, "head mismatch")
    # One tight loop, no per-entry function calls: this runs over a year of audit entries.
    for rows in batches:
        for row in rows:
            try:
                seq, prev_hash, stored, data = row
                if prev_hash != last_hash:
                    return bad(seq, "broken link")
                if seq != last_seq + 1:
                    return bad(seq, "gap")
                if (
                    not data.startswith(f"[{seq},")
                    or sha256(prefix + data.encode("utf-8")).hexdigest() != stored
                ):
                    return bad(seq, "altered")
            except (TypeError, ValueError, AttributeError):
                return bad(row[0] if isinstance(row[0], int) else last_seq + 1, "malformed")
            if seq == head_seq and stored != head_hash:
                return bad(seq, "head mismatch")
            # stored equals a hexdigest just computed: plain ASCII.
            last_seq, last_hash = seq, stored
            prefix = domain + stored.encode("ascii")
            checked += 1
    if last_seq < head_seq:
        return bad(last_seq + 1, "truncated")
    return hashchain.ChainReport(
        ok=True, checked=checked, head=hashchain.ChainHead(last_seq, last_hash)
    )


def list_entries(
    session: Session,
    *,
    actor: Actor,
    page: int = 1,
    per_page: int = 50,
    action: str | None = None,
) -> Page[AuditEntry]:
    """Audit entries of the actor's jurisdiction, newest first (administrators and leaders)."""
    require(actor, "audit.read")
    visible = scope_clause(actor, AuditEntry.division)  # type: ignore[arg-type]
    if len(actor.prefix) <= 4:
        # Platform-level entries (an unknown username's sign-in) belong to no division:
        # the city's auditors see them.
        visible = visible | AuditEntry.division.is_(None)
    stmt = select(AuditEntry).where(visible)
    if action:
        stmt = stmt.where(AuditEntry.action == action)
    return paginate(session, stmt.order_by(AuditEntry.seq.desc()), page, per_page)

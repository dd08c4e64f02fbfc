"""Writing and verifying the audit trail.

Every entry commits to the one before it: ``hash = chain(prev_hash, canonical(entry))``. The
chain head (last seq and hash) sits in its own row; appenders lock it first, so two
transactions never fork the chain, and verification compares against it, so a cut-off tail
shows. Entries are written in the caller's transaction: a denial's request is rolled back and
then commits the denial alone (see ``zhian.web.errors``).
"""

from __future__ import annotations

import json
from collections.abc import Iterator, Mapping, Sequence
from datetime import datetime
from typing import Any, NoReturn

from sqlalchemy import column, select, table, update
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


# Fields are joined by the unit separator; None is a lone NUL. Written values never hold a
# control character (``_clean``), so the encoding is unambiguous, and a stored value that
# does hold one can only have been written behind the application's back.
_SEP = "\x1f"
_NULL = "\x00"
_CONTROL = {c: "\ufffd" for c in range(0x20)}


def _clean(value: str | None) -> str | None:
    return None if value is None else value.translate(_CONTROL)


def _iso(value: datetime) -> str:
    return as_utc(value).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def canonical(values: Sequence[Any]) -> bytes:
    """The bytes an entry's hash commits to: its FIELDS in order, as text (version 1)."""
    parts = []
    for v in values:
        if v is None:
            parts.append(_NULL)
        elif isinstance(v, datetime):
            parts.append(_iso(v))
        else:
            parts.append(str(v))
    return _SEP.join(parts).encode("utf-8")


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
    entry = AuditEntry(
        seq=new_seq,
        at=at or utcnow(),
        actor=_clean(actor.username) if actor else None,
        actor_id=actor.user_id if actor else None,
        role=_clean(actor.role or None) if actor else None,
        action=_clean(action),
        record_type=_clean(record_type),
        record_id=_clean(record_id),
        division=_clean(division),
        client_addr=_clean(client_addr or (actor.client_addr if actor else None)),
        outcome=outcome,
        detail=json.dumps(dict(detail), ensure_ascii=False, sort_keys=True) if detail else None,
        prev_hash=prev_hash,
    )
    entry.created_at = entry.updated_at = entry.at
    entry.hash = entry_hash(prev_hash, entry)
    session.add(entry)
    session.execute(update(AuditChainHead).where(AuditChainHead.id == 1).values(hash=entry.hash))
    session.flush()
    return entry


def _sqlite_iso(stored: str) -> str:
    # SQLAlchemy keeps SQLite datetimes as 'YYYY-MM-DD HH:MM:SS.ffffff' (UTC here).
    return f"{stored[:10]}T{stored[11:]}Z"


def _encoded_rows(session: Session, batch: int) -> Iterator[tuple[int, str, str, bytes]]:
    """(seq, prev_hash, hash, canonical bytes) in seq order, read without ORM type processing:
    row materialisation is most of the cost of verifying a year of entries."""
    raw = table("audit_entry", *(column(name) for name in ("prev_hash", "hash", *FIELDS)))
    cols = [raw.c[name] for name in FIELDS]
    at_index = FIELDS.index("at")
    last = 0
    while True:
        rows = session.execute(
            select(raw.c.seq, raw.c.prev_hash, raw.c.hash, *cols)
            .where(raw.c.seq > last)
            .order_by(raw.c.seq)
            .limit(batch)
        ).all()
        if not rows:
            return
        for row in rows:
            values = list(row[3:])
            at = values[at_index]
            values[at_index] = _sqlite_iso(at) if isinstance(at, str) else at
            data = canonical(values)
            if data.count(b"\x1f") != len(FIELDS) - 1:
                data = b""  # a separator smuggled into a field: can never match its hash
            yield row[0], row[1], row[2], data
        last = rows[-1][0]


def verify(session: Session, *, batch: int = 20_000) -> hashchain.ChainReport:
    """Recompute the whole chain against the stored hashes and the head; name the first bad one."""
    head = session.execute(select(AuditChainHead.seq, AuditChainHead.hash)).one()
    return hashchain.verify_chain_encoded(
        _encoded_rows(session, batch), expected_head=(head[0], head[1])
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

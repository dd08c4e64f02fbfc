"""Writing and verifying the audit trail.

Every entry commits to the one before it: ``hash = chain(prev_hash, canonical(entry))``. The
chain head (last seq and hash) sits in its own row; appenders lock it first, so two
transactions never fork the chain, and verification compares against it, so a cut-off tail
shows. Entries are written in the caller's transaction: a denial's request is rolled back and
then commits the denial alone (see ``zhian.web.errors``).
"""

from __future__ import annotations

import json
from collections.abc import Iterator, Mapping
from datetime import datetime
from typing import Any, NoReturn

from sqlalchemy import Select, select, update
from sqlalchemy.orm import Session

from zhian.core import hashchain
from zhian.core.audit.models import AuditChainHead, AuditEntry
from zhian.core.errors import NotFound
from zhian.core.identity.roles import require
from zhian.core.pagination import Page, paginate
from zhian.core.scope import Actor, scope_clause
from zhian.core.time import utcnow

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


def payload_of(entry: AuditEntry | Mapping[str, Any]) -> dict[str, Any]:
    """The fields an entry's hash commits to."""
    get = entry.get if isinstance(entry, Mapping) else lambda k: getattr(entry, k)
    return {name: get(name) for name in FIELDS}


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
        actor=actor.username if actor else None,
        actor_id=actor.user_id if actor else None,
        role=(actor.role or None) if actor else None,
        action=action,
        record_type=record_type,
        record_id=record_id,
        division=division,
        client_addr=client_addr or (actor.client_addr if actor else None),
        outcome=outcome,
        detail=json.dumps(dict(detail), ensure_ascii=False, sort_keys=True) if detail else None,
        prev_hash=prev_hash,
    )
    entry.created_at = entry.updated_at = entry.at
    entry.hash = hashchain.entry_hash(prev_hash, payload_of(entry))
    session.add(entry)
    session.execute(update(AuditChainHead).where(AuditChainHead.id == 1).values(hash=entry.hash))
    session.flush()
    return entry


def _rows(session: Session, batch: int) -> Iterator[tuple[int, str, str, dict[str, Any]]]:
    last = 0
    cols = [getattr(AuditEntry, name) for name in FIELDS]
    while True:
        rows = session.execute(
            select(AuditEntry.prev_hash, AuditEntry.hash, *cols)
            .where(AuditEntry.seq > last)
            .order_by(AuditEntry.seq)
            .limit(batch)
        ).all()
        if not rows:
            return
        for row in rows:
            payload = dict(zip(FIELDS, row[2:], strict=True))
            yield payload["seq"], row[0], row[1], payload
        last = rows[-1][2]


def verify(session: Session, *, batch: int = 20_000) -> hashchain.ChainReport:
    """Recompute the whole chain against the stored hashes and the head; name the first bad one."""
    head = session.execute(select(AuditChainHead.seq, AuditChainHead.hash)).one()
    return hashchain.verify_chain(_rows(session, batch), expected_head=(head[0], head[1]))


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
    stmt: Select[tuple[AuditEntry]] = select(AuditEntry).where(
        scope_clause(actor, AuditEntry.division)  # type: ignore[arg-type]
    )
    if action:
        stmt = stmt.where(AuditEntry.action == action)
    return paginate(session, stmt.order_by(AuditEntry.seq.desc()), page, per_page)

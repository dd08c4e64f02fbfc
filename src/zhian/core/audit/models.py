"""Tables of the audit trail."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Computed, Text
from sqlalchemy.orm import Mapped, mapped_column

from zhian.core.db import Base


def _derived(index: int) -> Computed:
    """A column the database derives from element ``index`` of ``canonical``."""
    return Computed(f"json_extract(canonical, '$[{index}]')", persisted=False)


class AuditEntry(Base):
    """Who did what to which record, when, from where, and with what outcome.

    ``canonical`` is the one authoritative column: the JSON array the entry's ``hash`` commits
    to (with ``prev_hash``, the hash of the entry before it). Every queryable column is
    GENERATED from it by the database (see migration 0001, which is the authoritative DDL:
    the expressions differ per database, so the ``Computed`` texts here only mark the columns
    as read-only for the ORM). A trigger refuses UPDATE and DELETE on both databases.
    """

    __tablename__ = "audit_entry"

    seq: Mapped[int] = mapped_column(unique=True)
    canonical: Mapped[str] = mapped_column(Text)
    prev_hash: Mapped[str] = mapped_column()
    hash: Mapped[str] = mapped_column()
    at: Mapped[datetime] = mapped_column(_derived(1), index=True)
    actor: Mapped[str | None] = mapped_column(_derived(2))
    actor_id: Mapped[int | None] = mapped_column(_derived(3))
    role: Mapped[str | None] = mapped_column(_derived(4))
    action: Mapped[str] = mapped_column(_derived(5), index=True)
    record_type: Mapped[str | None] = mapped_column(_derived(6))
    record_id: Mapped[str | None] = mapped_column(_derived(7))
    division: Mapped[str | None] = mapped_column(_derived(8), index=True)
    client_addr: Mapped[str | None] = mapped_column(_derived(9))
    outcome: Mapped[str] = mapped_column(_derived(10))
    detail: Mapped[str | None] = mapped_column(Text, _derived(11))


class AuditChainHead(Base):
    """The single row naming the chain's last entry: appenders lock it, so entries never fork,
    and verification compares against it, so a cut-off tail shows."""

    __tablename__ = "audit_chain_head"

    seq: Mapped[int] = mapped_column(default=0)
    hash: Mapped[str] = mapped_column()

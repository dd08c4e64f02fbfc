"""Tables of the audit trail."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Text
from sqlalchemy.orm import Mapped, mapped_column

from zhian.core.db import Base


class AuditEntry(Base):
    """Who did what to which record, when, from where, and with what outcome.

    ``hash`` commits to every field and to ``prev_hash``, the hash of the entry before it;
    a trigger refuses UPDATE and DELETE on both databases.
    """

    __tablename__ = "audit_entry"

    seq: Mapped[int] = mapped_column(unique=True)
    at: Mapped[datetime] = mapped_column(index=True)
    actor: Mapped[str | None] = mapped_column()
    actor_id: Mapped[int | None] = mapped_column()
    role: Mapped[str | None] = mapped_column()
    action: Mapped[str] = mapped_column(index=True)
    record_type: Mapped[str | None] = mapped_column()
    record_id: Mapped[str | None] = mapped_column()
    division: Mapped[str | None] = mapped_column(index=True)
    client_addr: Mapped[str | None] = mapped_column()
    outcome: Mapped[str] = mapped_column()
    detail: Mapped[str | None] = mapped_column(Text)
    prev_hash: Mapped[str] = mapped_column()
    hash: Mapped[str] = mapped_column()


class AuditChainHead(Base):
    """The single row naming the chain's last entry: appenders lock it, so entries never fork,
    and verification compares against it, so a cut-off tail shows."""

    __tablename__ = "audit_chain_head"

    seq: Mapped[int] = mapped_column(default=0)
    hash: Mapped[str] = mapped_column()

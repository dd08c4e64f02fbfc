"""The idempotency key of bus consumers: one row per (consumer, event id), written in the
same transaction as the consumer's effect."""

from __future__ import annotations

from sqlalchemy import UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from zhian.core.db import Base


class ProcessedEvent(Base):
    """An event a consumer has already applied; its presence makes redelivery a no-op."""

    __tablename__ = "bus_processed_event"
    __table_args__ = (UniqueConstraint("consumer", "event_id"),)

    consumer: Mapped[str] = mapped_column()
    event_id: Mapped[str] = mapped_column()
    subject: Mapped[str] = mapped_column()

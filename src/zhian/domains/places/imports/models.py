"""Tables of a bulk import: the job with its progress and counts, and every rejected row."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Text
from sqlalchemy.orm import Mapped, mapped_column

from zhian.core.db import Base


class ImportJob(Base):
    """One uploaded file being imported: what, by whom, into which division, how far."""

    __tablename__ = "place_import_job"

    kind: Mapped[str] = mapped_column()
    filename: Mapped[str] = mapped_column()
    division: Mapped[str] = mapped_column(index=True)
    status: Mapped[str] = mapped_column(default="queued")
    total_rows: Mapped[int] = mapped_column(default=0)
    processed: Mapped[int] = mapped_column(default=0)
    accepted: Mapped[int] = mapped_column(default=0)
    unchanged: Mapped[int] = mapped_column(default=0)
    rejected: Mapped[int] = mapped_column(default=0)
    created_by: Mapped[str] = mapped_column()
    started_at: Mapped[datetime | None] = mapped_column()
    finished_at: Mapped[datetime | None] = mapped_column()
    # Why a failed job stopped; rows it had not reached are neither accepted nor rejected.
    error: Mapped[str | None] = mapped_column()


class RejectedRow(Base):
    """A row the import refused, kept as it came with the reasons, each naming its field."""

    __tablename__ = "place_import_rejected_row"

    job_id: Mapped[int] = mapped_column(ForeignKey("place_import_job.id"), index=True)
    row_number: Mapped[int] = mapped_column()
    raw: Mapped[str] = mapped_column(Text)
    reasons: Mapped[str] = mapped_column(Text)

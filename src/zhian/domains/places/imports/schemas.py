"""Output shape of an import job."""

from __future__ import annotations

import json
from datetime import datetime

from pydantic import BaseModel

from zhian.domains.places.imports.models import ImportJob, RejectedRow


class ImportJobOut(BaseModel):
    """An import job with its progress and counts."""

    id: int
    kind: str
    filename: str
    division: str
    status: str
    total_rows: int
    processed: int
    progress: float
    accepted: int
    unchanged: int
    rejected: int
    created_by: str
    created_at: datetime
    started_at: datetime | None
    finished_at: datetime | None
    error: str | None
    rejected_url: str

    @classmethod
    def of(cls, job: ImportJob) -> ImportJobOut:
        """The public shape of a job."""
        return cls(
            id=job.id,
            kind=job.kind,
            filename=job.filename,
            division=job.division,
            status=job.status,
            total_rows=job.total_rows,
            processed=job.processed,
            progress=round(job.processed / job.total_rows, 4) if job.total_rows else 1.0,
            accepted=job.accepted,
            unchanged=job.unchanged,
            rejected=job.rejected,
            created_by=job.created_by,
            created_at=job.created_at,
            started_at=job.started_at,
            finished_at=job.finished_at,
            error=job.error,
            rejected_url=f"/api/v1/addresses/imports/{job.id}/rejected.csv",
        )


class RowReason(BaseModel):
    """Why a row was refused: the field and the reason."""

    field: str
    reason: str


class RejectedRowOut(BaseModel):
    """A rejected row as it came (canonical column names) with its reasons."""

    row_number: int
    values: dict[str, str]
    reasons: list[RowReason]

    @classmethod
    def of(cls, row: RejectedRow) -> RejectedRowOut:
        """The public shape of a rejected row."""
        return cls(
            row_number=row.row_number,
            values=json.loads(row.raw),
            reasons=[RowReason.model_validate(r) for r in json.loads(row.reasons)],
        )


class RejectedPage(BaseModel):
    """One page of a job's rejected rows, in file order."""

    items: list[RejectedRowOut]
    total: int
    page: int
    per_page: int


class ImportJobPage(BaseModel):
    """One page of import jobs, newest first."""

    items: list[ImportJobOut]
    total: int
    page: int
    per_page: int

"""Output shape of an import job."""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel

from zhian.domains.places.imports.models import ImportJob


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
            rejected_url=f"/api/v1/addresses/imports/{job.id}/rejected.csv",
        )

"""JSON routes of address imports: upload a file, poll the job, download the rejected rows."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, BackgroundTasks, Depends, File, Form, Request, UploadFile
from sqlalchemy.orm import Session
from starlette.responses import Response

from zhian.core.errors import InvalidInput
from zhian.core.scope import Actor
from zhian.domains.places.imports import service
from zhian.domains.places.imports.schemas import ImportJobOut
from zhian.web.deps import api_actor, db

router = APIRouter(prefix="/api/v1", tags=["addresses"])

ActorDep = Annotated[Actor, Depends(api_actor)]
DbDep = Annotated[Session, Depends(db)]
MAX_BYTES = 20 * 1024 * 1024


@router.post("/addresses/imports", status_code=202, response_model=ImportJobOut)
def create_import(
    request: Request,
    actor: ActorDep,
    session: DbDep,
    background: BackgroundTasks,
    file: Annotated[UploadFile, File(description="CSV or XLSX, one row per record")],
    kind: Annotated[str, Form()] = "houses",
) -> Any:
    """Upload houses or organizations; the job runs after this answers, poll it for progress."""
    content = file.file.read(MAX_BYTES + 1)
    if len(content) > MAX_BYTES:
        raise InvalidInput("文件超过 20 MB", field="file")
    job, rows = service.start_import(
        session, actor=actor, kind=kind, filename=file.filename or "", content=content
    )
    out = ImportJobOut.of(job)
    background.add_task(
        service.run_import,
        request.app.state.session_factory,
        actor=actor,
        job_id=job.id,
        rows=rows,
    )
    return out


@router.get("/addresses/imports/{job_id}", response_model=ImportJobOut)
def get_import(actor: ActorDep, session: DbDep, job_id: int) -> Any:
    """An import job with its progress (processed of total) and counts."""
    return ImportJobOut.of(service.get_job(session, actor=actor, job_id=job_id))


@router.get("/addresses/imports/{job_id}/rejected.csv")
def rejected_csv(actor: ActorDep, session: DbDep, job_id: int) -> Response:
    """The job's rejected rows with a reasons column, as CSV that Excel opens (UTF-8, BOM)."""
    body = service.rejected_csv(session, actor=actor, job_id=job_id)
    return Response(
        body.encode("utf-8"),
        media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": f'attachment; filename="import-{job_id}-rejected.csv"'},
    )

"""JSON routes of address imports: upload a file, poll the job, download the rejected rows."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, BackgroundTasks, Depends, File, Form, Query, Request, UploadFile
from sqlalchemy.orm import Session
from starlette.responses import Response

from zhian.core.scope import Actor
from zhian.domains.places.imports import service
from zhian.domains.places.imports.schemas import (
    ImportJobOut,
    ImportJobPage,
    RejectedPage,
    RejectedRowOut,
)
from zhian.web.deps import api_actor, db

router = APIRouter(prefix="/api/v1", tags=["addresses"])

ActorDep = Annotated[Actor, Depends(api_actor)]
DbDep = Annotated[Session, Depends(db)]


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
    content = service.read_upload(file.file)
    job = service.launch_import(
        session,
        request.app.state.session_factory,
        background.add_task,
        actor=actor,
        kind=kind,
        filename=file.filename or "",
        content=content,
    )
    return ImportJobOut.of(job)


@router.get("/addresses/imports", response_model=ImportJobPage)
def list_imports(
    actor: ActorDep,
    session: DbDep,
    page: Annotated[int, Query(ge=1)] = 1,
    per_page: Annotated[int, Query(ge=1, le=100)] = 20,
) -> Any:
    """Import jobs of the caller's jurisdiction, newest first."""
    found = service.list_jobs(session, actor=actor, page=page, per_page=per_page)
    return ImportJobPage(
        items=[ImportJobOut.of(j) for j in found.items],
        total=found.total,
        page=found.page,
        per_page=found.per_page,
    )


@router.get("/addresses/imports/{job_id}", response_model=ImportJobOut)
def get_import(actor: ActorDep, session: DbDep, job_id: int) -> Any:
    """An import job with its progress (processed of total) and counts."""
    return ImportJobOut.of(service.get_job(session, actor=actor, job_id=job_id))


@router.get("/addresses/imports/{job_id}/rejected", response_model=RejectedPage)
def rejected_rows(
    actor: ActorDep,
    session: DbDep,
    job_id: int,
    page: Annotated[int, Query(ge=1)] = 1,
    per_page: Annotated[int, Query(ge=1, le=500)] = 100,
) -> Any:
    """The job's row-level error report: each rejected row with its fields and reasons."""
    found = service.rejected_page(session, actor=actor, job_id=job_id, page=page, per_page=per_page)
    return RejectedPage(
        items=[RejectedRowOut.of(r) for r in found.items],
        total=found.total,
        page=found.page,
        per_page=found.per_page,
    )


@router.get("/addresses/imports/{job_id}/rejected.csv")
def rejected_csv(actor: ActorDep, session: DbDep, job_id: int) -> Response:
    """The job's rejected rows with a reasons column, as CSV that Excel opens (UTF-8, BOM)."""
    body = service.rejected_csv(session, actor=actor, job_id=job_id)
    return Response(
        body.encode("utf-8"),
        media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": f'attachment; filename="import-{job_id}-rejected.csv"'},
    )

"""Console pages of address imports: upload a file, watch the job, read its error report."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, BackgroundTasks, Depends, File, Form, Request, UploadFile
from fastapi.responses import RedirectResponse
from sqlalchemy.orm import Session
from starlette.responses import Response

from zhian.core.errors import InvalidInput
from zhian.core.identity.roles import allowed
from zhian.domains.places.imports import service
from zhian.domains.places.imports.schemas import ImportJobOut, RejectedRowOut
from zhian.web.deps import Identity, db, page_identity
from zhian.web.templating import render

router = APIRouter(include_in_schema=False)

IdentityDep = Annotated[Identity, Depends(page_identity)]
DbDep = Annotated[Session, Depends(db)]
REPORT_ROWS = 200


def _form(
    request: Request, ident: Identity, session: Session, *, error: InvalidInput | None = None
) -> Response:
    jobs = service.list_jobs(session, actor=ident.actor, per_page=20)
    return render(
        request,
        "places/imports.html",
        jobs=[ImportJobOut.of(j) for j in jobs.items],
        kinds=service.KINDS,
        may_import=allowed(ident.actor.role, "places.manage"),
        error=error,
        status_code=422 if error else 200,
        active="places",
    )


@router.get("/places/imports")
def imports_page(request: Request, ident: IdentityDep, session: DbDep) -> Response:
    """The upload form and the recent import jobs of the user's jurisdiction."""
    return _form(request, ident, session)


@router.post("/places/imports")
def upload(
    request: Request,
    ident: IdentityDep,
    session: DbDep,
    background: BackgroundTasks,
    file: Annotated[UploadFile, File()],
    kind: Annotated[str, Form()] = "houses",
) -> Response:
    """Start an import from the form; the job runs in the background, its page shows it."""
    try:
        job = service.launch_import(
            session,
            request.app.state.session_factory,
            background.add_task,
            actor=ident.actor,
            kind=kind,
            filename=file.filename or "",
            content=service.read_upload(file.file),
        )
    except InvalidInput as exc:
        return _form(request, ident, session, error=exc)
    return RedirectResponse(f"/places/imports/{job.id}", status_code=303)


@router.get("/places/imports/{job_id}")
def job_page(request: Request, ident: IdentityDep, session: DbDep, job_id: int) -> Response:
    """An import job: live progress while it runs, then its rejected rows and why."""
    job = service.get_job(session, actor=ident.actor, job_id=job_id)
    report: list[RejectedRowOut] = []
    total = 0
    if job.status not in service.OPEN and job.rejected:
        found = service.rejected_page(
            session, actor=ident.actor, job_id=job.id, per_page=REPORT_ROWS
        )
        report = [RejectedRowOut.of(r) for r in found.items]
        total = found.total
    return render(
        request,
        "places/import_job.html",
        job=ImportJobOut.of(job),
        report=report,
        report_total=total,
        open_statuses=service.OPEN,
        active="places",
    )

"""Console page of the audit trail."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Query, Request
from sqlalchemy.orm import Session
from starlette.responses import Response

from zhian.core.audit import service
from zhian.web.deps import Identity, db, page_identity
from zhian.web.templating import render

router = APIRouter(include_in_schema=False)


@router.get("/audit")
def audit_page(
    request: Request,
    ident: Annotated[Identity, Depends(page_identity)],
    session: Annotated[Session, Depends(db)],
    page: Annotated[int, Query(ge=1)] = 1,
) -> Response:
    """Audit entries of the signed-in user's jurisdiction, newest first."""
    found = service.list_entries(session, actor=ident.actor, page=page, per_page=100)
    return render(request, "audit/entries.html", page=found, active="audit")

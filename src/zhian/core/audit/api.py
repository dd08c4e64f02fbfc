"""JSON routes of the audit trail (reading only: nothing may change it)."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query
from sqlalchemy.orm import Session

from zhian.core.audit import service
from zhian.core.audit.schemas import AuditPage
from zhian.core.scope import Actor
from zhian.web.deps import api_actor, db

router = APIRouter(prefix="/api/v1/audit", tags=["audit"])


@router.get("", response_model=AuditPage)
def list_entries(
    actor: Annotated[Actor, Depends(api_actor)],
    session: Annotated[Session, Depends(db)],
    page: Annotated[int, Query(ge=1)] = 1,
    per_page: Annotated[int, Query(ge=1, le=500)] = 50,
    action: str | None = None,
) -> Any:
    """Audit entries of the caller's jurisdiction (administrators and leaders)."""
    return service.list_entries(session, actor=actor, page=page, per_page=per_page, action=action)

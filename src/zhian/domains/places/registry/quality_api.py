"""Routes of data quality: recording a field check, and the per-county figures."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends
from sqlalchemy.orm import Session

from zhian.core.scope import Actor
from zhian.domains.places.registry import quality
from zhian.domains.places.registry.quality_schemas import (
    QualityRow,
    VerificationCreate,
    VerificationOut,
)
from zhian.web.deps import api_actor, db

router = APIRouter(prefix="/api/v1", tags=["addresses"])

ActorDep = Annotated[Actor, Depends(api_actor)]
DbDep = Annotated[Session, Depends(db)]


@router.get("/addresses/quality", response_model=list[QualityRow])
def get_quality(actor: ActorDep, session: DbDep) -> Any:
    """Collection and accuracy rates per county of the caller's jurisdiction, against 95%."""
    return quality.quality(session, actor=actor)


@router.post(
    "/addresses/{address_id}/verifications", status_code=201, response_model=VerificationOut
)
def create_verification(
    actor: ActorDep, session: DbDep, address_id: int, data: VerificationCreate
) -> Any:
    """Record a field check of an address: verified, corrected or not found."""
    row = quality.record_verification(session, actor=actor, address_id=address_id, data=data)
    return quality.verification_out(row)

"""Input and output shapes of field verification and the data-quality figures."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from pydantic import BaseModel, Field


class Outcome(StrEnum):
    """What a field check found at a house number."""

    VERIFIED = "verified"
    CORRECTED = "corrected"
    NOT_FOUND = "not_found"


class VerificationCreate(BaseModel):
    """A field check to record."""

    outcome: Outcome
    note: str = Field(default="", max_length=200)


class VerificationOut(BaseModel):
    """A recorded field check."""

    id: int
    address_id: int
    outcome: str
    verifier: str
    verified_at: datetime
    division: str
    note: str


class QualityRow(BaseModel):
    """One county's collection and accuracy against the target."""

    division: str
    name: str
    houses: int
    collected: int
    collection_rate: float | None
    verified: int
    corrected: int
    not_found: int
    accuracy_rate: float | None
    target: float
    meets_target: bool

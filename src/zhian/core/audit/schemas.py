"""Output shapes of the audit trail."""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, ConfigDict


class AuditEntryOut(BaseModel):
    """An audit entry as the API shows it."""

    model_config = ConfigDict(from_attributes=True)

    seq: int
    at: datetime
    actor: str | None
    role: str | None
    action: str
    record_type: str | None
    record_id: str | None
    division: str | None
    client_addr: str | None
    outcome: str
    detail: str | None
    hash: str


class AuditPage(BaseModel):
    """One page of audit entries, newest first."""

    items: list[AuditEntryOut]
    total: int
    page: int
    per_page: int

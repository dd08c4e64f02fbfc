"""Handling an alert, the same way in every domain: open until someone resolves it with a note.

A domain's alert table keeps its own columns (what raised it, where); the handling columns
(``status``, ``resolved_at``, ``resolved_by``, ``note``) and the rule for closing one are
shared, so a transport alert and a hazmat alert are resolved, refused and audited alike.
"""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Any, Protocol

from sqlalchemy.orm import Session

from zhian.core.audit import service as audit
from zhian.core.errors import Conflict, InvalidInput
from zhian.core.scope import Actor
from zhian.core.time import utcnow


class AlertStatus(StrEnum):
    """Whether someone still has to handle the alert."""

    OPEN = "open"
    RESOLVED = "resolved"


class Handled(Protocol):
    """The handling columns every domain's alert row has."""

    id: int
    division: str
    status: str
    resolved_at: datetime | None
    resolved_by: str | None
    note: str | None


def resolve_with_note(
    session: Session,
    *,
    actor: Actor,
    alert: Handled,
    note: str,
    record_type: str,
    detail: dict[str, Any],
) -> None:
    """Close an open alert with the note saying how it was handled, and audit it.

    The caller has checked the actor's permission and that the alert is visible to them.
    """
    note = note.strip()
    if not note:
        raise InvalidInput("须填写处置说明", field="note")
    if alert.status != AlertStatus.OPEN:
        raise Conflict("该告警已处理", field="status")
    alert.status = AlertStatus.RESOLVED
    alert.resolved_at = utcnow()
    alert.resolved_by = actor.username
    alert.note = note
    session.flush()
    audit.record(
        session,
        actor=actor,
        action="resolve",
        record_type=record_type,
        record_id=str(alert.id),
        division=alert.division,
        detail=detail,
    )

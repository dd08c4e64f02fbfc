"""Handling an alert, the same way in every domain: open until someone resolves it with a note.

A domain's alert table keeps its own columns (what raised it, where); the handling columns
(``status``, ``resolved_at``, ``resolved_by``, ``note``) and the rule for closing one are
shared, so a transport alert and a hazmat alert are resolved, refused and audited alike.
A domain whose alerts are also acknowledged (seen, being handled) before they are resolved
adds ``acknowledged_at`` and ``acknowledged_by``; ``status`` stays open until the resolve.
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


class Acknowledgeable(Handled, Protocol):
    """An alert row that also records who took it up, and when."""

    acknowledged_at: datetime | None
    acknowledged_by: str | None


def acknowledge(
    session: Session,
    *,
    actor: Actor,
    alert: Acknowledgeable,
    record_type: str,
    detail: dict[str, Any],
) -> None:
    """Mark an open alert as seen and being handled by the actor, and audit it.

    The caller has checked the actor's permission and that the alert is visible to them.
    """
    if alert.status != AlertStatus.OPEN:
        raise Conflict("该告警已处理", field="status")
    if alert.acknowledged_at is not None:
        raise Conflict(f"该告警已由 {alert.acknowledged_by} 确认", field="acknowledged_at")
    alert.acknowledged_at = utcnow()
    alert.acknowledged_by = actor.username
    _audited(session, actor, alert, "acknowledge", record_type, detail)


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
    _audited(session, actor, alert, "resolve", record_type, detail)


def _audited(
    session: Session,
    actor: Actor,
    alert: Handled,
    action: str,
    record_type: str,
    detail: dict[str, Any],
) -> None:
    session.flush()
    audit.record(
        session,
        actor=actor,
        action=action,
        record_type=record_type,
        record_id=str(alert.id),
        division=alert.division,
        detail=detail,
    )

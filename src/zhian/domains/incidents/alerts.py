"""The board's alerts: raising an overdue alert once per incident, closing alerts that no
longer hold, and listing the open ones a viewer may see.

The periodic checks (``scheduler``) call ``check_overdue`` and ``zones.check_zones`` with an
explicit clock inside their own unit of work; both are safe to run from several processes:
the unique (kind, incident) constraint turns a raced second insert into a no-op.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import and_, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from zhian.core import scope as scoping
from zhian.core.audit import service as audit
from zhian.core.identity.roles import require
from zhian.core.pagination import Page, paginate
from zhian.core.records import visible_or_404
from zhian.core.scope import SYSTEM, Actor
from zhian.core.settings import DEFAULT_TARGETS, ResponseTargets
from zhian.domains.incidents import overdue as rule
from zhian.domains.incidents.choices import AlertKind, IncidentStatus
from zhian.domains.incidents.models import Alert, Incident


def open_alert(session: Session, alert: Alert) -> bool:
    """Insert ``alert``; False when another process raised the same one first."""
    try:
        with session.begin_nested():
            session.add(alert)
            session.flush()
    except IntegrityError:
        return False
    audit.record(
        session,
        actor=SYSTEM,
        action="alert_open",
        record_type="incident_alert",
        record_id=str(alert.id),
        division=alert.division,
        detail={"kind": alert.kind, "incident_id": alert.incident_id, "zone_id": alert.zone_id},
    )
    return True


def close(session: Session, alerts: Sequence[Alert], *, now: datetime, why: str) -> None:
    """Close these open alerts (audited as the system's)."""
    for alert in alerts:
        alert.closed_at = now
        audit.record(
            session,
            actor=SYSTEM,
            action="alert_close",
            record_type="incident_alert",
            record_id=str(alert.id),
            division=alert.division,
            detail={"kind": alert.kind, "why": why},
        )
    session.flush()


def check_overdue(
    session: Session, *, now: datetime, targets: ResponseTargets = DEFAULT_TARGETS
) -> list[Alert]:
    """Raise an overdue alert for each waiting incident past its dispatch target that has
    none yet, and close the overdue alerts of incidents that are no longer waiting."""
    stmt = (
        select(Incident.id, Incident.priority, Incident.received_at, Incident.division)
        .outerjoin(
            Alert,
            and_(Alert.incident_id == Incident.id, Alert.kind == AlertKind.OVERDUE.value),
        )
        .where(
            Incident.status == IncidentStatus.RECEIVED.value,
            Incident.received_at <= rule.earliest_overdue_receipt(now, targets.dispatch_s),
            Alert.id.is_(None),
        )
    )
    rows = session.execute(stmt).all()
    divisions = {r[0]: r[3] for r in rows}
    waiting = [rule.Waiting(r[0], r[1], r[2]) for r in rows]
    raised = []
    for item, _late_by in rule.overdue(waiting, now=now, targets=targets.dispatch_s):
        target_min = f"{targets.dispatch_s[item.priority] / 60:g}"
        alert = Alert(
            kind=AlertKind.OVERDUE.value,
            division=divisions[item.incident_id],
            incident_id=item.incident_id,
            message=f"{item.priority}级警情 {target_min} 分钟内未派警",
            opened_at=now,
        )
        if open_alert(session, alert):
            raised.append(alert)
    stale = session.scalars(
        select(Alert)
        .join(Incident, Alert.incident_id == Incident.id)
        .where(
            Alert.kind == AlertKind.OVERDUE.value,
            Alert.closed_at.is_(None),
            Incident.status != IncidentStatus.RECEIVED.value,
        )
    ).all()
    close(session, stale, now=now, why="dispatched")
    return raised


def close_for_incident(session: Session, *, incident_id: int, now: datetime) -> None:
    """The incident got its first unit (or ended): its open overdue alert is done."""
    found = session.scalars(
        select(Alert).where(
            Alert.incident_id == incident_id,
            Alert.kind == AlertKind.OVERDUE.value,
            Alert.closed_at.is_(None),
        )
    ).all()
    close(session, found, now=now, why="dispatched")


def list_alerts(
    session: Session,
    *,
    actor: Actor,
    open_only: bool = True,
    page: int = 1,
    per_page: int = 50,
) -> Page[Alert]:
    """Alerts of the actor's jurisdiction, newest first (only the open ones by default)."""
    require(actor, "incidents.read")
    stmt = select(Alert).where(scoping.scope_clause(actor, Alert.division))
    if open_only:
        stmt = stmt.where(Alert.closed_at.is_(None))
    return paginate(session, stmt.order_by(Alert.opened_at.desc(), Alert.id.desc()), page, per_page)


def get_alert(session: Session, *, actor: Actor, alert_id: int) -> Alert:
    """One alert of the actor's jurisdiction; another's is not found (audited)."""
    require(actor, "incidents.read")
    return visible_or_404(
        actor,
        session.get(Alert, alert_id),
        record_type="incident_alert",
        record_id=alert_id,
        label="告警",
    )

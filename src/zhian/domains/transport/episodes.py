"""Alert episodes on the alert table: finding the running one, opening, stepping.

Every monitoring rule answers a ``Step`` for a fix (``rules.Step``); this is the one place
that turns a step into a change of the alert row, so that every rule opens, continues,
calms and ends its episode the same way.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from zhian.domains.transport.choices import AlertKind, AlertStatus
from zhian.domains.transport.models import Alert, Vehicle
from zhian.domains.transport.rules import Step


class Running:
    """A vehicle's running episodes by kind, read in one query per fix."""

    def __init__(self, session: Session, vehicle_id: int) -> None:
        self._by_kind: dict[str, list[Alert]] = {}
        for alert in session.scalars(
            select(Alert)
            .where(Alert.vehicle_id == vehicle_id, Alert.active.is_(True))
            .order_by(Alert.id)
        ):
            self._by_kind.setdefault(alert.kind, []).append(alert)

    def all(self, kind: AlertKind) -> list[Alert]:
        """The running episodes of this kind, oldest first."""
        return self._by_kind.get(kind, [])

    def newest(self, kind: AlertKind) -> Alert | None:
        """The newest running episode of this kind, if any."""
        found = self._by_kind.get(kind)
        return found[-1] if found else None


def open_alert(
    session: Session,
    vehicle: Vehicle,
    kind: AlertKind,
    at: datetime,
    *,
    active: bool = True,
    point: tuple[float, float] | None = None,
    permit_id: int | None = None,
    zone_id: int | None = None,
) -> Alert:
    """A new alert (open, to be handled) for an episode that began at ``at``."""
    alert = Alert(
        vehicle_id=vehicle.id,
        kind=kind,
        status=AlertStatus.OPEN,
        division=vehicle.division,
        opened_at=at,
        last_seen_at=at,
        active=active,
        calm_count=0,
        permit_id=permit_id,
        zone_id=zone_id,
        lon=point[0] if point else None,
        lat=point[1] if point else None,
    )
    session.add(alert)
    return alert


def follow(alert: Alert | None, step: Step, *, at: datetime, calm: int = 0) -> None:
    """Apply a CONTINUE, CALMING or END step to a running episode (OPEN is the caller's)."""
    if alert is None:
        return
    if step is Step.CONTINUE:
        alert.last_seen_at, alert.calm_count = at, 0
    elif step is Step.CALMING:
        alert.calm_count = calm
    elif step is Step.END:
        alert.calm_count, alert.active, alert.ended_at = calm, False, at

"""Alert episodes on the alert table: finding the running one, opening, stepping.

Every monitoring rule answers a ``Step`` for a fix (``rules.Step``); this is the one place
that turns a step into a change of the alert row, so that every rule opens, continues,
calms and ends its episode the same way.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from zhian.core.db import one_of
from zhian.domains.transport.choices import AlertKind, AlertStatus
from zhian.domains.transport.models import Alert, Vehicle
from zhian.domains.transport.rules import Step
from zhian.domains.transport.vehicle_state import VehicleState

_RUNNING = (
    select(Alert).where(one_of(Alert.vehicle_id, "ids"), Alert.active.is_(True)).order_by(Alert.id)
)


class Running:
    """A vehicle's running episodes by kind, oldest first, kept across a batch of its fixes.

    Loaded for all the vehicles of a batch in one query (``of_vehicles``). The rules of one
    fix see the episodes as they stood before it: an alert opened by the fix joins, and an
    ended one leaves, at ``settle``, which the caller runs between fixes.
    """

    def __init__(self, alerts: Iterable[Alert] = ()) -> None:
        self._by_kind: dict[str, list[Alert]] = {}
        self._opened: list[Alert] = []
        for alert in alerts:
            self._by_kind.setdefault(alert.kind, []).append(alert)

    @classmethod
    def of_vehicles(cls, session: Session, vehicle_ids: Collection[int]) -> dict[int, Running]:
        """The running episodes of each vehicle, in one query."""
        found: dict[int, list[Alert]] = {vid: [] for vid in vehicle_ids}
        if found:
            for alert in session.scalars(_RUNNING, {"ids": sorted(found)}):
                found[alert.vehicle_id].append(alert)
        return {vid: cls(alerts) for vid, alerts in found.items()}

    def all(self, kind: AlertKind) -> list[Alert]:
        """The running episodes of this kind, oldest first."""
        return self._by_kind.get(kind, [])

    def newest(self, kind: AlertKind) -> Alert | None:
        """The newest running episode of this kind, if any."""
        found = self._by_kind.get(kind)
        return found[-1] if found else None

    def open(
        self,
        session: Session,
        vehicle: Vehicle | VehicleState,
        kind: AlertKind,
        at: datetime,
        *,
        point: tuple[float, float] | None = None,
        permit_id: int | None = None,
        zone_id: int | None = None,
    ) -> Alert:
        """``open_alert``, the new episode running from the next fix on."""
        alert = open_alert(
            session, vehicle, kind, at, point=point, permit_id=permit_id, zone_id=zone_id
        )
        self._opened.append(alert)
        return alert

    def settle(self) -> None:
        """Between two fixes: the episodes opened join, the ended ones leave."""
        for alert in self._opened:
            self._by_kind.setdefault(alert.kind, []).append(alert)
        self._opened.clear()
        for kind, alerts in list(self._by_kind.items()):
            if any(not a.active for a in alerts):
                self._by_kind[kind] = [a for a in alerts if a.active]


def open_alert(
    session: Session,
    vehicle: Vehicle | VehicleState,
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

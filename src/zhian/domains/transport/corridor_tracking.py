"""Applying the corridor, no-go and arrival rules to one stored fix, in its transaction.

``tracking.record_position`` calls ``apply`` for each fix newer than the vehicle's newest,
for dangerous-goods vehicles only. The deviation episode's state lives on the permit; a
no-go episode's on its alert (``calm_count``), as overspeed's does.
"""

from __future__ import annotations

from datetime import datetime

import numpy as np
import shapely
from sqlalchemy import select
from sqlalchemy.orm import Session

from zhian.core.audit import service as audit
from zhian.core.scope import SYSTEM
from zhian.domains.transport import corridor as geo
from zhian.domains.transport import corridor_rules as cr
from zhian.domains.transport import permits
from zhian.domains.transport import rules as r
from zhian.domains.transport.choices import AlertKind, AlertStatus, PermitStatus
from zhian.domains.transport.models import Alert, Permit, Position, Vehicle


def _new_alert(
    session: Session,
    vehicle: Vehicle,
    kind: AlertKind,
    at: datetime,
    *,
    permit_id: int | None = None,
    zone_id: int | None = None,
) -> Alert:
    alert = Alert(
        vehicle_id=vehicle.id,
        kind=kind,
        status=AlertStatus.OPEN,
        division=vehicle.division,
        opened_at=at,
        last_seen_at=at,
        active=True,
        calm_count=0,
        permit_id=permit_id,
        zone_id=zone_id,
    )
    session.add(alert)
    return alert


def _active_alerts(session: Session, vehicle_id: int, kind: AlertKind) -> list[Alert]:
    return list(
        session.scalars(
            select(Alert).where(
                Alert.vehicle_id == vehicle_id, Alert.kind == kind, Alert.active.is_(True)
            )
        )
    )


def apply(session: Session, vehicle: Vehicle, pos: Position, rules: r.AlertRules) -> None:
    """Apply the permit rules (arrival, deviation) and the no-go rule to one fix."""
    permit = permits.active_permit(session, vehicle.id, pos.located_at)
    if permit is not None:
        _permit_rules(session, vehicle, permit, pos, rules)
    _zone_rules(session, vehicle, pos, rules)


def _permit_rules(
    session: Session, vehicle: Vehicle, permit: Permit, pos: Position, rules: r.AlertRules
) -> None:
    at = pos.located_at
    poly, destination = permits.corridor_of(permit)
    deviation = [
        a
        for a in _active_alerts(session, vehicle.id, AlertKind.CORRIDOR_DEVIATION)
        if a.permit_id == permit.id
    ]
    if geo.distance_m((pos.lon, pos.lat), destination) <= rules.arrival_m:
        _arrive(session, permit, deviation, at)
        return
    inside = bool(shapely.intersects_xy(poly, pos.lon, pos.lat))
    alert = deviation[0] if deviation else None
    step, state = cr.deviation_step(
        state=cr.DeviationState(permit.outside_since, permit.inside_count),
        alerted=alert is not None,
        inside=inside,
        at=at,
        deviation_seconds=rules.deviation_seconds,
        inside_positions=rules.inside_positions,
    )
    permit.outside_since, permit.inside_count = state.outside_since, state.inside_count
    if step is r.Step.OPEN:
        opened = state.outside_since or at
        _new_alert(session, vehicle, AlertKind.CORRIDOR_DEVIATION, opened, permit_id=permit.id)
    elif alert is not None and step is r.Step.CONTINUE:
        alert.last_seen_at, alert.calm_count = at, 0
    elif alert is not None and step is r.Step.CALMING:
        alert.calm_count = state.inside_count
    elif alert is not None and step is r.Step.END:
        alert.active, alert.ended_at = False, at


def _arrive(session: Session, permit: Permit, deviation: list[Alert], at: datetime) -> None:
    permit.status = PermitStatus.CLOSED
    permit.closed_at = at
    permit.outside_since, permit.inside_count = None, 0
    for alert in deviation:
        alert.active, alert.ended_at = False, at
    permits.forget_corridor(permit.id)
    audit.record(
        session,
        actor=SYSTEM,
        action="arrive",
        record_type="transport_permit",
        record_id=str(permit.id),
        division=permit.division,
        detail={"vehicle_id": permit.vehicle_id, "at": at.isoformat()},
    )


def _zone_rules(session: Session, vehicle: Vehicle, pos: Position, rules: r.AlertRules) -> None:
    at = pos.located_at
    zones = permits.zones(session)
    hit: set[int] = set()
    if zones:
        geoms = np.array([g for _, _, g in zones], dtype=object)
        inside = shapely.intersects_xy(geoms, pos.lon, pos.lat)
        hit = {
            zone_id
            for (zone_id, hours, _), yes in zip(zones, inside, strict=True)
            if yes and cr.in_hours(hours, at)
        }
    active = {a.zone_id: a for a in _active_alerts(session, vehicle.id, AlertKind.NO_GO_ZONE)}
    for zone_id in hit | {z for z in active if z is not None}:
        alert = active.get(zone_id)
        step, calm = cr.zone_step(
            active=alert is not None,
            calm_count=alert.calm_count if alert is not None else 0,
            inside=zone_id in hit,
            inside_positions=rules.inside_positions,
        )
        if step is r.Step.OPEN:
            _new_alert(session, vehicle, AlertKind.NO_GO_ZONE, at, zone_id=zone_id)
        elif alert is not None and step is r.Step.CONTINUE:
            alert.last_seen_at, alert.calm_count = at, 0
        elif alert is not None and step is r.Step.CALMING:
            alert.calm_count = calm
        elif alert is not None and step is r.Step.END:
            alert.calm_count, alert.active, alert.ended_at = calm, False, at

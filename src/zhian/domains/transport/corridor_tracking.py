"""Applying the corridor, no-go and arrival rules to one stored fix, in its transaction.

``tracking.record_positions`` calls ``apply`` for each fix newer than the vehicle's newest,
for dangerous-goods vehicles only, with the permit active at the fix's time (if any). The
no-go zones are tested through the cached ``ZoneIndex`` (an STR tree over prepared
polygons), for all the fixes of a batch in one query (``zones_hit``), not a test against every
zone. The deviation
episode's state lives on the permit; a no-go episode's on its alert (``calm_count``).
"""

from __future__ import annotations

from collections.abc import Collection
from datetime import datetime

import numpy as np
import shapely
from numpy.typing import NDArray
from sqlalchemy.orm import Session

from zhian.core.audit import service as audit
from zhian.core.scope import SYSTEM
from zhian.domains.transport import corridor as geo
from zhian.domains.transport import corridor_rules as cr
from zhian.domains.transport import episodes, permits
from zhian.domains.transport import rules as r
from zhian.domains.transport.choices import AlertKind, PermitStatus
from zhian.domains.transport.models import Alert, Permit
from zhian.domains.transport.vehicle_state import VehicleState

# A no-go zone a fix lies in: its id and restricted hours (None: at all hours).
ZoneHit = tuple[int, str | None]


def apply(
    session: Session,
    vehicle: VehicleState,
    pos: r.Fix,
    rules: r.AlertRules,
    permit: Permit | None,
    *,
    running: episodes.Running,
    zone_hits: Collection[ZoneHit],
) -> None:
    """Apply the permit rules (arrival, deviation) and the no-go rule to one fix.

    ``zone_hits``: the no-go zones the fix lies in, with their hours (``zones_hit``).
    """
    if permit is not None:
        _permit_rules(session, vehicle, permit, pos, rules, running)
    _zone_rules(session, vehicle, pos, rules, running, zone_hits)


def zones_hit(
    index: cr.ZoneIndex, lon: NDArray[np.float64], lat: NDArray[np.float64]
) -> list[list[ZoneHit]]:
    """For each point, the no-go zones it lies in: one tree query for many fixes."""
    out: list[list[ZoneHit]] = [[] for _ in range(len(lon))]
    fixes, zone_ids = index.hits(lon, lat)
    for n, zone_id in zip(fixes.tolist(), zone_ids.tolist(), strict=True):
        out[n].append((zone_id, index.hours[zone_id]))
    return out


def _permit_rules(
    session: Session,
    vehicle: VehicleState,
    permit: Permit,
    pos: r.Fix,
    rules: r.AlertRules,
    running: episodes.Running,
) -> None:
    at = pos.located_at
    poly, destination = permits.corridor_of(permit)
    deviation = [a for a in running.all(AlertKind.CORRIDOR_DEVIATION) if a.permit_id == permit.id]
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
        running.open(
            session,
            vehicle,
            AlertKind.CORRIDOR_DEVIATION,
            state.outside_since or at,
            point=(pos.lon, pos.lat),
            permit_id=permit.id,
        )
    else:
        episodes.follow(alert, step, at=at, calm=state.inside_count)


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


def _zone_rules(
    session: Session,
    vehicle: VehicleState,
    pos: r.Fix,
    rules: r.AlertRules,
    running: episodes.Running,
    zone_hits: Collection[ZoneHit],
) -> None:
    at = pos.located_at
    hit = {zone_id for zone_id, hours in zone_hits if cr.in_hours(hours, at)}
    active = {a.zone_id: a for a in running.all(AlertKind.NO_GO_ZONE)}
    for zone_id in sorted(hit | {z for z in active if z is not None}):
        alert = active.get(zone_id)
        step, calm = cr.zone_step(
            active=alert is not None,
            calm_count=alert.calm_count if alert is not None else 0,
            inside=zone_id in hit,
            inside_positions=rules.inside_positions,
        )
        if step is r.Step.OPEN:
            running.open(
                session,
                vehicle,
                AlertKind.NO_GO_ZONE,
                at,
                point=(pos.lon, pos.lat),
                zone_id=zone_id,
            )
        else:
            episodes.follow(alert, step, at=at, calm=calm)

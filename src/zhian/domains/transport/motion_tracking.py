"""Applying the motion rules (fatigue, unscheduled stop, night driving) to one stored fix.

``tracking.record_positions`` calls ``apply`` for each fix newer than the vehicle's newest,
for dangerous-goods vehicles only, before the corridor rules (an arrival may close the
permit). The motion state lives on the vehicle row (``VehicleState`` while a batch is
applied); each episode's on its alert.
"""

from __future__ import annotations

from sqlalchemy.orm import Session

from zhian.domains.transport import episodes, permits
from zhian.domains.transport import motion_rules as mr
from zhian.domains.transport import rules as r
from zhian.domains.transport.choices import AlertKind
from zhian.domains.transport.models import Permit
from zhian.domains.transport.vehicle_state import VehicleState


def motion_of(vehicle: VehicleState) -> mr.Motion:
    """The motion state kept on the vehicle row."""
    halt_at = None
    if vehicle.halt_lon is not None and vehicle.halt_lat is not None:
        halt_at = (vehicle.halt_lon, vehicle.halt_lat)
    last_point = None
    if vehicle.last_lon is not None and vehicle.last_lat is not None:
        last_point = (vehicle.last_lon, vehicle.last_lat)
    return mr.Motion(
        stint_start=vehicle.stint_started_at,
        halt_since=vehicle.halt_since,
        halt_at=halt_at,
        last_at=vehicle.last_position_at if last_point is not None else None,
        last_point=last_point,
    )


def _keep(vehicle: VehicleState, state: mr.Motion) -> None:
    vehicle.stint_started_at, vehicle.halt_since = state.stint_start, state.halt_since
    vehicle.halt_lon, vehicle.halt_lat = state.halt_at or (None, None)
    vehicle.last_lon, vehicle.last_lat = state.last_point or (None, None)


def apply(
    session: Session,
    vehicle: VehicleState,
    pos: r.Fix,
    rules: r.AlertRules,
    permit: Permit | None,
    *,
    before: mr.Motion,
    running: episodes.Running,
) -> None:
    """Advance the motion state by one fix and apply fatigue, stop and night rules."""
    at, point = pos.located_at, (pos.lon, pos.lat)
    state = mr.advance(rules, before, at=at, point=point, speed_kmh=pos.speed_kmh)
    _keep(vehicle, state)

    alert = running.newest(AlertKind.FATIGUE)
    step = mr.fatigue_step(rules, state, active=alert is not None, speed_kmh=pos.speed_kmh)
    if step is r.Step.OPEN:
        running.open(session, vehicle, AlertKind.FATIGUE, at, point=point)
    elif step is r.Step.END and alert is not None:
        # The episode ended when the rest began, not when it was long enough.
        episodes.follow(alert, step, at=state.halt_since or at)
    else:
        episodes.follow(alert, step, at=at)

    alert = running.newest(AlertKind.UNSCHEDULED_STOP)
    allowed = permits.allowed_halts(permit) if permit is not None else None
    if allowed is None:
        # No trip under way: a halt is nobody's concern; a running episode ends here.
        episodes.follow(alert, r.Step.END, at=at)
    else:
        step, calm = mr.stop_step(
            rules,
            state,
            active=alert is not None,
            calm_count=alert.calm_count if alert is not None else 0,
            allowed=allowed,
        )
        if step is r.Step.OPEN:
            opened = state.halt_since or at
            running.open(
                session,
                vehicle,
                AlertKind.UNSCHEDULED_STOP,
                opened,
                point=state.halt_at or point,
                permit_id=permit.id if permit is not None else None,
            )
        else:
            episodes.follow(alert, step, at=at, calm=calm)

    alert = running.newest(AlertKind.NIGHT_DRIVING)
    step, calm = mr.night_step(
        rules,
        active=alert is not None,
        calm_count=alert.calm_count if alert is not None else 0,
        at=at,
        speed_kmh=pos.speed_kmh,
        on_trip=permit is not None,
    )
    if step is r.Step.OPEN:
        running.open(
            session,
            vehicle,
            AlertKind.NIGHT_DRIVING,
            at,
            point=point,
            permit_id=permit.id if permit is not None else None,
        )
    else:
        episodes.follow(alert, step, at=at, calm=calm)

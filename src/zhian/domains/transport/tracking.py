"""Positions coming in, the alert episodes they open and close, and handling the alerts.

``record_position`` is what the bus consumer calls for each ``jt808.position`` event: it
stores the fix once per event id and applies the rules (``rules.py``; fatigue, unscheduled
stop and night driving in ``motion_tracking``; corridor, no-go and arrival in
``corridor_tracking``) in the same transaction. A fix also ends a signal-loss episode (which
``signal.py`` opens when fixes stop coming). The rules see fixes in time
order: a fix not newer than the newest one seen (a blind-area batch delivered late) is
stored for playback, and only the emergency rule looks at it, so that a press made out of
coverage is never lost. Police units get the emergency rule only.
"""

from __future__ import annotations

from sqlalchemy import or_, select
from sqlalchemy.orm import Session, selectinload

from zhian.core import alerts
from zhian.core import scope as scoping
from zhian.core.audit import service as audit
from zhian.core.errors import InvalidInput, NotFound
from zhian.core.identity.roles import require
from zhian.core.pagination import Page, paginate
from zhian.core.scope import Actor
from zhian.core.time import as_utc
from zhian.domains.transport import corridor_tracking, episodes, motion_tracking, permits
from zhian.domains.transport import rules as r
from zhian.domains.transport.choices import AlertKind, AlertStatus
from zhian.domains.transport.models import Alert, Position, Vehicle
from zhian.domains.transport.motion_rules import Motion
from zhian.domains.transport.schemas import AlertOut, PositionReport
from zhian.gateways.jt808.directory import terminal_key


class UnknownTerminal(LookupError):
    """A position from a terminal that no provisioned vehicle carries (any more)."""


def record_position(
    session: Session, *, report: PositionReport, event_id: str, rules: r.AlertRules
) -> Position | None:
    """Store one fix (once per event id) and apply the alert rules; None if already stored."""
    if session.scalar(select(Position.id).where(Position.event_id == event_id)) is not None:
        return None
    # Locking the vehicle row serialises the rules per vehicle across concurrent consumers.
    vehicle = session.scalar(
        select(Vehicle)
        .where(Vehicle.terminal_phone == terminal_key(report.phone))
        .with_for_update()
    )
    if vehicle is None:
        raise UnknownTerminal(report.phone)
    located_at = as_utc(report.time)
    position = Position(
        vehicle_id=vehicle.id,
        located_at=located_at,
        lon=report.lon,
        lat=report.lat,
        speed_kmh=report.speed_kmh,
        heading=report.heading,
        altitude_m=report.altitude_m,
        alarm=report.alarm,
        status=report.status,
        event_id=event_id,
    )
    session.add(position)
    latest = vehicle.last_position_at
    if latest is None or located_at > latest:
        before = motion_tracking.motion_of(vehicle)
        vehicle.last_position_at = located_at
        _live(session, vehicle, position, rules, before)
    else:
        _late(session, vehicle, position)
    session.flush()
    return position


def _live(
    session: Session, vehicle: Vehicle, pos: Position, rules: r.AlertRules, before: Motion
) -> None:
    at = pos.located_at
    running = episodes.Running(session, vehicle.id)
    episodes.follow(running.newest(AlertKind.SIGNAL_LOSS), r.Step.END, at=at)
    alert = running.newest(AlertKind.EMERGENCY)
    step = r.emergency_step(active=alert is not None, alarm=pos.alarm)
    if step is r.Step.OPEN:
        episodes.open_alert(session, vehicle, AlertKind.EMERGENCY, at, point=(pos.lon, pos.lat))
    else:
        episodes.follow(alert, step, at=at)

    if vehicle.is_police_unit:
        return  # police units answer calls at speed: the other rules are for goods vehicles
    alert = running.newest(AlertKind.OVERSPEED)
    step, calm = r.overspeed_step(
        rules,
        active=alert is not None,
        calm_count=alert.calm_count if alert is not None else 0,
        speed_kmh=pos.speed_kmh,
        # Only a fix above the ordinary limit needs the road: below it no limit is broken.
        on_expressway=pos.speed_kmh > rules.ordinary_speed_limit_kmh
        and permits.on_expressway(session, pos.lon, pos.lat),
    )
    if step is r.Step.OPEN:
        opened = episodes.open_alert(
            session, vehicle, AlertKind.OVERSPEED, at, point=(pos.lon, pos.lat)
        )
        opened.peak_speed_kmh = pos.speed_kmh
    else:
        episodes.follow(alert, step, at=at, calm=calm)
        if alert is not None and step is r.Step.CONTINUE:
            alert.peak_speed_kmh = max(alert.peak_speed_kmh or 0.0, pos.speed_kmh)
    permit = permits.active_permit(session, vehicle.id, at)
    motion_tracking.apply(session, vehicle, pos, rules, permit, before=before, running=running)
    corridor_tracking.apply(session, vehicle, pos, rules, permit, running=running)


def _late(session: Session, vehicle: Vehicle, pos: Position) -> None:
    if not r.emergency_pressed(pos.alarm):
        return
    current = session.scalar(
        select(Alert)
        .where(
            Alert.vehicle_id == vehicle.id,
            Alert.kind == AlertKind.EMERGENCY,
            or_(Alert.active.is_(True), Alert.status == AlertStatus.OPEN),
        )
        .order_by(Alert.id.desc())
        .limit(1)
    )
    if current is None:
        # The episode lies in the past (newer fixes did not carry the bit): not active.
        episodes.open_alert(
            session,
            vehicle,
            AlertKind.EMERGENCY,
            pos.located_at,
            active=False,
            point=(pos.lon, pos.lat),
        )
    elif pos.located_at < current.opened_at:
        current.opened_at = pos.located_at  # the button was pressed earlier than we knew


# --- handling alerts ------------------------------------------------------------------------


def alert_out(alert: Alert) -> AlertOut:
    """The public shape of an alert (its vehicle must be loaded)."""
    return AlertOut(
        id=alert.id,
        vehicle_id=alert.vehicle_id,
        plate=alert.vehicle.plate,
        kind=alert.kind,
        status=alert.status,
        active=alert.active,
        division=alert.division,
        opened_at=alert.opened_at,
        last_seen_at=alert.last_seen_at,
        ended_at=alert.ended_at,
        peak_speed_kmh=alert.peak_speed_kmh,
        lon=alert.lon,
        lat=alert.lat,
        permit_id=alert.permit_id,
        zone_id=alert.zone_id,
        acknowledged_at=alert.acknowledged_at,
        acknowledged_by=alert.acknowledged_by,
        resolved_at=alert.resolved_at,
        resolved_by=alert.resolved_by,
        note=alert.note,
        terminal_confirmation=alert.terminal_confirmation,
    )


def list_alerts(
    session: Session,
    *,
    actor: Actor,
    status: str | None = None,
    kind: str | None = None,
    vehicle_id: int | None = None,
    page: int = 1,
    per_page: int = 50,
) -> Page[Alert]:
    """Alerts of the actor's jurisdiction, newest first, optionally filtered."""
    require(actor, "transport.read")
    stmt = (
        select(Alert)
        .options(selectinload(Alert.vehicle))
        .where(scoping.scope_clause(actor, Alert.division))
    )
    if status is not None:
        if status not in AlertStatus.__members__.values():
            raise InvalidInput(f"未知状态：{status}", field="status")
        stmt = stmt.where(Alert.status == status)
    if kind is not None:
        if kind not in AlertKind.__members__.values():
            raise InvalidInput(f"未知告警类型：{kind}", field="kind")
        stmt = stmt.where(Alert.kind == kind)
    if vehicle_id is not None:
        stmt = stmt.where(Alert.vehicle_id == vehicle_id)
    return paginate(session, stmt.order_by(Alert.opened_at.desc(), Alert.id.desc()), page, per_page)


def find_alert(session: Session, *, actor: Actor, alert_id: int) -> Alert | None:
    """One alert of the actor's jurisdiction with its vehicle, or None (not audited: the
    console's note on what was just handled)."""
    require(actor, "transport.read")
    return session.scalar(
        select(Alert)
        .where(Alert.id == alert_id, scoping.scope_clause(actor, Alert.division))
        .options(selectinload(Alert.vehicle))
    )


def _handled_alert(session: Session, actor: Actor, alert_id: int) -> Alert:
    """The alert the actor is about to handle: permission, existence, jurisdiction."""
    require(actor, "transport.alerts.handle")
    # A query, not session.get: an alert already in the session would skip the eager load.
    alert = session.scalar(
        select(Alert).where(Alert.id == alert_id).options(selectinload(Alert.vehicle))
    )
    if alert is None:
        raise NotFound(f"告警不存在：{alert_id}")
    if not scoping.can_see(actor, alert.division):
        audit.deny(
            actor, record_type="transport_alert", record_id=str(alert_id), division=alert.division
        )
    return alert


def acknowledge_alert(session: Session, *, actor: Actor, alert_id: int) -> Alert:
    """Take up an open alert: the actor has seen it and is handling it."""
    alert = _handled_alert(session, actor, alert_id)
    alerts.acknowledge(
        session,
        actor=actor,
        alert=alert,
        record_type="transport_alert",
        detail={"kind": alert.kind, "vehicle_id": alert.vehicle_id},
    )
    return alert


def resolve_alert(session: Session, *, actor: Actor, alert_id: int, note: str) -> Alert:
    """Close an open alert with a note saying how it was handled."""
    alert = _handled_alert(session, actor, alert_id)
    alerts.resolve_with_note(
        session,
        actor=actor,
        alert=alert,
        note=note,
        record_type="transport_alert",
        detail={"kind": alert.kind, "vehicle_id": alert.vehicle_id},
    )
    return alert

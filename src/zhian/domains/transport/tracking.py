"""Positions coming in, the alert episodes they open and close, and handling the alerts.

``record_positions`` is what the bus consumer calls for each batch of ``jt808.position``
events (``record_position`` is a batch of one): it stores each fix once per event id and
applies the rules (``rules.py``; fatigue, unscheduled stop and night driving in
``motion_tracking``; corridor, no-go and arrival in ``corridor_tracking``) in the same
transaction. A fix also ends a signal-loss episode (which ``signal.py`` opens when fixes stop
coming). The rules see fixes in time order: a fix not newer than the newest one seen (a
blind-area batch delivered late) is stored for playback, and only the emergency rule looks at
it, so that a press made out of coverage is never lost. Police units get the emergency rule
only.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import cast

import numpy as np
from sqlalchemy import Table, bindparam, func, insert, or_, select
from sqlalchemy.orm import Session, selectinload

from zhian.core import alerts
from zhian.core import scope as scoping
from zhian.core.audit import service as audit
from zhian.core.db import Bulk, one_of
from zhian.core.errors import InvalidInput, NotFound
from zhian.core.identity.roles import require
from zhian.core.pagination import Page, paginate
from zhian.core.scope import Actor
from zhian.core.time import as_utc, utcnow
from zhian.domains.transport import (
    corridor_tracking,
    episodes,
    motion_tracking,
    permits,
    vehicle_state,
)
from zhian.domains.transport import rules as r
from zhian.domains.transport.choices import AlertKind, AlertStatus
from zhian.domains.transport.models import Alert, Permit, Position
from zhian.domains.transport.motion_rules import Motion
from zhian.domains.transport.schemas import AlertOut, PositionReport
from zhian.domains.transport.vehicle_state import VehicleState
from zhian.gateways.jt808.directory import terminal_key
from zhian.gateways.jt808.normalize import positioned

# Which of a batch's possibly stored fixes are stored: those of these vehicles, in this time
# span, with these event ids. The unique (vehicle, time, event id) index answers it, the same
# index that keeps a fix from being stored twice.
_STORED = select(Position.event_id).where(
    one_of(Position.vehicle_id, "vehicles"),
    Position.located_at >= bindparam("since"),
    Position.located_at <= bindparam("until"),
    one_of(Position.event_id, "ids"),
)


class UnknownTerminal(LookupError):
    """A position from a terminal that no provisioned vehicle carries (any more)."""


@dataclass(frozen=True, slots=True)
class Recorded:
    """What ``record_positions`` did with a batch."""

    stored: list[str]  # event ids stored, in the batch's order
    unknown: list[tuple[str, str]]  # (event id, terminal) of fixes no vehicle carries
    vehicle_of: dict[str, int]  # the vehicle of each stored event id


def fix_of(report: PositionReport, event_id: str) -> r.Fix:
    """The fix of a position event as the rules read it (time in UTC)."""
    return r.Fix(
        event_id=event_id,
        located_at=as_utc(report.time),
        lon=report.lon,
        lat=report.lat,
        speed_kmh=report.speed_kmh,
        heading=report.heading,
        altitude_m=report.altitude_m,
        alarm=report.alarm,
        status=report.status,
    )


def record_position(
    session: Session, *, report: PositionReport, event_id: str, rules: r.AlertRules
) -> Position | None:
    """Store one fix (once per event id) and apply the alert rules; None if already stored."""
    recorded = record_positions(session, [(event_id, report)], rules)
    if recorded.unknown:
        raise UnknownTerminal(report.phone)
    if not recorded.stored:
        return None
    return session.scalar(
        select(Position).where(
            Position.vehicle_id == recorded.vehicle_of[event_id],
            Position.located_at == as_utc(report.time),
            Position.event_id == event_id,
        )
    )


def record_positions(
    session: Session, reports: Sequence[tuple[str, PositionReport]], rules: r.AlertRules
) -> Recorded:
    """Store a batch of fixes (once per event id) and apply the alert rules to each, in order.

    The fixes are applied in the batch's order, exactly as one ``record_position`` each would
    (a fix older than its vehicle's newest is late, whatever the batch holds after it); what
    changes is the cost: one query each for the stored event ids, the vehicles (locked), their
    running episodes and their permits, the no-go and expressway tests for all fixes at once,
    the rule state kept in memory between fixes, one bulk insert of the positions and one
    flush of the rows that changed.
    """
    seen: set[str] = set()
    todo: list[tuple[str, r.Fix]] = []
    for event_id, report in reports:
        if event_id in seen:
            continue
        seen.add(event_id)
        todo.append((report.phone, fix_of(report, event_id)))
    if not todo:
        return Recorded([], [], {})
    vehicles = vehicle_state.load(session, {terminal_key(phone) for phone, _ in todo})
    todo = _not_stored(session, vehicles, todo)
    ids = [v.id for v in vehicles.values()]
    running = episodes.Running.of_vehicles(session, ids)
    trips = permits.active_permits(session, ids)
    lon = np.fromiter((f.lon for _, f in todo), np.float64, len(todo))
    lat = np.fromiter((f.lat for _, f in todo), np.float64, len(todo))
    zone_hits = corridor_tracking.zones_hit(permits.zones(session), lon, lat)
    fast = [f.speed_kmh > rules.ordinary_speed_limit_kmh for _, f in todo]
    # Only a fix above the ordinary limit needs the road: below it no limit is broken.
    expressway = permits.on_expressways(session, lon, lat) if any(fast) else None

    rows: list[tuple[object, ...]] = []
    now = utcnow()
    stored: list[str] = []
    unknown: list[tuple[str, str]] = []
    vehicle_of: dict[str, int] = {}
    for n, (phone, fix) in enumerate(todo):
        vehicle = vehicles.get(terminal_key(phone))
        if vehicle is None:
            unknown.append((fix.event_id, phone))
            continue
        rows.append(_row(vehicle, fix, now))
        stored.append(fix.event_id)
        vehicle_of[fix.event_id] = vehicle.id
        latest = vehicle.last_position_at
        if latest is None or fix.located_at > latest:
            before = motion_tracking.motion_of(vehicle)
            vehicle.last_position_at, vehicle.changed = fix.located_at, True
            episodes_now = running[vehicle.id]
            _live(
                session,
                vehicle,
                fix,
                rules,
                before,
                running=episodes_now,
                permit=permits.permit_at(trips[vehicle.id], fix.located_at),
                on_expressway=fast[n] and expressway is not None and bool(expressway[n]),
                zone_hits=zone_hits[n],
            )
            episodes_now.settle()
        else:
            _late(session, vehicle, fix)
    vehicle_state.store(session, vehicles.values())
    _POSITIONS.execute(session, rows)
    session.flush()  # the alerts and permits the rules changed
    return Recorded(stored, unknown, vehicle_of)


# Fixes looked up together when their times lie this close: the lookup reads every stored
# fix of their vehicles in the span, so one fix from hours back among recent resends must
# not widen the span for all of them.
LOOKUP_SPAN = timedelta(minutes=10)


def _spans(maybe: list[tuple[int, r.Fix]]) -> list[list[tuple[int, r.Fix]]]:
    """The fixes in groups whose times lie within ``LOOKUP_SPAN``, oldest first."""
    ordered = sorted(maybe, key=lambda pair: pair[1].located_at)
    groups: list[list[tuple[int, r.Fix]]] = []
    for pair in ordered:
        if groups and pair[1].located_at - groups[-1][0][1].located_at <= LOOKUP_SPAN:
            groups[-1].append(pair)
        else:
            groups.append([pair])
    return groups


def _not_stored(
    session: Session, vehicles: Mapping[str, VehicleState], todo: list[tuple[str, r.Fix]]
) -> list[tuple[str, r.Fix]]:
    """The fixes not stored yet. A fix newer than its vehicle's newest (as the batch found
    it) cannot be: the newest moves in the transaction that stores a fix. Only the others, a
    resent or blind-area fix, are looked up, so the usual batch costs no query here."""
    maybe: list[tuple[int, r.Fix]] = []
    for phone, fix in todo:
        vehicle = vehicles.get(terminal_key(phone))
        if vehicle is None:
            continue
        newest = vehicle.last_position_at
        if newest is None or fix.located_at <= newest:
            maybe.append((vehicle.id, fix))
    if not maybe:
        return todo
    found: set[str] = set()
    for group in _spans(maybe):
        found.update(
            session.scalars(
                _STORED,
                {
                    "vehicles": sorted({vehicle_id for vehicle_id, _ in group}),
                    "since": min(fix.located_at for _, fix in group),
                    "until": max(fix.located_at for _, fix in group),
                    "ids": [fix.event_id for _, fix in group],
                },
            )
        )
    return [(phone, fix) for phone, fix in todo if fix.event_id not in found]


_POSITIONS = Bulk(
    insert(cast(Table, Position.__table__)),
    (
        "vehicle_id",
        "located_at",
        "lon",
        "lat",
        "speed_kmh",
        "heading",
        "altitude_m",
        "alarm",
        "status",
        "event_id",
        "created_at",
        "updated_at",
    ),
)


def _row(vehicle: VehicleState, fix: r.Fix, now: datetime) -> tuple[object, ...]:
    return (
        vehicle.id,
        fix.located_at,
        fix.lon,
        fix.lat,
        fix.speed_kmh,
        fix.heading,
        fix.altitude_m,
        fix.alarm,
        fix.status,
        fix.event_id,
        now,
        now,
    )


def _live(
    session: Session,
    vehicle: VehicleState,
    pos: r.Fix,
    rules: r.AlertRules,
    before: Motion,
    *,
    running: episodes.Running,
    permit: Permit | None,
    on_expressway: bool,
    zone_hits: Collection[corridor_tracking.ZoneHit],
) -> None:
    at = pos.located_at
    episodes.follow(running.newest(AlertKind.SIGNAL_LOSS), r.Step.END, at=at)
    alert = running.newest(AlertKind.EMERGENCY)
    step = r.emergency_step(active=alert is not None, alarm=pos.alarm)
    if step is r.Step.OPEN:
        running.open(session, vehicle, AlertKind.EMERGENCY, at, point=(pos.lon, pos.lat))
    else:
        episodes.follow(alert, step, at=at)

    if vehicle.is_police_unit:
        return  # police units answer calls at speed: the other rules are for goods vehicles
    if not positioned(pos.status):
        # No GNSS fix: the terminal is alive (no signal loss) and its button counts, but
        # where the truck is and how fast it goes are not known: no corridor, zone, speed,
        # stop or fatigue verdict on a zero or stale position.
        return
    alert = running.newest(AlertKind.OVERSPEED)
    step, calm = r.overspeed_step(
        rules,
        active=alert is not None,
        calm_count=alert.calm_count if alert is not None else 0,
        speed_kmh=pos.speed_kmh,
        on_expressway=on_expressway,
    )
    if step is r.Step.OPEN:
        opened = running.open(session, vehicle, AlertKind.OVERSPEED, at, point=(pos.lon, pos.lat))
        opened.peak_speed_kmh = pos.speed_kmh
    else:
        episodes.follow(alert, step, at=at, calm=calm)
        if alert is not None and step is r.Step.CONTINUE:
            alert.peak_speed_kmh = max(alert.peak_speed_kmh or 0.0, pos.speed_kmh)
    motion_tracking.apply(session, vehicle, pos, rules, permit, before=before, running=running)
    corridor_tracking.apply(
        session, vehicle, pos, rules, permit, running=running, zone_hits=zone_hits
    )


def _late(session: Session, vehicle: VehicleState, pos: r.Fix) -> None:
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


def open_alerts_after(session: Session, *, actor: Actor, after_id: int) -> int:
    """How many open alerts of the actor's jurisdiction have an id above ``after_id``: raised
    since a page that knew the alerts up to it was rendered (by id, not by opening time: a
    stop or fatigue episode is raised well after it began)."""
    require(actor, "transport.read")
    found = session.scalar(
        select(func.count())
        .select_from(Alert)
        .where(
            scoping.scope_clause(actor, Alert.division),
            Alert.status == AlertStatus.OPEN,
            Alert.id > after_id,
        )
    )
    return int(found or 0)


def newest_alert_id(session: Session, *, actor: Actor) -> int:
    """The highest id among the alerts of the actor's jurisdiction (0 if none): alerts above
    it were raised later (a page's live check counts them)."""
    require(actor, "transport.read")
    found = session.scalar(
        select(func.max(Alert.id)).where(scoping.scope_clause(actor, Alert.division))
    )
    return int(found or 0)


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
    # Locked: two operators handling one alert at once must not both pass the checks (and
    # send the terminal two confirmations); SQLite's single write lock does this by itself.
    alert = session.scalar(
        select(Alert)
        .where(Alert.id == alert_id)
        .options(selectinload(Alert.vehicle))
        .with_for_update(of=Alert)
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

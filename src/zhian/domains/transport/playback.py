"""Trip playback: a vehicle's track over a permit's trip or a time range, with its alerts.

A track is a sensitive read (where a vehicle was, when): every playback is scoped like the
vehicle and audited with the window and the number of fixes. A trip of a day at one fix every
few seconds is tens of thousands of fixes; the browser only needs a few thousand to draw it,
so a long track is thinned in the database (every ``stride``-th fix by time, plus the last)
instead of shipped whole. Alert markers come from their own query, so thinning never hides
where an alert opened.
"""

from __future__ import annotations

import json
import math
from collections.abc import Sequence
from datetime import datetime, timedelta

from shapely.geometry import mapping
from sqlalchemy import func, or_, select
from sqlalchemy.orm import Session, selectinload

from zhian.core.audit import service as audit
from zhian.core.errors import InvalidInput
from zhian.core.scope import Actor
from zhian.core.time import as_utc
from zhian.domains.transport import corridor as geo
from zhian.domains.transport import permits, service, tracking
from zhian.domains.transport.models import Alert, Permit, Position, Vehicle
from zhian.domains.transport.schemas import AlertOut, PositionOut
from zhian.domains.transport.track_schemas import TrackOut

DEFAULT_POINTS = 5_000
MAX_POINTS = 20_000
MAX_ALERTS = 500
# A playback window longer than this is refused: a quarter of the retention at most, so
# one request never scans months of a busy vehicle's fixes.
MAX_WINDOW = timedelta(days=45)


def check_window(since: datetime, until: datetime, max_points: int) -> None:
    for name, value in (("since", since), ("until", until)):
        if value.tzinfo is None:
            raise InvalidInput("时间须带时区，例如 2026-11-29T08:00:00+08:00", field=name)
    if since >= until:
        raise InvalidInput("起始时间须早于结束时间", field="since")
    if until - since > MAX_WINDOW:
        raise InvalidInput(f"回放时段最长 {MAX_WINDOW.days} 天", field="until")
    if not 2 <= max_points <= MAX_POINTS:
        raise InvalidInput(f"点数须在 2 到 {MAX_POINTS} 之间", field="max_points")


def thinned_fixes(
    session: Session, *, vehicle_id: int, since: datetime, until: datetime, max_points: int
) -> tuple[int, int, Sequence[Position]]:
    """(total, stride, fixes): at most ``max_points`` of the window's fixes, evenly by rank."""
    window = (
        Position.vehicle_id == vehicle_id,
        Position.located_at >= since,
        Position.located_at < until,
    )
    total = session.scalar(select(func.count(Position.id)).where(*window)) or 0
    order = (Position.located_at, Position.id)
    if total <= max_points:
        rows = session.scalars(select(Position).where(*window).order_by(*order)).all()
        return total, 1, rows
    # The last fix is kept on top of every stride-th one, hence max_points - 1 strides.
    stride = math.ceil(total / (max_points - 1))
    ranked = (
        select(Position.id, func.row_number().over(order_by=order).label("rank"))
        .where(*window)
        .subquery()
    )
    keep = or_((ranked.c.rank - 1) % stride == 0, ranked.c.rank == total)
    rows = session.scalars(
        select(Position).join(ranked, ranked.c.id == Position.id).where(keep).order_by(*order)
    ).all()
    return total, stride, rows


def _alerts(session: Session, vehicle_id: int, since: datetime, until: datetime) -> list[AlertOut]:
    """The vehicle's alerts whose episode overlaps the window, each at its opening fix."""
    rows = session.scalars(
        select(Alert)
        .options(selectinload(Alert.vehicle))
        .where(
            Alert.vehicle_id == vehicle_id,
            Alert.opened_at < until,
            or_(Alert.ended_at.is_(None), Alert.ended_at >= since),
        )
        .order_by(Alert.opened_at, Alert.id)
        .limit(MAX_ALERTS)
    ).all()
    out = []
    for alert in rows:
        shown = tracking.alert_out(alert)
        if shown.lon is None or shown.lat is None:
            # An episode without a place of its own (a signal loss before any fix): the
            # first fix at or after it opened, if that fix is still kept.
            fix = session.execute(
                select(Position.lon, Position.lat)
                .where(Position.vehicle_id == vehicle_id, Position.located_at >= alert.opened_at)
                .order_by(Position.located_at, Position.id)
                .limit(1)
            ).first()
            if fix is not None:
                shown = shown.model_copy(update={"lon": fix[0], "lat": fix[1]})
        out.append(shown)
    return out


def _track(
    session: Session,
    *,
    actor: Actor,
    vehicle: Vehicle,
    since: datetime,
    until: datetime,
    max_points: int,
    permit: Permit | None,
) -> TrackOut:
    total, stride, rows = thinned_fixes(
        session, vehicle_id=vehicle.id, since=since, until=until, max_points=max_points
    )
    track = TrackOut(
        vehicle_id=vehicle.id,
        plate=vehicle.plate,
        since=as_utc(since),
        until=as_utc(until),
        total=total,
        stride=stride,
        positions=[PositionOut.model_validate(p) for p in rows],
        alerts=_alerts(session, vehicle.id, since, until),
    )
    if permit is not None:
        track.permit = permits.permit_out(permit)
        line = geo.load(permit.corridor)
        track.corridor_area = json.loads(
            json.dumps(mapping(geo.buffer_corridor(line, permit.corridor_width_m)))
        )
    audit.record(
        session,
        actor=actor,
        action="read_track",
        record_type="transport_permit" if permit is not None else "transport_vehicle",
        record_id=str(permit.id if permit is not None else vehicle.id),
        division=vehicle.division,
        detail={
            "vehicle_id": vehicle.id,
            "since": track.since.isoformat(),
            "until": track.until.isoformat(),
            "count": len(rows),
            "total": total,
        },
    )
    return track


def vehicle_track(
    session: Session,
    *,
    actor: Actor,
    vehicle_id: int,
    since: datetime,
    until: datetime,
    max_points: int = DEFAULT_POINTS,
) -> TrackOut:
    """The vehicle's track in ``since <= time < until`` with the alerts of that time."""
    check_window(since, until, max_points)
    vehicle = service.visible_vehicle(session, actor=actor, vehicle_id=vehicle_id)
    return _track(
        session,
        actor=actor,
        vehicle=vehicle,
        since=since,
        until=until,
        max_points=max_points,
        permit=None,
    )


def trip_window(permit: Permit) -> tuple[datetime, datetime]:
    """The time a permit's trip can have fixes in: its validity, cut at its closing."""
    start, end = as_utc(permit.valid_from), as_utc(permit.valid_until)
    if permit.closed_at is not None:
        end = max(start + timedelta(seconds=1), min(end, as_utc(permit.closed_at)))
    return start, end


def permit_track(
    session: Session, *, actor: Actor, permit_id: int, max_points: int = DEFAULT_POINTS
) -> TrackOut:
    """The track of a permit's trip, its corridor, and the vehicle's alerts of that time."""
    if not 2 <= max_points <= MAX_POINTS:
        raise InvalidInput(f"点数须在 2 到 {MAX_POINTS} 之间", field="max_points")
    permit = permits.get_permit(session, actor=actor, permit_id=permit_id)
    vehicle = service.visible_vehicle(session, actor=actor, vehicle_id=permit.vehicle_id)
    since, until = trip_window(permit)
    return _track(
        session,
        actor=actor,
        vehicle=vehicle,
        since=since,
        until=until,
        max_points=max_points,
        permit=permit,
    )

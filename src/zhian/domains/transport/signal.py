"""Signal loss: a vehicle on a permitted trip whose fixes stopped coming.

No fix arrives to trigger this rule, so a periodic check (``check``, run by the app every
``SIGNAL_CHECK_S`` seconds and callable with an explicit clock in tests) looks for vehicles
with a permit valid now whose newest fix (or the permit's start, if later) is older than
``signal_loss_s``. One alert per silence: the next fix ends the episode
(``tracking.record_position``); so does the trip ending while the vehicle is still silent.
"""

from __future__ import annotations

import logging
from datetime import datetime, timedelta

from sqlalchemy import Select, func, or_, select
from sqlalchemy.orm import Session, sessionmaker

from zhian.core.db import unit_of_work
from zhian.core.time import as_utc
from zhian.domains.transport import episodes
from zhian.domains.transport.choices import AlertKind, PermitStatus
from zhian.domains.transport.models import Alert, Permit, Vehicle
from zhian.domains.transport.rules import AlertRules, Step

log = logging.getLogger(__name__)

SIGNAL_CHECK_S = 30.0


def _on_trip(now: datetime) -> Select[int, datetime]:
    return select(Permit.vehicle_id, Permit.valid_from).where(
        Permit.status == PermitStatus.ACTIVE,
        Permit.valid_from <= now,
        Permit.valid_until > now,
    )


def check(session: Session, *, now: datetime, rules: AlertRules) -> tuple[int, int]:
    """Open signal-loss alerts for silent vehicles on a trip, end those no longer on one.

    Returns (opened, ended).
    """
    cutoff = now - timedelta(seconds=rules.signal_loss_s)
    trips = _on_trip(now).subquery()
    silent = session.execute(
        select(Vehicle.id, func.min(trips.c.valid_from))
        .join(trips, trips.c.vehicle_id == Vehicle.id)
        .where(
            Vehicle.is_police_unit.is_(False),
            or_(Vehicle.last_position_at.is_(None), Vehicle.last_position_at <= cutoff),
        )
        .group_by(Vehicle.id)
        .having(func.min(trips.c.valid_from) <= cutoff)
        .order_by(Vehicle.id)
    ).all()
    running = {
        a.vehicle_id: a
        for a in session.scalars(
            select(Alert).where(Alert.kind == AlertKind.SIGNAL_LOSS, Alert.active.is_(True))
        )
    }
    opened = 0
    for vehicle_id, valid_from in silent:
        if vehicle_id in running:
            continue
        # Locked and read again: a fix committed since the query above means no silence.
        vehicle = session.get(Vehicle, vehicle_id, with_for_update=True, populate_existing=True)
        last = vehicle.last_position_at if vehicle is not None else None
        if vehicle is None or (last is not None and last > cutoff):
            continue
        since = max(last, as_utc(valid_from)) if last is not None else as_utc(valid_from)
        point = None
        if vehicle.last_lon is not None and vehicle.last_lat is not None:
            point = (vehicle.last_lon, vehicle.last_lat)
        episodes.open_alert(session, vehicle, AlertKind.SIGNAL_LOSS, since, point=point)
        opened += 1
    on_trip = set(session.scalars(_on_trip(now).with_only_columns(Permit.vehicle_id)))
    ended = 0
    for vehicle_id, alert in running.items():
        if vehicle_id not in on_trip:
            episodes.follow(alert, Step.END, at=now)
            ended += 1
    session.flush()
    return opened, ended


def run_check(session_factory: sessionmaker[Session], *, now: datetime, rules: AlertRules) -> None:
    """One check in its own transaction (what the app's periodic task calls)."""
    with unit_of_work(session_factory) as session:
        opened, ended = check(session, now=now, rules=rules)
    if opened or ended:
        log.info("transport: signal loss opened %d, ended %d", opened, ended)

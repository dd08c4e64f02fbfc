"""Retention of vehicle positions: fixes older than the retention period are deleted.

The transport regulations require positions to be kept at least six months
(``ZHIAN_TRANSPORT_RETENTION_DAYS``, default and minimum 180); DESIGN.md requires them to be
deleted afterwards. The purge runs in batches, each its own transaction with its own audit
entry (the count and the cut-off), so a long purge never holds the database for long and
never deletes anything unaudited.

One exception, on purpose: while an alert of a vehicle still needs handling (status open)
or its episode is still going on (active), the vehicle's fixes from shortly before the alert
opened onwards are kept, whatever their age. Deleting the evidence of an alert nobody has
handled yet would defeat the alert; once it is resolved, the next purge removes them.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import ColumnElement, and_, delete, false, func, not_, or_, select
from sqlalchemy.orm import Session, sessionmaker

from zhian.core.audit import service as audit
from zhian.core.db import unit_of_work
from zhian.core.errors import InvalidInput
from zhian.core.scope import SYSTEM, Actor
from zhian.core.settings import MIN_TRANSPORT_RETENTION_DAYS
from zhian.core.time import as_utc
from zhian.domains.transport.choices import AlertStatus
from zhian.domains.transport.models import Alert, Position

log = logging.getLogger(__name__)

DEFAULT_BATCH = 5_000
# Fixes this long before an unhandled alert opened are kept with it: the approach matters.
HOLD_MARGIN = timedelta(minutes=30)


@dataclass(frozen=True)
class PurgeReport:
    """What a purge did (or, dry run, would do)."""

    cutoff: datetime
    purged: int
    held: int
    batches: int
    dry_run: bool


def cutoff_for(now: datetime, retention_days: int) -> datetime:
    """The instant before which fixes have expired."""
    if retention_days < MIN_TRANSPORT_RETENTION_DAYS:
        raise InvalidInput(
            f"保存期不得少于 {MIN_TRANSPORT_RETENTION_DAYS} 天（六个月）", field="retention_days"
        )
    if now.tzinfo is None:
        raise InvalidInput("时间须带时区", field="now")
    return as_utc(now) - timedelta(days=retention_days)


def holds(session: Session, cutoff: datetime) -> dict[int, datetime]:
    """Vehicle id → the time from which its fixes are kept for an alert still to handle."""
    rows = session.execute(
        select(Alert.vehicle_id, func.min(Alert.opened_at))
        .where(or_(Alert.status == AlertStatus.OPEN, Alert.active.is_(True)))
        .group_by(Alert.vehicle_id)
    ).all()
    out = {}
    for vehicle_id, opened_at in rows:
        since = as_utc(opened_at) - HOLD_MARGIN
        if since < cutoff:  # a hold after the cut-off protects nothing the purge would touch
            out[int(vehicle_id)] = since
    return out


def _held(held: dict[int, datetime]) -> ColumnElement[bool]:
    return or_(
        false(),
        *(
            and_(Position.vehicle_id == vid, Position.located_at >= since)
            for vid, since in held.items()
        ),
    )


def count_held(session: Session, cutoff: datetime) -> int:
    """Fixes past the cut-off but kept for an unhandled alert."""
    held = _held(holds(session, cutoff))
    return (
        session.scalar(select(func.count(Position.id)).where(Position.located_at < cutoff, held))
        or 0
    )


def count_expired(session: Session, cutoff: datetime) -> int:
    """Fixes a purge would delete now."""
    held = _held(holds(session, cutoff))
    old = Position.located_at < cutoff
    return session.scalar(select(func.count(Position.id)).where(old, not_(held))) or 0


def purge_batch(
    session: Session, *, actor: Actor, cutoff: datetime, retention_days: int, batch: int
) -> int:
    """Delete up to ``batch`` expired fixes (oldest first), audited; how many went."""
    held = _held(holds(session, cutoff))
    ids = session.scalars(
        select(Position.id)
        .where(Position.located_at < cutoff, not_(held))
        .order_by(Position.located_at, Position.id)  # oldest first, along the time index
        .limit(batch)
    ).all()
    if not ids:
        return 0
    session.execute(
        delete(Position).where(Position.id.in_(ids)).execution_options(synchronize_session=False)
    )
    audit.record(
        session,
        actor=actor,
        action="purge",
        record_type="transport_position",
        detail={
            "count": len(ids),
            "cutoff": cutoff.isoformat(),
            "retention_days": retention_days,
        },
    )
    session.flush()
    return len(ids)


def purge(
    factory: sessionmaker[Session],
    *,
    now: datetime,
    retention_days: int,
    batch: int = DEFAULT_BATCH,
    dry_run: bool = False,
    actor: Actor = SYSTEM,
) -> PurgeReport:
    """The purge job: expired fixes deleted batch by batch, one transaction each."""
    if batch < 1:
        raise InvalidInput("批量须为正数", field="batch")
    cutoff = cutoff_for(now, retention_days)
    with unit_of_work(factory) as session:
        held = count_held(session, cutoff)
        if dry_run:
            return PurgeReport(cutoff, count_expired(session, cutoff), held, 0, True)
    purged = batches = 0
    while True:
        with unit_of_work(factory) as session:
            n = purge_batch(
                session, actor=actor, cutoff=cutoff, retention_days=retention_days, batch=batch
            )
        if n == 0:
            break
        purged, batches = purged + n, batches + 1
        if n < batch:
            break
    log.info("transport: purged %d positions before %s in %d batches", purged, cutoff, batches)
    return PurgeReport(cutoff, purged, held, batches, dry_run)

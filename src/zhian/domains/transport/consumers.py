"""The transport domain on the bus: every ``jt808.position`` becomes a stored fix.

One durable consumer, made idempotent by the bus's ``(consumer, event id)`` key and by the
position's own unique event id, taking the waiting fixes in batches (one commit each). A
batch is applied as one unit (``tracking.record_positions``: a few statements for the whole
batch); if that fails, the bus applies its events one by one, each in a savepoint, so that a
bad event is isolated and redelivered alone. A report it cannot use (malformed, or from a
terminal no vehicle carries) is logged with its event id and acknowledged: redelivering it
would never help.
"""

from __future__ import annotations

import logging

from pydantic import ValidationError
from sqlalchemy.orm import Session, sessionmaker

from zhian.core.bus import BatchEffect, Bus, Effect, Event, Subscription, idempotent_batch
from zhian.core.settings import Settings
from zhian.domains.transport import tracking
from zhian.domains.transport.rules import AlertRules
from zhian.domains.transport.schemas import PositionReport

log = logging.getLogger(__name__)

SUBJECT = "jt808.position"
CONSUMER = "transport-positions"
POSITIONS_BATCH = 2000


def alert_rules(settings: Settings) -> AlertRules:
    """The monitoring rules' thresholds as the operator configured them."""
    return AlertRules(
        speed_limit_kmh=settings.transport_speed_limit_kmh,
        ordinary_speed_limit_kmh=settings.transport_ordinary_speed_limit_kmh,
        calm_positions=settings.transport_calm_positions,
        night_hours=settings.transport_night_hours.strip() or None,
        driving_limit_s=settings.transport_driving_limit_hours * 3600.0,
        rest_s=settings.transport_rest_minutes * 60.0,
        stop_s=settings.transport_stop_minutes * 60.0,
        signal_loss_s=settings.transport_signal_loss_minutes * 60.0,
    )


def positions_effect(rules: AlertRules) -> BatchEffect:
    """The effect of a batch of position events: store them and apply the alert rules."""

    def apply(session: Session, events: list[Event]) -> None:
        reports = []
        for event in events:
            try:
                reports.append((event.id, PositionReport.model_validate(event.data)))
            except ValidationError as exc:
                first = exc.errors()[0]
                where = ".".join(str(p) for p in first["loc"])
                log.warning(
                    "transport: event %s is not a usable position (%s: %s); not stored",
                    event.id,
                    where,
                    first["msg"],
                )
        recorded = tracking.record_positions(session, reports, rules)
        for event_id, phone in recorded.unknown:
            log.warning(
                "transport: event %s from terminal %s, which no vehicle carries; not stored",
                event_id,
                phone,
            )

    return apply


def position_effect(rules: AlertRules) -> Effect:
    """The effect of one position event: the batch effect on a batch of one."""
    batch = positions_effect(rules)

    def apply(session: Session, event: Event) -> None:
        batch(session, [event])

    return apply


async def subscribe(
    bus: Bus, session_factory: sessionmaker[Session], rules: AlertRules
) -> Subscription:
    """Start the positions consumer on the bus."""
    # Batched: a commit per fix (an fsync each) would cap the city's fleet at the disk's
    # flush rate; one commit per batch of waiting fixes does not. The batch stays small
    # enough that the write lock (SQLite has one) is held for well under a second, so
    # requests waiting for it are not starved while a backlog is worked off: a batch of
    # 2000 holds it ~80 ms on a quiet 2-core machine, ~300 ms on a loaded one
    # (bench_jt808_pipeline). Larger batches pay the commit's fsync and the hand-over
    # between the event loop and the consumer's thread less often.
    # Unkeyed: a fix is stored once (unique by vehicle, time and event id in
    # transport_position) and its rules run only when it is stored, so the bus's own key
    # would be a second index to write for every fix.
    handler = idempotent_batch(
        CONSUMER,
        session_factory,
        position_effect(rules),
        whole=positions_effect(rules),
        keyed=False,
    )
    return await bus.subscribe_batch(SUBJECT, CONSUMER, handler, max_batch=POSITIONS_BATCH)

"""Idempotent consumers: an event's effect and the record that it was applied commit together.

The bus delivers at least once, so the same event can arrive twice (a redelivery after a crash
between commit and ack, or a re-publish outside the dedupe window). Writing the
``(consumer, event id)`` key in the transaction of the effect turns the second arrival into a
no-op, and acknowledging only after the commit means a crash never loses the effect.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from typing import cast

from sqlalchemy import Table, bindparam, insert, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, sessionmaker

from zhian.core.bus.base import BatchHandler, Event, Handler
from zhian.core.bus.models import ProcessedEvent
from zhian.core.db import Bulk, one_of, unit_of_work
from zhian.core.time import utcnow

log = logging.getLogger(__name__)

Effect = Callable[[Session, Event], None]
# The effect of many events at once, for consumers whose per-event cost is the queries: it
# flushes, never commits, and raises if any event fails (then each is applied alone).
BatchEffect = Callable[[Session, list[Event]], None]


def already_applied(session: Session, consumer: str, event_id: str) -> bool:
    """Whether the consumer has committed its effect for this event id."""
    found = session.scalar(
        select(ProcessedEvent.id).where(
            ProcessedEvent.consumer == consumer, ProcessedEvent.event_id == event_id
        )
    )
    return found is not None


def apply_once(
    consumer: str, session_factory: sessionmaker[Session], effect: Effect, event: Event
) -> bool:
    """Run the effect in its own unit of work unless already applied; True if it ran."""
    with unit_of_work(session_factory) as session:
        # The check answers the common case (a plain redelivery) without an error; the
        # unique key settles a race with a concurrent delivery of the same event.
        if already_applied(session, consumer, event.id):
            log.debug("bus: %s already applied event %s", consumer, event.id)
            return False
        try:
            # A savepoint, because PostgreSQL aborts the whole transaction on a failed insert.
            with session.begin_nested():
                session.add(
                    ProcessedEvent(consumer=consumer, event_id=event.id, subject=event.subject)
                )
                session.flush()
        except IntegrityError:
            log.debug("bus: %s lost the race for event %s", consumer, event.id)
            return False
        effect(session, event)
    return True


def idempotent(consumer: str, session_factory: sessionmaker[Session], handler: Effect) -> Handler:
    """A bus handler applying ``handler(session, event)`` at most once per event id.

    ``handler`` is a sync function that flushes and never commits; its exception rolls back
    the effect and the idempotency key together, so the bus redelivers the event later.
    """

    async def handle(event: Event) -> None:
        # Database drivers block: keep the event loop (gateways, other consumers) moving.
        await asyncio.to_thread(apply_once, consumer, session_factory, handler, event)

    handle.__name__ = f"idempotent[{consumer}]"
    return handle


def apply_batch(
    consumer: str,
    session_factory: sessionmaker[Session],
    effect: Effect,
    events: list[Event],
    *,
    whole: BatchEffect | None = None,
    keyed: bool = True,
) -> dict[str, Exception]:
    """Apply each event's effect once, all in one unit of work; the failed ones by id.

    With ``whole``, the batch is first applied as one unit: the new events' keys in one
    insert and ``whole(session, new events)``. If that raises (or its commit fails), it is
    rolled back and the batch is applied again event by event, as without ``whole``: each
    event runs in its own savepoint, so one that raises rolls back alone (effect and key
    together) and is handed back to the bus for redelivery while the rest commit. A failed
    commit there raises: then nothing was applied and the whole batch comes back.

    ``keyed=False`` is for an effect that is idempotent by itself, keyed on the event id in
    its own table (the positions consumer: a fix's row, unique by vehicle, time and event id,
    is written in the transaction of its rules): no bus key is read or written, which at
    thousands of events a second would be one more index written at a random place.
    """
    if whole is not None:
        try:
            _apply_whole(consumer, session_factory, whole, events, keyed=keyed)
            return {}
        except Exception:
            log.warning(
                "bus: %s failed on a batch of %d; applying its events one by one",
                consumer,
                len(events),
                exc_info=True,
            )
    failed: dict[str, Exception] = {}
    with unit_of_work(session_factory) as session:
        done = _applied(session, consumer, events) if keyed else set()
        for event in events:
            if event.id in done:
                log.debug("bus: %s already applied event %s", consumer, event.id)
                continue
            done.add(event.id)  # the same event twice in one batch
            try:
                with session.begin_nested():
                    if not keyed:
                        effect(session, event)
                        session.flush()
                        continue
                    try:
                        with session.begin_nested():
                            session.add(
                                ProcessedEvent(
                                    consumer=consumer, event_id=event.id, subject=event.subject
                                )
                            )
                            session.flush()
                    except IntegrityError:
                        log.debug("bus: %s lost the race for event %s", consumer, event.id)
                        continue
                    effect(session, event)
                    session.flush()
            except Exception as exc:
                failed[event.id] = exc
    return failed


_APPLIED = select(ProcessedEvent.event_id).where(
    ProcessedEvent.consumer == bindparam("consumer"),
    one_of(ProcessedEvent.event_id, "ids"),
)


def _applied(session: Session, consumer: str, events: list[Event]) -> set[str]:
    return set(session.scalars(_APPLIED, {"consumer": consumer, "ids": [e.id for e in events]}))


_KEYS = Bulk(
    insert(cast(Table, ProcessedEvent.__table__)),
    ("consumer", "event_id", "subject", "created_at", "updated_at"),
)


def _apply_whole(
    consumer: str,
    session_factory: sessionmaker[Session],
    whole: BatchEffect,
    events: list[Event],
    *,
    keyed: bool,
) -> None:
    with unit_of_work(session_factory) as session:
        done = _applied(session, consumer, events) if keyed else set()
        fresh: list[Event] = []
        for event in events:
            if event.id in done:
                log.debug("bus: %s already applied event %s", consumer, event.id)
                continue
            done.add(event.id)
            fresh.append(event)
        if not fresh:
            return
        # A concurrent delivery of one of these events makes this insert fail: the fallback
        # then settles that event alone.
        if keyed:
            now = utcnow()
            _KEYS.execute(session, [(consumer, e.id, e.subject, now, now) for e in fresh])
        whole(session, fresh)
        session.flush()


def idempotent_batch(
    consumer: str,
    session_factory: sessionmaker[Session],
    handler: Effect,
    *,
    whole: BatchEffect | None = None,
    keyed: bool = True,
) -> BatchHandler:
    """A batch handler applying ``handler(session, event)`` at most once per event id, one
    transaction (one commit) per batch: for consumers whose cost is the commit. ``whole``
    applies the batch as one unit first (``apply_batch``), ``handler`` being the fallback;
    ``keyed=False`` for an effect that keys on the event id itself (``apply_batch``)."""

    async def handle(events: list[Event]) -> dict[str, Exception]:
        return await asyncio.to_thread(
            apply_batch, consumer, session_factory, handler, events, whole=whole, keyed=keyed
        )

    handle.__name__ = f"idempotent_batch[{consumer}]"
    return handle

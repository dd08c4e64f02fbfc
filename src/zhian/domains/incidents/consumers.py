"""Dispatch's automatic vehicle location: a police car's JT/T 808 fixes move its unit.

The gateway puts every fix on the bus (``jt808.position``); the transport domain stores and
checks them, and this consumer only keeps each unit's latest position. Most fixes come from
dangerous-goods trucks, so a batch costs one query for the few units among its terminals.
Keeping the newest fix is idempotent by itself (a redelivered or late fix is not newer), so no
processed-event key is written per fix.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Collection, Mapping
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from zhian.core.bus import Bus, Event, Subscription
from zhian.core.db import one_of, read_only, unit_of_work
from zhian.core.time import as_utc
from zhian.domains.incidents.models import Unit
from zhian.gateways.jt808.directory import terminal_key
from zhian.gateways.jt808.normalize import positioned

log = logging.getLogger(__name__)

SUBJECT = "jt808.position"
CONSUMER = "incidents-avl"
BATCH = 2000  # up to what is waiting: a larger batch delays no fix, it saves hand-overs


@dataclass(frozen=True, slots=True)
class Fix:
    """The part of a position event dispatch reads."""

    terminal: str
    at: datetime
    lon: float
    lat: float


def fix_of(event: Event) -> Fix | None:
    """The event's fix, or None if it carries no usable position."""
    data = event.data
    try:
        if not positioned(int(data["status"])):
            return None  # a terminal without GNSS reports 0, 0: not where the car is
        lon, lat = float(data["lon"]), float(data["lat"])
        at = datetime.fromisoformat(str(data["time"]))
        terminal = terminal_key(str(data["phone"]))
    except (KeyError, TypeError, ValueError):
        return None
    if at.tzinfo is None or not (-180 <= lon <= 180 and -90 <= lat <= 90):
        return None
    return Fix(terminal=terminal, at=as_utc(at), lon=lon, lat=lat)


def _terminal(event: Event) -> str | None:
    phone = event.data.get("phone")
    return terminal_key(phone) if isinstance(phone, str) else None


def terminals_of(events: list[Event]) -> set[str]:
    """The terminals the events come from."""
    return {t for t in map(_terminal, events) if t is not None}


def newest_fixes(events: list[Event]) -> dict[str, Fix]:
    """The newest usable fix of each terminal among the events."""
    newest: dict[str, Fix] = {}
    for event in events:
        fix = fix_of(event)
        if fix is not None and (fix.terminal not in newest or fix.at > newest[fix.terminal].at):
            newest[fix.terminal] = fix
    return newest


_FITTED = select(Unit.terminal_phone).where(one_of(Unit.terminal_phone, "terminals"))


def fitted(session: Session, terminals: Collection[str]) -> set[str]:
    """Which of these terminals are fitted to a unit."""
    if not terminals:
        return set()
    found = session.scalars(_FITTED, {"terminals": list(terminals)})
    return {t for t in found if t is not None}


def move_units(session: Session, newest: Mapping[str, Fix]) -> int:
    """Move each unit whose terminal has a fix here to it, unless it is older; units moved."""
    if not newest:
        return 0
    moved = 0
    for unit in session.scalars(
        select(Unit).where(Unit.terminal_phone.in_(newest)).with_for_update()
    ):
        assert unit.terminal_phone is not None
        fix = newest[unit.terminal_phone]
        if unit.position_at is not None and as_utc(unit.position_at) >= fix.at:
            continue  # a late or repeated fix: the unit is already further on
        unit.lon, unit.lat, unit.position_at = fix.lon, fix.lat, fix.at
        moved += 1
    session.flush()
    return moved


def apply_fixes(session: Session, events: list[Event]) -> int:
    """Move each unit with a terminal among the events to its newest fix; units moved."""
    return move_units(session, newest_fixes(events))


async def subscribe(bus: Bus, session_factory: sessionmaker[Session]) -> Subscription:
    """Start the AVL consumer on the bus."""

    def apply(events: list[Event]) -> None:
        # Nearly every fix is a truck's: look in a read-only transaction first, so that a
        # batch with no patrol car among it never queues for SQLite's write lock, and read
        # the fixes of the patrol cars only.
        with read_only(session_factory) as session:
            ours = fitted(session, terminals_of(events))
        if not ours:
            return
        newest = newest_fixes([e for e in events if _terminal(e) in ours])
        with unit_of_work(session_factory) as session:
            moved = move_units(session, newest)
        if moved:
            log.debug("incidents: %d units moved by %d fixes", moved, len(events))

    async def handle(events: list[Event]) -> dict[str, Exception]:
        # A failed commit fails the whole batch: the bus hands every fix back.
        await asyncio.to_thread(apply, events)
        return {}

    handle.__name__ = f"avl[{CONSUMER}]"
    return await bus.subscribe_batch(SUBJECT, CONSUMER, handle, max_batch=BATCH)

"""A monitored vehicle as the rules of one batch of fixes read and change it.

The consumer reads the vehicles of a batch into these plain objects in one query (locking
their rows), the rules move them fix by fix in memory, and the rows of those that changed are
written back with one executemany. Mapped ``Vehicle`` objects would cost an attribute event
per change and a flush per row, thousands of times a second.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import cast

from sqlalchemy import Table, bindparam, select, update
from sqlalchemy.orm import Session
from sqlalchemy.orm.attributes import set_committed_value
from sqlalchemy.orm.util import identity_key

from zhian.core.db import Bulk, one_of
from zhian.core.time import utcnow
from zhian.domains.transport.models import Vehicle

# What the rules keep on the vehicle row between fixes (motion_rules.Motion, and the newest fix).
MOTION = (
    "last_position_at",
    "last_lon",
    "last_lat",
    "stint_started_at",
    "halt_since",
    "halt_lon",
    "halt_lat",
)
_TABLE = cast(Table, Vehicle.__table__)


@dataclass(slots=True, eq=False)
class VehicleState:
    """The columns of a vehicle row the rules read, and the motion state they change."""

    id: int
    terminal_phone: str
    division: str
    is_police_unit: bool
    last_position_at: datetime | None
    last_lon: float | None
    last_lat: float | None
    stint_started_at: datetime | None
    halt_since: datetime | None
    halt_lon: float | None
    halt_lat: float | None
    changed: bool = False


_LOAD = (
    select(
        Vehicle.id,
        Vehicle.terminal_phone,
        Vehicle.division,
        Vehicle.is_police_unit,
        *(getattr(Vehicle, name) for name in MOTION),
    )
    .where(one_of(Vehicle.terminal_phone, "keys"))
    .order_by(Vehicle.id)
    .with_for_update()
)


def load(session: Session, terminals: Collection[str]) -> dict[str, VehicleState]:
    """The vehicles carrying these terminals (canonical keys), by terminal, rows locked.

    Locking serialises the rules per vehicle across concurrent consumers; in id order, so
    that two consumers never wait on each other's locks.
    """
    rows = session.execute(_LOAD, {"keys": sorted(terminals)})
    return {str(row[1]): VehicleState(*row) for row in rows}


_STORE = Bulk(
    update(_TABLE)
    .where(_TABLE.c.id == bindparam("vehicle_id"))
    .values({name: bindparam(f"new_{name}") for name in (*MOTION, "updated_at")}),
    ("vehicle_id", *(f"new_{name}" for name in (*MOTION, "updated_at"))),
)


def store(session: Session, states: Iterable[VehicleState]) -> None:
    """Write the motion state of the vehicles that changed, in one executemany."""
    changed = [s for s in states if s.changed]
    if not changed:
        return
    now = utcnow()
    _STORE.execute(session, [(s.id, *(getattr(s, name) for name in MOTION), now) for s in changed])
    # A mapped Vehicle this session already holds (a request that provisioned it, a test)
    # must not show the state from before the batch.
    for s in changed:
        held = session.identity_map.get(identity_key(Vehicle, s.id))
        if held is not None:
            for name in MOTION:
                set_committed_value(held, name, getattr(s, name))
            set_committed_value(held, "updated_at", now)
        s.changed = False

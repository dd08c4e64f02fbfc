"""An in-memory index of police units per database, for ranking without loading rows.

The index holds the units as parallel numpy arrays (id, kind, lon/lat, whether available and
positioned, division) plus their capability sets and callsigns. It is keyed on a cheap change
stamp, ``count(*)`` and ``max(updated_at)`` over ``incident_unit``, read on every call (the
model is ``places.service.locator``): any committed change, from this process or another,
moves the stamp. If the same units are there and only ``max(updated_at)`` moved, just the
units updated since the old stamp are re-read (an indexed range) into a copy of the arrays;
otherwise the index is reloaded whole. A session that has itself flushed unit changes in
its open transaction builds a private index and never publishes it, so uncommitted state is
never shared.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from time import monotonic
from typing import Any

import numpy as np
from numpy.typing import NDArray
from sqlalchemy import URL, event, func, select
from sqlalchemy.orm import ORMExecuteState, Session, SessionTransaction

from zhian.core import scope as scoping
from zhian.core.scope import Actor
from zhian.domains.incidents.choices import UnitStatus
from zhian.domains.incidents.dispatch import KINDS, Fleet
from zhian.domains.incidents.models import Unit

WRITTEN = "zhian.incidents.units_written"
# On PostgreSQL a writer that stamped updated_at early but committed late moves neither the
# count nor max(updated_at), and a delta read since the old stamp misses it too; so the index
# is read whole at least this often.
MAX_AGE_S = 30.0
Stamp = tuple[URL, int, datetime | None]


@dataclass
class UnitIndex:
    """All units of one database at one stamp, as arrays in id order."""

    stamp: Stamp
    ids: NDArray[np.int64]
    lon: NDArray[np.float64]
    lat: NDArray[np.float64]
    kind: NDArray[np.int64]
    ready: NDArray[np.bool_]  # available and positioned
    division: NDArray[np.str_]
    capabilities: list[frozenset[str]]
    callsigns: list[str]
    kinds: list[str]
    # When the arrays were last read whole (a delta refresh keeps it): see MAX_AGE_S.
    loaded_at: float = field(default_factory=lambda: monotonic())
    _masks: dict[Any, NDArray[np.bool_]] = field(default_factory=dict)

    @classmethod
    def load(cls, session: Session, stamp: Stamp) -> UnitIndex:
        """Read every unit once (id order)."""
        rows = _rows(session)
        n = len(rows)
        return cls(
            stamp=stamp,
            ids=np.fromiter((r[0] for r in rows), np.int64, n),
            lon=np.fromiter((_coord(r[1]) for r in rows), np.float64, n),
            lat=np.fromiter((_coord(r[2]) for r in rows), np.float64, n),
            kind=np.fromiter((_KIND_CODE[r[3]] for r in rows), np.int64, n),
            ready=np.fromiter((_ready(r) for r in rows), np.bool_, n),
            division=np.array([r[5] for r in rows], dtype=np.str_),
            capabilities=[frozenset(r[6].split(",")) for r in rows],
            callsigns=[r[7] for r in rows],
            kinds=[r[3] for r in rows],
        )

    def refreshed(self, session: Session, stamp: Stamp) -> UnitIndex | None:
        """A copy with the units changed since this stamp re-read (the same units, newer
        ``max(updated_at)``); None when only a full load will do."""
        since = self.stamp[2]
        if since is None or stamp[2] is None or stamp[1] != self.stamp[1] or stamp[2] <= since:
            return None
        rows = _rows(session, Unit.updated_at >= since)
        ids = np.fromiter((r[0] for r in rows), np.int64, len(rows))
        at = np.searchsorted(self.ids, ids)
        if len(rows) > len(self.ids) // 4 or np.any(at >= len(self.ids)):
            return None
        if not np.array_equal(self.ids[at], ids):
            return None  # a unit this index does not know: inserted and another deleted
        new = UnitIndex(
            stamp=stamp,
            ids=self.ids,
            lon=self.lon.copy(),
            lat=self.lat.copy(),
            kind=self.kind.copy(),
            ready=self.ready.copy(),
            division=self.division.copy(),
            capabilities=list(self.capabilities),
            callsigns=list(self.callsigns),
            kinds=list(self.kinds),
            loaded_at=self.loaded_at,
        )
        for i, r in zip(at.tolist(), rows, strict=True):
            new.lon[i], new.lat[i] = _coord(r[1]), _coord(r[2])
            new.kind[i], new.ready[i], new.division[i] = _KIND_CODE[r[3]], _ready(r), r[5]
            new.capabilities[i] = frozenset(r[6].split(","))
            new.callsigns[i], new.kinds[i] = r[7], r[3]
        return new

    def _scope_mask(self, actor: Actor) -> NDArray[np.bool_]:
        key = ("scope", actor.division, actor.prefix)
        mask = self._masks.get(key)
        if mask is None:
            if len(self.ids) == 0:
                mask = np.zeros(0, np.bool_)
            else:
                mask = (self.division == actor.division) | np.char.startswith(
                    self.division, actor.prefix
                )
            self._masks[key] = mask
        return mask

    def _capability_mask(self, needed: frozenset[str]) -> NDArray[np.bool_]:
        key = ("caps", needed)
        mask = self._masks.get(key)
        if mask is None:
            mask = np.fromiter(
                (needed <= caps for caps in self.capabilities), np.bool_, len(self.ids)
            )
            self._masks[key] = mask
        return mask

    def candidates(self, actor: Actor, requires: frozenset[str]) -> NDArray[np.intp]:
        """Positions (into the arrays) of the available, positioned units in scope that fit."""
        mask = self.ready
        if actor.role != scoping.SYSTEM_ROLE:
            mask = mask & self._scope_mask(actor)
        if requires:
            mask = mask & self._capability_mask(requires)
        return np.flatnonzero(mask)

    def fleet(self, at: NDArray[np.intp]) -> Fleet:
        """The fleet of the units at these positions."""
        return Fleet(ids=self.ids[at], lon=self.lon[at], lat=self.lat[at], kind=self.kind[at])


_indexes: dict[URL, UnitIndex] = {}
_KIND_CODE = {k.value: i for i, k in enumerate(KINDS)}


def _rows(session: Session, *where: Any) -> Sequence[Any]:
    return session.execute(
        select(
            Unit.id,
            Unit.lon,
            Unit.lat,
            Unit.kind,
            Unit.status,
            Unit.division,
            Unit.capabilities,
            Unit.callsign,
        )
        .where(*where)
        .order_by(Unit.id)
    ).all()


def _coord(value: float | None) -> float:
    return float("nan") if value is None else float(value)


def _ready(row: Any) -> bool:
    return bool(row[4] == UnitStatus.AVAILABLE.value and row[1] is not None and row[2] is not None)


# Two scalar subqueries, so that each is answered from an index (a combined aggregate scans).
_STAMP = select(
    select(func.count()).select_from(Unit).scalar_subquery(),
    select(func.max(Unit.updated_at)).scalar_subquery(),
)


STAMP_COLUMNS = _STAMP.selected_columns  # for a statement that reads the stamp alongside


def stamp_of(session: Session) -> Stamp:
    """The database and its unit table's change stamp: (url, count, max(updated_at))."""
    # On the session's connection, not through the ORM's execute: this runs on every
    # recommendation, where the ORM layer cost more than the query (autoflush done by hand).
    session.flush()
    count, latest = session.connection().execute(_STAMP).one()
    return stamp_from(session, count, latest)


def stamp_from(session: Session, count: int, latest: datetime | None) -> Stamp:
    """The stamp from its two figures as a statement with ``STAMP_COLUMNS`` read them."""
    # The URL object itself (immutable, hashable) keys the cache: rendering it costs more.
    return (session.connection().engine.url, int(count), latest)


def index(session: Session, stamp: Stamp | None = None) -> UnitIndex:
    """The unit index as this session sees the table, rebuilt only when the stamp moves
    (``stamp``: read by the caller in the same transaction, or read here)."""
    stamp = stamp if stamp is not None else stamp_of(session)
    if session.info.get(WRITTEN):
        return UnitIndex.load(session, stamp)  # uncommitted changes: private, never shared
    found = _indexes.get(stamp[0])
    if found is not None and monotonic() - found.loaded_at > MAX_AGE_S:
        found = None  # read whole now and then: a late commit can leave the stamp unmoved
    if found is None or found.stamp != stamp:
        delta = found.refreshed(session, stamp) if found is not None else None
        found = delta if delta is not None else UnitIndex.load(session, stamp)
        _indexes[stamp[0]] = found
    return found


def clear() -> None:
    """Forget every index (tests)."""
    _indexes.clear()


@event.listens_for(Session, "after_flush")
def _note_unit_writes(session: Session, _context: Any) -> None:
    if any(
        isinstance(o, Unit)
        for group in (session.new, session.dirty, session.deleted)
        for o in group
    ):
        session.info[WRITTEN] = True


@event.listens_for(Session, "do_orm_execute")
def _note_bulk_unit_writes(state: ORMExecuteState) -> None:
    mapper = state.bind_mapper
    if (state.is_update or state.is_delete) and mapper is not None and mapper.class_ is Unit:
        state.session.info[WRITTEN] = True


@event.listens_for(Session, "after_transaction_end")
def _forget_unit_writes(session: Session, transaction: SessionTransaction) -> None:
    if transaction.parent is None:  # the outermost transaction ended: committed or not
        session.info.pop(WRITTEN, None)

"""The live board: open incidents, units on duty and open alerts a viewer may see.

``stamp`` is a cheap change stamp per viewer (count and newest ``updated_at`` of each of the
three sets, through the jurisdiction scope); the board's event stream re-reads ``snapshot``
only when the stamp moves. Read-only; callers' phones never appear on the board.

A city-wide board carries a thousand units, and building their entries was most of a
snapshot's time, so the unit part is kept per viewer scope and language, keyed on the units'
part of the stamp: it is rebuilt only when a visible unit changed (the same guarantee the
stream already relies on to notice changes at all).
"""

from __future__ import annotations

import json
import threading
from collections import OrderedDict
from collections.abc import Mapping, Sequence
from datetime import datetime
from time import monotonic
from typing import Any

from sqlalchemy import BindParameter, Row, Select, bindparam, func, select, type_coerce
from sqlalchemy.orm import Session
from sqlalchemy.types import NullType

from zhian.core import scope as scoping
from zhian.core.db import utc_from_raw
from zhian.core.identity.roles import require
from zhian.core.scope import Actor
from zhian.core.settings import DEFAULT_TARGETS, ResponseTargets
from zhian.core.time import SHANGHAI
from zhian.domains.incidents import overdue, unit_index
from zhian.domains.incidents.choices import (
    ALERT_KIND_LABELS,
    INCIDENT_STATUS_LABELS,
    INCIDENT_TYPE_LABELS,
    UNIT_KIND_LABELS,
    UNIT_STATUS_LABELS,
    IncidentStatus,
    UnitStatus,
)
from zhian.domains.incidents.models import Alert, Incident, Unit

OPEN = (
    IncidentStatus.RECEIVED.value,
    IncidentStatus.DISPATCHED.value,
    IncidentStatus.EN_ROUTE.value,
    IncidentStatus.ON_SCENE.value,
)
MAX_INCIDENTS = 500
MAX_UNITS = 1_000
MAX_ALERTS = 200
# Unit parts kept: one per viewer scope and language on the board at once is plenty.
UNIT_CACHE_SIZE = 256

Stamp = tuple[Any, ...]


# The board reads plain columns, not ORM objects: hydrating a thousand units and hundreds of
# incidents on every snapshot cost more than the indexed queries themselves.
INCIDENT_COLUMNS = (
    Incident.id,
    Incident.type,
    Incident.priority,
    Incident.status,
    Incident.division,
    Incident.location_text,
    Incident.lon,
    Incident.lat,
    Incident.received_at,
)
UNIT_COLUMNS = (
    Unit.id,
    Unit.callsign,
    Unit.kind,
    Unit.status,
    Unit.division,
    Unit.incident_id,
    # As the driver gives it: converted only for the units whose entry is not kept.
    type_coerce(Unit.status_at, NullType()).label("status_at"),
)
ALERT_COLUMNS = (
    Alert.id,
    Alert.kind,
    Alert.message,
    Alert.incident_id,
    Alert.zone_id,
    Alert.opened_at,
)


# The open statuses go into the SQL as literals, not parameters: the event stream repeats the
# same statement, PostgreSQL then plans it once without its parameters, and only with the
# values in the text can that generic plan use the partial index on open incidents
# (models.OPEN_INCIDENT) instead of walking the whole primary key backwards for the newest 500
# (~0.4 s at a million incidents).
OPEN_STATUSES: BindParameter[list[str]] = bindparam(
    "open_statuses", list(OPEN), expanding=True, literal_execute=True
)


def _open_incidents(actor: Actor) -> Select[*tuple[Any, ...]]:
    return select(*INCIDENT_COLUMNS).where(
        Incident.status.in_(OPEN_STATUSES), scoping.scope_clause(actor, Incident.division)
    )


def _units(actor: Actor) -> Select[*tuple[Any, ...]]:
    return select(*UNIT_COLUMNS).where(
        Unit.status != UnitStatus.OFF_DUTY.value, scoping.scope_clause(actor, Unit.division)
    )


def _open_alerts(actor: Actor) -> Select[*tuple[Any, ...]]:
    return select(*ALERT_COLUMNS).where(
        Alert.closed_at.is_(None), scoping.scope_clause(actor, Alert.division)
    )


class _Statements:
    """The board's statements for one viewer scope, built once: composing them cost more
    than the database took to answer the stamp."""

    def __init__(self, actor: Actor) -> None:
        self.incidents = _open_incidents(actor).order_by(Incident.id.desc()).limit(MAX_INCIDENTS)
        self.units = _units(actor).order_by(Unit.callsign).limit(MAX_UNITS)
        self.alerts = (
            _open_alerts(actor).order_by(Alert.opened_at.desc(), Alert.id.desc()).limit(MAX_ALERTS)
        )
        parts = []
        for stmt, model in (
            (_open_incidents(actor), Incident),
            (_units(actor), Unit),
            (_open_alerts(actor), Alert),
        ):
            sub = stmt.with_only_columns(model.id, model.updated_at).subquery()
            parts.append(select(func.count(), func.max(sub.c.updated_at)))
        self.incident_stamp, self.unit_stamp, self.alert_stamp = parts


_statements: dict[tuple[bool, str, str], _Statements] = {}


def _scope_key(actor: Actor) -> tuple[bool, str, str]:
    return (actor.role == scoping.SYSTEM_ROLE, actor.division, actor.prefix)


def _for(actor: Actor) -> _Statements:
    key = _scope_key(actor)
    found = _statements.get(key)
    if found is None:
        found = _statements[key] = _Statements(actor)  # a race builds the same thing twice
    return found


def stamp(session: Session, *, actor: Actor) -> Stamp:
    """Changes whenever anything the viewer's board shows changes."""
    session.flush()
    conn = session.connection()
    stmts = _for(actor)
    parts: list[Any] = []
    for stmt in (stmts.incident_stamp, stmts.unit_stamp, stmts.alert_stamp):
        parts.extend(conn.execute(stmt).one())
    return tuple(parts)


def _labels(labels: Mapping[Any, tuple[str, str]], locale: str) -> dict[str, str]:
    pick = 0 if locale.startswith("zh") else 1
    return {str(k): v[pick] for k, v in labels.items()}


# Labels per language, resolved once (``choices.label`` per field was a visible share).
_LABELS = {
    zh: {
        "type": _labels(INCIDENT_TYPE_LABELS, "zh_CN" if zh else "en"),
        "incident_status": _labels(INCIDENT_STATUS_LABELS, "zh_CN" if zh else "en"),
        "kind": _labels(UNIT_KIND_LABELS, "zh_CN" if zh else "en"),
        "unit_status": _labels(UNIT_STATUS_LABELS, "zh_CN" if zh else "en"),
        "alert": _labels(ALERT_KIND_LABELS, "zh_CN" if zh else "en"),
    }
    for zh in (True, False)
}


def _time(value: datetime | None) -> str | None:
    # Values arrive as aware UTC datetimes (core.db.UTCDateTime).
    return None if value is None else value.isoformat()


def _clock(value: datetime | None) -> str:
    if value is None:
        return ""
    t = value.astimezone(SHANGHAI)  # formatted by hand: strftime dominated a snapshot
    return f"{t.hour:02d}:{t.minute:02d}:{t.second:02d}"


def _incidents(
    rows: Sequence[Row[*tuple[Any, ...]]], locale: str, now: datetime, targets: ResponseTargets
) -> list[dict[str, Any]]:
    labels = _LABELS[locale.startswith("zh")]
    types, statuses = labels["type"], labels["incident_status"]
    received = IncidentStatus.RECEIVED.value
    late = overdue.overdue_receipts(now, targets.dispatch_s)
    out = []
    for i_id, typ, priority, status, division, text, lon, lat, at in rows:
        out.append(
            {
                "id": i_id,
                "type": typ,
                "type_label": types.get(typ, typ),
                "priority": priority,
                "status": status,
                "status_label": statuses.get(status, status),
                "division": division,
                "location": text or f"{lon:.5f}, {lat:.5f}",
                "received_at": _time(at),
                "received": _clock(at),
                "overdue": status == received and at <= late[priority],
            }
        )
    return out


class UnitPart(list[dict[str, Any]]):
    """The units' entries of a board, kept and shared between snapshots: read, never modify.
    Its JSON text is made once (``to_json``)."""

    text: str | None = None


# Entries by (language, row): a unit whose row is unchanged keeps its entry when the part is
# rebuilt because another unit moved (positions move the units' stamp several times a
# second in a city, while the board's columns of most units stay the same).
_entries: dict[tuple[bool, tuple[Any, ...]], dict[str, Any]] = {}
MAX_KEPT_ENTRIES = 50_000


def _unit_entries(rows: Sequence[Row[*tuple[Any, ...]]], locale: str) -> UnitPart:
    zh = locale.startswith("zh")
    labels = _LABELS[zh]
    kinds, statuses = labels["kind"], labels["unit_status"]
    if len(_entries) > MAX_KEPT_ENTRIES:
        _entries.clear()
    part = UnitPart()
    for row in rows:
        key = (zh, tuple(row))  # plain values: a kept Row would keep its result alive
        entry = _entries.get(key)
        if entry is None:
            u_id, callsign, kind, status, division, incident_id, raw_at = row
            entry = _entries[key] = {
                "id": u_id,
                "callsign": callsign,
                "kind": kind,
                "kind_label": kinds.get(kind, kind),
                "status": status,
                "status_label": statuses.get(status, status),
                "division": division,
                "incident_id": incident_id,
                "since": _clock(None if raw_at is None else utc_from_raw(raw_at)),
            }
        part.append(entry)
    return part


def _alert_entries(rows: Sequence[Row[*tuple[Any, ...]]], locale: str) -> list[dict[str, Any]]:
    kinds = _LABELS[locale.startswith("zh")]["alert"]
    return [
        {
            "id": a_id,
            "kind": kind,
            "kind_label": kinds.get(kind, kind),
            "message": message,
            "incident_id": incident_id,
            "zone_id": zone_id,
            "opened_at": _time(opened_at),
            "opened": _clock(opened_at),
        }
        for a_id, kind, message, incident_id, zone_id, opened_at in rows
    ]


class _UnitParts:
    """The unit part of recent boards by (database, viewer scope, language, units' stamp)."""

    def __init__(self, size: int) -> None:
        self._size = size
        self._lock = threading.Lock()
        self._parts: OrderedDict[tuple[Any, ...], UnitPart] = OrderedDict()

    def get(self, key: tuple[Any, ...]) -> UnitPart | None:
        with self._lock:
            found = self._parts.get(key)
            if found is not None:
                self._parts.move_to_end(key)
            return found

    def put(self, key: tuple[Any, ...], part: UnitPart) -> None:
        with self._lock:
            self._parts[key] = part
            self._parts.move_to_end(key)
            while len(self._parts) > self._size:
                self._parts.popitem(last=False)

    def clear(self) -> None:
        with self._lock:
            self._parts.clear()


_unit_parts = _UnitParts(UNIT_CACHE_SIZE)
UNIT_PART_MAX_AGE_S = 5.0


def clear(*, entries: bool = True) -> None:
    """Forget the kept unit parts, and the kept entries unless ``entries`` is False (tests,
    benchmarks)."""
    _unit_parts.clear()
    if entries:
        _entries.clear()


def _units_part(session: Session, actor: Actor, locale: str, known: Stamp | None) -> UnitPart:
    conn = session.connection()
    stmts = _for(actor)
    if session.info.get(unit_index.WRITTEN):
        # Unit changes flushed in this open transaction: never shared, never kept.
        return _unit_entries(conn.execute(stmts.units).all(), locale)
    units_stamp = (
        tuple(known[2:4]) if known is not None else tuple(conn.execute(stmts.unit_stamp).one())
    )
    # The age bucket bounds how long a kept part can lag: on PostgreSQL a writer that stamped
    # updated_at early but committed late leaves count and max(updated_at) unmoved.
    age = int(monotonic() // UNIT_PART_MAX_AGE_S)
    key = (str(conn.engine.url), _scope_key(actor), locale.startswith("zh"), units_stamp, age)
    part = _unit_parts.get(key)
    if part is None:
        # Read after the stamp: the part is at least as new as its key, never older.
        part = _unit_entries(conn.execute(stmts.units).all(), locale)
        _unit_parts.put(key, part)
    return part


def snapshot(
    session: Session,
    *,
    actor: Actor,
    now: datetime,
    locale: str = "zh_CN",
    targets: ResponseTargets = DEFAULT_TARGETS,
    known: Stamp | None = None,
) -> dict[str, Any]:
    """What the viewer's board shows at ``now``: newest incidents first, units by callsign,
    newest alerts first, each with labels in the viewer's language; an incident waiting past
    its priority's dispatch target (``targets``) is marked overdue.

    ``known`` is the viewer's stamp read in this transaction, if the caller has it (saves a
    query). The entries are shared with other viewers of the same scope: read, never modify.
    """
    require(actor, "incidents.read")
    session.flush()  # as session.execute would (autoflush): the board shows this session's view
    conn = session.connection()
    stmts = _for(actor)
    incidents = conn.execute(stmts.incidents).all()
    alerts = conn.execute(stmts.alerts).all()
    return {
        "incidents": _incidents(incidents, locale, now, targets),
        "units": _units_part(session, actor, locale, known),
        "alerts": _alert_entries(alerts, locale),
    }


_JSON = json.JSONEncoder(ensure_ascii=False, separators=(",", ":"))


def to_json(snap: Mapping[str, Any]) -> str:
    """The snapshot as compact JSON (what the event stream sends), the kept unit part's text
    made once and reused: encoding a thousand units cost as much as building them."""
    units = snap["units"]
    if isinstance(units, UnitPart):
        if units.text is None:
            units.text = _JSON.encode(units)
        units_text = units.text
    else:
        units_text = _JSON.encode(units)
    # The same text as encoding the whole mapping at once, the units' text in its place.
    parts = [
        f"{_JSON.encode(k)}:{units_text if k == 'units' else _JSON.encode(v)}"
        for k, v in snap.items()
    ]
    return "{" + ",".join(parts) + "}"

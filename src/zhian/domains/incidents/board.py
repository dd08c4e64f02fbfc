"""The live board: open incidents, units on duty and open alerts a viewer may see.

``stamp`` is a cheap change stamp per viewer (count and newest ``updated_at`` of each of the
three sets, through the jurisdiction scope); the board's event stream re-reads ``snapshot``
only when the stamp moves. Read-only; callers' phones never appear on the board.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import BindParameter, Row, Select, bindparam, func, select
from sqlalchemy.orm import Session

from zhian.core import scope as scoping
from zhian.core.identity.roles import require
from zhian.core.scope import Actor
from zhian.core.time import as_utc, local
from zhian.domains.incidents import overdue
from zhian.domains.incidents.choices import (
    ALERT_KIND_LABELS,
    INCIDENT_STATUS_LABELS,
    INCIDENT_TYPE_LABELS,
    UNIT_KIND_LABELS,
    UNIT_STATUS_LABELS,
    IncidentStatus,
    UnitStatus,
    label,
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
    Unit.status_at,
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


def stamp(session: Session, *, actor: Actor) -> Stamp:
    """Changes whenever anything the viewer's board shows changes."""
    parts: list[Any] = []
    for stmt, model in (
        (_open_incidents(actor), Incident),
        (_units(actor), Unit),
        (_open_alerts(actor), Alert),
    ):
        sub = stmt.with_only_columns(model.id, model.updated_at).subquery()
        parts.extend(session.execute(select(func.count(), func.max(sub.c.updated_at))).one())
    return tuple(parts)


def _time(value: datetime | None) -> str | None:
    return None if value is None else as_utc(value).isoformat()


def _clock(value: datetime | None) -> str:
    if value is None:
        return ""
    t = local(value)  # formatted by hand: strftime dominated a thousand-unit snapshot
    return f"{t.hour:02d}:{t.minute:02d}:{t.second:02d}"


def _incidents(rows: Sequence[Row[Any]], locale: str, now: datetime) -> list[dict[str, Any]]:
    return [
        {
            "id": i.id,
            "type": i.type,
            "type_label": label(INCIDENT_TYPE_LABELS, i.type, locale),
            "priority": i.priority,
            "status": i.status,
            "status_label": label(INCIDENT_STATUS_LABELS, i.status, locale),
            "division": i.division,
            "location": i.location_text or f"{i.lon:.5f}, {i.lat:.5f}",
            "received_at": _time(i.received_at),
            "received": _clock(i.received_at),
            "overdue": i.status == IncidentStatus.RECEIVED.value
            and now >= overdue.deadline(i.priority, i.received_at),
        }
        for i in rows
    ]


def snapshot(
    session: Session, *, actor: Actor, now: datetime, locale: str = "zh_CN"
) -> dict[str, Any]:
    """What the viewer's board shows at ``now``: newest incidents first, units by callsign,
    newest alerts first, each with labels in the viewer's language."""
    require(actor, "incidents.read")
    incidents = session.execute(
        _open_incidents(actor).order_by(Incident.id.desc()).limit(MAX_INCIDENTS)
    ).all()
    units = session.execute(_units(actor).order_by(Unit.callsign).limit(MAX_UNITS)).all()
    alerts = session.execute(
        _open_alerts(actor).order_by(Alert.opened_at.desc(), Alert.id.desc()).limit(MAX_ALERTS)
    ).all()
    return {
        "incidents": _incidents(incidents, locale, now),
        "units": [
            {
                "id": u.id,
                "callsign": u.callsign,
                "kind": u.kind,
                "kind_label": label(UNIT_KIND_LABELS, u.kind, locale),
                "status": u.status,
                "status_label": label(UNIT_STATUS_LABELS, u.status, locale),
                "division": u.division,
                "incident_id": u.incident_id,
                "since": _clock(u.status_at),
            }
            for u in units
        ],
        "alerts": [
            {
                "id": a.id,
                "kind": a.kind,
                "kind_label": label(ALERT_KIND_LABELS, a.kind, locale),
                "message": a.message,
                "incident_id": a.incident_id,
                "zone_id": a.zone_id,
                "opened_at": _time(a.opened_at),
                "opened": _clock(a.opened_at),
            }
            for a in alerts
        ],
    }

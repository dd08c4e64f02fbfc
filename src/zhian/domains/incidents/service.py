"""Incidents: intake (geocoded or by coordinates), reading, recommending and assigning units.

The caller's phone is masked in lists and on the detail for roles without
``incidents.caller.read``; every detail read is audited, saying whether it was shown.
Functions take the session and the acting user, flush and never commit.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import Any

import numpy as np
from sqlalchemy import bindparam, select
from sqlalchemy.orm import Session

from zhian.core import scope as scoping
from zhian.core.audit import service as audit
from zhian.core.errors import Conflict, InvalidInput, NotFound
from zhian.core.identity.roles import allowed, require
from zhian.core.pagination import Page, paginate
from zhian.core.records import visible_or_404
from zhian.core.scope import Actor
from zhian.core.time import utcnow
from zhian.domains.incidents import alerts, dispatch, hazards, rules, unit_index, units
from zhian.domains.incidents.choices import (
    DEFAULT_PRIORITY,
    IncidentStatus,
    IncidentType,
    UnitStatus,
)
from zhian.domains.incidents.models import Incident
from zhian.domains.incidents.schemas import (
    HazardOut,
    IncidentCreate,
    IncidentOut,
    Recommendation,
)

DUPLICATE_RADIUS_M = 300.0
DUPLICATE_WINDOW = timedelta(minutes=15)
CALLER_PERMISSION = "incidents.caller.read"


def mask_phone(phone: str | None) -> str | None:
    """138****0000: the first three and last four digits of a phone number, at most."""
    if not phone:
        return phone
    if len(phone) < 8:
        return "*" * len(phone)
    return f"{phone[:3]}{'*' * (len(phone) - 7)}{phone[-4:]}"


def incident_out(
    incident: Incident,
    *,
    show_caller: bool = False,
    candidates: Sequence[dict[str, Any]] = (),
    duplicates: Sequence[int] = (),
    hazard_flags: Sequence[HazardOut] | None = None,
) -> IncidentOut:
    """The public shape of an incident, the caller's phone masked unless ``show_caller``."""
    phone = incident.caller_phone
    return IncidentOut(
        id=incident.id,
        type=IncidentType(incident.type),
        priority=incident.priority,
        status=IncidentStatus(incident.status),
        division=incident.division,
        lon=incident.lon,
        lat=incident.lat,
        location_text=incident.location_text,
        location_level=incident.location_level,
        address_id=incident.address_id,
        narrative=incident.narrative,
        caller_phone=phone if show_caller else mask_phone(phone),
        caller_masked=phone is not None and not show_caller,
        received_at=incident.received_at,
        dispatched_at=incident.dispatched_at,
        arrived_at=incident.arrived_at,
        cleared_at=incident.cleared_at,
        cancelled_at=incident.cancelled_at,
        candidates=list(candidates),
        possible_duplicates=list(duplicates),
        hazards=None if hazard_flags is None else list(hazard_flags),
    )


def hazards_of(session: Session, incident: Incident) -> list[HazardOut]:
    """The hazard flags at the incident's resolved location, from every registered provider."""
    return [
        HazardOut(
            kind=f.kind,
            label=f.label,
            source=f.source,
            detail=f.detail,
            address_id=f.address_id,
            expires_at=f.expires_at,
        )
        for f in hazards.hazards_at(
            session, address_id=incident.address_id, lon=incident.lon, lat=incident.lat
        )
    ]


def _resolve_location(
    session: Session, actor: Actor, data: IncidentCreate
) -> tuple[float, float, str, int | None, list[dict[str, Any]]]:
    """The point of the call, its level ("point" or the geocoder's), the standard address it
    resolved to (if any) and the candidates."""
    if data.lon is not None or data.lat is not None:
        if data.lon is None or data.lat is None:
            raise InvalidInput("经度和纬度须同时给出", field="lat" if data.lat is None else "lon")
        return data.lon, data.lat, "point", None, []
    if not data.location_text:
        raise InvalidInput("请填写地址或经纬度", field="location_text")
    from zhian.domains.places.registry import geocoder

    found = geocoder.geocode(session, actor=actor, q=data.location_text)
    candidates = list(found.get("candidates") or [])  # type: ignore[call-overload]
    lon, lat, level = found.get("lon"), found.get("lat"), found.get("level")
    if not isinstance(lon, float) or not isinstance(lat, float) or level is None:
        offered = "；".join(str(c["label"]) for c in candidates[:5])
        hint = f"候选：{offered}" if offered else "请在地图上点选或输入经纬度"
        raise InvalidInput(f"地址无法定位，{hint}", field="location_text")
    address = found.get("address_id")
    return lon, lat, str(level), address if isinstance(address, int) else None, candidates


def _division_of(session: Session, lon: float, lat: float) -> str:
    from zhian.domains.places import service as places

    try:
        return str(places.locate(session, lon=lon, lat=lat)["adcode"])
    except NotFound:
        raise InvalidInput("该位置不在本市辖区内", field="lon") from None


def duplicates_near(
    session: Session,
    *,
    actor: Actor,
    type: IncidentType,
    lon: float,
    lat: float,
    at: datetime,
    exclude_id: int | None = None,
) -> list[tuple[Incident, float]]:
    """Visible, not cancelled incidents of ``type`` within 300 m of the point, received in
    the 15 minutes up to ``at``, with their distance in metres, nearest first."""
    dlat = DUPLICATE_RADIUS_M / 111_000.0
    dlon = dlat / max(math.cos(math.radians(lat)), 1e-6)
    stmt = select(Incident).where(
        Incident.type == type.value,
        Incident.status != IncidentStatus.CANCELLED.value,
        Incident.received_at >= at - DUPLICATE_WINDOW,
        Incident.received_at <= at,
        Incident.lon.between(lon - dlon, lon + dlon),
        Incident.lat.between(lat - dlat, lat + dlat),
        scoping.scope_clause(actor, Incident.division),
    )
    if exclude_id is not None:
        stmt = stmt.where(Incident.id != exclude_id)
    rows = session.scalars(stmt).all()
    if not rows:
        return []
    dist = dispatch.great_circle_m(
        lon, lat, np.array([r.lon for r in rows]), np.array([r.lat for r in rows])
    )
    near = [(r, float(d)) for r, d in zip(rows, dist, strict=True) if d <= DUPLICATE_RADIUS_M]
    return sorted(near, key=lambda pair: (pair[1], pair[0].id))


def possible_duplicates(session: Session, *, actor: Actor, incident: Incident) -> list[int]:
    """Visible incidents of the same type within 300 m and the 15 minutes before this one."""
    found = duplicates_near(
        session,
        actor=actor,
        type=IncidentType(incident.type),
        lon=incident.lon,
        lat=incident.lat,
        at=incident.received_at,
        exclude_id=incident.id,
    )
    return sorted(i.id for i, _ in found)


def duplicate_candidates(
    session: Session, *, actor: Actor, type: IncidentType, lon: float, lat: float
) -> list[tuple[Incident, float]]:
    """For a call being taken now: the incidents it may duplicate, so the call-taker can link
    to one instead of registering the call twice."""
    require(actor, "incidents.intake")
    return duplicates_near(session, actor=actor, type=type, lon=lon, lat=lat, at=utcnow())


def create_incident(
    session: Session, *, actor: Actor, data: IncidentCreate
) -> tuple[Incident, list[dict[str, Any]], list[int]]:
    """Take a call: locate it, find its division, and offer possible duplicates."""
    require(actor, "incidents.intake")
    lon, lat, level, address_id, candidates = _resolve_location(session, actor, data)
    division = _division_of(session, lon, lat)
    if not scoping.can_see(actor, division):
        raise InvalidInput("该位置不在本人管辖范围内", field="lon")
    now = utcnow()
    incident = Incident(
        type=data.type.value,
        priority=data.priority or DEFAULT_PRIORITY[data.type],
        status=IncidentStatus.RECEIVED.value,
        division=division,
        lon=lon,
        lat=lat,
        location_text=data.location_text,
        location_level=level,
        address_id=address_id,
        narrative=data.narrative or None,
        caller_phone=data.caller_phone,
        received_at=now,
    )
    session.add(incident)
    session.flush()
    duplicates = possible_duplicates(session, actor=actor, incident=incident)
    audit.record(
        session,
        actor=actor,
        action="create",
        record_type="incident_incident",
        record_id=str(incident.id),
        division=division,
        detail={"type": incident.type, "priority": incident.priority, "duplicates": duplicates},
    )
    return incident, candidates, duplicates


def visible_incident(session: Session, *, actor: Actor, incident_id: int) -> Incident:
    """The incident if the actor may see it; another jurisdiction's is not found (audited)."""
    require(actor, "incidents.read")
    return visible_or_404(
        actor,
        session.get(Incident, incident_id),
        record_type="incident_incident",
        record_id=incident_id,
        label="警情",
    )


def get_incident(session: Session, *, actor: Actor, incident_id: int) -> tuple[Incident, bool]:
    """One incident and whether its caller's phone may be shown; the read is audited."""
    incident = visible_incident(session, actor=actor, incident_id=incident_id)
    shown = incident.caller_phone is not None and (
        actor.role == scoping.SYSTEM_ROLE or allowed(actor.role, CALLER_PERMISSION)
    )
    audit.record(
        session,
        actor=actor,
        action="read",
        record_type="incident_incident",
        record_id=str(incident.id),
        division=incident.division,
        detail={"caller": "shown" if shown else "masked"},
    )
    return incident, shown


def list_incidents(
    session: Session,
    *,
    actor: Actor,
    page: int = 1,
    per_page: int = 50,
    status: IncidentStatus | None = None,
) -> Page[Incident]:
    """Incidents of the actor's jurisdiction, newest first."""
    require(actor, "incidents.read")
    stmt = select(Incident).where(scoping.scope_clause(actor, Incident.division))
    if status is not None:
        stmt = stmt.where(Incident.status == status.value)
    return paginate(session, stmt.order_by(Incident.id.desc()), page, per_page)


# The incident's place and the unit index's change stamp in one round trip: this runs on
# every recommendation, where each statement costs more than ranking two thousand units.
_POSITION = select(Incident.division, Incident.lon, Incident.lat, *unit_index.STAMP_COLUMNS).where(
    Incident.id == bindparam("incident_id")
)


def recommend(
    session: Session,
    *,
    actor: Actor,
    incident_id: int,
    requires: Sequence[str] = (),
    limit: int = 10,
    estimator: dispatch.TravelTimeEstimator = dispatch.DEFAULT_ESTIMATOR,
) -> list[Recommendation]:
    """Available, positioned units the actor may see, fastest first, with the capabilities."""
    require(actor, "incidents.dispatch")
    require(actor, "incidents.read")
    session.flush()  # the statement below bypasses the ORM's autoflush
    incident = visible_or_404(
        actor,
        session.connection().execute(_POSITION, {"incident_id": incident_id}).first(),
        record_type="incident_incident",
        record_id=incident_id,
        label="警情",
    )
    units_now = unit_index.index(session, unit_index.stamp_from(session, *incident[3:]))
    at = units_now.candidates(actor, frozenset(requires))
    fleet = units_now.fleet(at)
    ranked = dispatch.rank(incident.lon, incident.lat, fleet, estimator=estimator, limit=limit)
    out = []
    for uid, dist, eta in ranked:
        i = int(at[int(np.searchsorted(fleet.ids, uid))])  # the fleet is in id order
        out.append(
            Recommendation(
                unit_id=uid,
                callsign=units_now.callsigns[i],
                kind=units_now.kinds[i],
                distance_m=round(dist, 1),
                eta_s=round(eta, 1),
            )
        )
    return out


def assign(
    session: Session,
    *,
    actor: Actor,
    incident_id: int,
    unit_ids: Sequence[int],
    replace: bool = False,
) -> Incident:
    """Send available units to an incident in one action: assign the first, add more, or
    with ``replace`` reassign (release the units committed to it now). Audited."""
    require(actor, "incidents.dispatch")
    incident = visible_incident(session, actor=actor, incident_id=incident_id)
    if incident.status in (IncidentStatus.CLEARED.value, IncidentStatus.CANCELLED.value):
        raise Conflict(f"警情已结束（{incident.status}），不能派警", field="incident_id")
    if not unit_ids:
        raise InvalidInput("请选择警力", field="unit_id")
    chosen = []
    for unit_id in unit_ids:
        try:
            unit = units.get_unit(session, actor=actor, unit_id=unit_id, for_update=True)
        except NotFound:
            raise InvalidInput(f"警力不存在：{unit_id}", field="unit_id") from None
        if unit.status != UnitStatus.AVAILABLE.value:
            raise Conflict(f"警力 {unit.callsign} 当前不可派（{unit.status}）", field="unit_id")
        chosen.append(unit)
    released = []
    if replace:
        committed = units.committed_to(session, incident_id=incident.id, for_update=True)
        for unit in committed:
            units.transition(session, actor=actor, unit=unit, new=UnitStatus.AVAILABLE)
            released.append(unit.id)
    for unit in chosen:
        units.transition(
            session, actor=actor, unit=unit, new=UnitStatus.DISPATCHED, incident_id=incident.id
        )
    if incident.status == IncidentStatus.RECEIVED.value:
        incident.status = IncidentStatus.DISPATCHED.value
        incident.dispatched_at = chosen[0].status_at
        alerts.close_for_incident(session, incident_id=incident.id, now=incident.dispatched_at)
    session.flush()
    audit.record(
        session,
        actor=actor,
        action="reassign" if replace else "assign",
        record_type="incident_incident",
        record_id=str(incident.id),
        division=incident.division,
        detail={
            "unit_ids": [u.id for u in chosen],
            "callsigns": [u.callsign for u in chosen],
            "released": released,
        },
    )
    return incident


def unit_progressed(
    session: Session, *, actor: Actor, incident_id: int, status: UnitStatus
) -> None:
    """A committed unit went en route or arrived: the incident follows if it is behind."""
    incident = session.get(Incident, incident_id)
    if incident is None:
        return
    target = IncidentStatus(status.value)
    if rules.incident_may(incident.status, target.value):
        incident.status = target.value
        if target == IncidentStatus.ON_SCENE and incident.arrived_at is None:
            incident.arrived_at = utcnow()
        session.flush()


def set_incident_status(
    session: Session, *, actor: Actor, incident_id: int, status: IncidentStatus
) -> Incident:
    """Move an incident along its status machine (a refused transition is a 409), audited."""
    require(actor, "incidents.dispatch")
    incident = visible_incident(session, actor=actor, incident_id=incident_id)
    rules.check_incident(incident.status, status.value)
    previous, now = incident.status, utcnow()
    incident.status = status.value
    if status == IncidentStatus.ON_SCENE and incident.arrived_at is None:
        incident.arrived_at = now
    elif status == IncidentStatus.CLEARED:
        incident.cleared_at = now
    elif status == IncidentStatus.CANCELLED:
        incident.cancelled_at = now
        alerts.close_for_incident(session, incident_id=incident.id, now=now)
    session.flush()
    audit.record(
        session,
        actor=actor,
        action="incident_status",
        record_type="incident_incident",
        record_id=str(incident.id),
        division=incident.division,
        detail={"from": previous, "to": status.value},
    )
    return incident

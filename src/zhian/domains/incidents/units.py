"""Police units: registering them, their positions and their status machine.

Every status change is checked against ``rules.UNIT_TRANSITIONS`` (an illegal one is a 409)
and timestamped in ``incident_unit_status_change``. Functions flush, never commit.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from zhian.core import scope as scoping
from zhian.core.audit import service as audit
from zhian.core.errors import Conflict, InvalidInput, NotFound
from zhian.core.identity.roles import require
from zhian.core.pagination import Page, paginate
from zhian.core.scope import Actor
from zhian.core.time import utcnow
from zhian.domains.incidents import rules
from zhian.domains.incidents.choices import UnitStatus
from zhian.domains.incidents.models import Unit, UnitStatusChange
from zhian.domains.incidents.schemas import UnitCreate


def check_division(session: Session, actor: Actor, division: str) -> None:
    """Refuse a division outside the actor's jurisdiction or unknown, naming the field."""
    if not scoping.can_see(actor, division):
        raise InvalidInput("只能在本人管辖范围内登记", field="division")
    from zhian.domains.places import service as places

    if places.find_division(session, division) is None:
        raise InvalidInput(f"行政区划代码不存在：{division}", field="division")


def create_unit(session: Session, *, actor: Actor, data: UnitCreate) -> Unit:
    """Register a police unit (off duty) inside the actor's jurisdiction."""
    require(actor, "units.manage")
    check_division(session, actor, data.division)
    if (data.lon is None) != (data.lat is None):
        raise InvalidInput("经度和纬度须同时给出", field="lat" if data.lat is None else "lon")
    conflict = Conflict(f"呼号已登记：{data.callsign}", field="callsign")
    if session.scalar(select(Unit.id).where(Unit.callsign == data.callsign)) is not None:
        raise conflict
    if data.terminal_phone is not None:
        fitted = session.scalar(
            select(Unit.callsign).where(Unit.terminal_phone == data.terminal_phone)
        )
        if fitted is not None:
            raise Conflict(f"该终端已装在 {fitted}", field="terminal_phone")
    now = utcnow()
    unit = Unit(
        callsign=data.callsign,
        kind=data.kind.value,
        crew_size=data.crew_size,
        capabilities=",".join(data.capabilities),
        home_station=data.home_station,
        division=data.division,
        lon=data.lon,
        lat=data.lat,
        position_at=now if data.lon is not None else None,
        terminal_phone=data.terminal_phone,
        status=UnitStatus.OFF_DUTY.value,
        status_at=now,
    )
    try:
        with session.begin_nested():
            session.add(unit)
            session.flush()
    except IntegrityError:
        raise conflict from None
    _log_change(session, actor, unit, None, now)
    audit.record(
        session,
        actor=actor,
        action="create",
        record_type="incident_unit",
        record_id=str(unit.id),
        division=unit.division,
        detail={"callsign": unit.callsign, "kind": unit.kind},
    )
    return unit


def list_units(
    session: Session,
    *,
    actor: Actor,
    page: int = 1,
    per_page: int = 50,
    status: UnitStatus | None = None,
) -> Page[Unit]:
    """Units of the actor's jurisdiction, one page at a time."""
    require(actor, "incidents.read")
    stmt = select(Unit).where(scoping.scope_clause(actor, Unit.division))
    if status is not None:
        stmt = stmt.where(Unit.status == status.value)
    return paginate(session, stmt.order_by(Unit.id), page, per_page)


def get_unit(session: Session, *, actor: Actor, unit_id: int, for_update: bool = False) -> Unit:
    """One unit of the actor's jurisdiction; another's is not found (and audited)."""
    require(actor, "incidents.read")
    stmt = select(Unit).where(Unit.id == unit_id)
    if for_update:
        stmt = stmt.with_for_update()
    unit = session.scalar(stmt)
    if unit is None:
        raise NotFound(f"警力不存在：{unit_id}")
    if not scoping.can_see(actor, unit.division):
        audit.deny(
            actor, record_type="incident_unit", record_id=str(unit_id), division=unit.division
        )
    return unit


def move_unit(session: Session, *, actor: Actor, unit_id: int, lon: float, lat: float) -> Unit:
    """Set a unit's current position by hand (a unit with a terminal moves by its fixes too)."""
    require(actor, "units.manage")
    unit = get_unit(session, actor=actor, unit_id=unit_id)
    unit.lon, unit.lat, unit.position_at = lon, lat, utcnow()
    session.flush()
    return unit


def _log_change(
    session: Session, actor: Actor, unit: Unit, previous: str | None, at: datetime
) -> None:
    session.add(
        UnitStatusChange(
            unit_id=unit.id,
            from_status=previous,
            to_status=unit.status,
            changed_at=at,
            incident_id=unit.incident_id,
            changed_by=actor.username,
        )
    )
    session.flush()


def transition(
    session: Session, *, actor: Actor, unit: Unit, new: UnitStatus, incident_id: int | None = None
) -> None:
    """Move a unit to ``new`` if the table allows it, timestamped and audited."""
    rules.check_unit(unit.status, new.value)
    previous, now = unit.status, utcnow()
    unit.status, unit.status_at = new.value, now
    if new == UnitStatus.DISPATCHED:
        unit.incident_id = incident_id
    elif new not in rules.COMMITTED:
        unit.incident_id = None
    session.flush()
    _log_change(session, actor, unit, previous, now)
    audit.record(
        session,
        actor=actor,
        action="unit_status",
        record_type="incident_unit",
        record_id=str(unit.id),
        division=unit.division,
        detail={"from": previous, "to": new.value, "incident_id": unit.incident_id},
    )


def set_status(session: Session, *, actor: Actor, unit_id: int, status: UnitStatus) -> Unit:
    """Change a unit's status (an illegal transition is a 409); the incident follows."""
    require(actor, "units.manage")
    unit = get_unit(session, actor=actor, unit_id=unit_id, for_update=True)
    if status == UnitStatus.DISPATCHED:
        raise Conflict("派警须通过警情指派", field="status")
    incident_id = unit.incident_id
    transition(session, actor=actor, unit=unit, new=status)
    if incident_id is not None and status in (UnitStatus.EN_ROUTE, UnitStatus.ON_SCENE):
        from zhian.domains.incidents import service

        service.unit_progressed(session, actor=actor, incident_id=incident_id, status=status)
    return unit


def status_history(session: Session, *, actor: Actor, unit_id: int) -> list[UnitStatusChange]:
    """A unit's status changes, oldest first."""
    unit = get_unit(session, actor=actor, unit_id=unit_id)
    stmt = select(UnitStatusChange).where(UnitStatusChange.unit_id == unit.id)
    return list(session.scalars(stmt.order_by(UnitStatusChange.id)))


def committed_to(session: Session, *, incident_id: int, for_update: bool = False) -> list[Unit]:
    """The units committed to an incident now (dispatched, en route, on scene, transporting)."""
    stmt = (
        select(Unit)
        .where(
            Unit.incident_id == incident_id,
            Unit.status.in_([s.value for s in rules.COMMITTED]),
        )
        .order_by(Unit.id)
    )
    if for_update:
        stmt = stmt.with_for_update()
    return list(session.scalars(stmt))

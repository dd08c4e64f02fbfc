"""The transport registry: carriers, vehicles and their terminals, and reading their tracks.

Every function takes the session and the acting user, checks the permission and the
jurisdiction, flushes and never commits. Positions arrive through the bus (``tracking``);
this module only reads them, audited, because a track is sensitive.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import Select, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from zhian.core import scope as scoping
from zhian.core.audit import service as audit
from zhian.core.errors import Conflict, InvalidInput
from zhian.core.identity.roles import require
from zhian.core.pagination import Page, paginate
from zhian.core.records import visible_or_404
from zhian.core.scope import Actor
from zhian.core.time import utcnow
from zhian.domains.transport.models import Carrier, Position, Vehicle
from zhian.domains.transport.schemas import CarrierCreate, VehicleCreate, VehicleOut

MAX_POSITIONS = 10_000
DEFAULT_POSITIONS = 1_000


def _check_division(session: Session, actor: Actor, division: str) -> None:
    if not scoping.can_see(actor, division):
        raise InvalidInput("只能在本人管辖范围内登记", field="division")
    from zhian.domains.places import service as places

    if places.find_division(session, division) is None:
        raise InvalidInput(f"行政区划代码不存在：{division}", field="division")


def _flush_new(session: Session, row: Carrier | Vehicle, conflict: Conflict) -> None:
    """Insert in a savepoint: a concurrent duplicate becomes the 409, not a 500."""
    try:
        with session.begin_nested():
            session.add(row)
            session.flush()
    except IntegrityError:
        raise conflict from None


# --- carriers -------------------------------------------------------------------------------


def create_carrier(session: Session, *, actor: Actor, data: CarrierCreate) -> Carrier:
    """Register a licensed carrier inside the actor's jurisdiction."""
    require(actor, "transport.manage")
    _check_division(session, actor, data.division)
    conflict = Conflict(f"经营许可证号已登记：{data.licence_no}", field="licence_no")
    if session.scalar(select(Carrier.id).where(Carrier.licence_no == data.licence_no)):
        raise conflict
    carrier = Carrier(name=data.name, licence_no=data.licence_no, division=data.division)
    _flush_new(session, carrier, conflict)
    audit.record(
        session,
        actor=actor,
        action="create",
        record_type="transport_carrier",
        record_id=str(carrier.id),
        division=carrier.division,
        detail={"name": carrier.name, "licence_no": carrier.licence_no},
    )
    return carrier


def list_carriers(
    session: Session, *, actor: Actor, page: int = 1, per_page: int = 50
) -> Page[Carrier]:
    """Carriers of the actor's jurisdiction, one page at a time."""
    require(actor, "transport.read")
    stmt = select(Carrier).where(scoping.scope_clause(actor, Carrier.division))
    return paginate(session, stmt.order_by(Carrier.id), page, per_page)


def get_carrier(session: Session, *, actor: Actor, carrier_id: int) -> Carrier:
    """One carrier of the actor's jurisdiction; another's is not found (and audited)."""
    require(actor, "transport.read")
    carrier = session.get(Carrier, carrier_id)
    carrier = visible_or_404(
        actor, carrier, record_type="transport_carrier", record_id=carrier_id, label="运输企业"
    )
    return carrier


# --- vehicles -------------------------------------------------------------------------------


def _check_kind(session: Session, actor: Actor, data: VehicleCreate) -> None:
    """A police unit carries no goods; a dangerous-goods vehicle has a body and classes."""
    if data.is_police_unit:
        for name in ("carrier_id", "body_type"):
            if getattr(data, name) is not None:
                raise InvalidInput("警用车辆不登记运输企业和车体类型", field=name)
        if data.hazard_classes:
            raise InvalidInput("警用车辆不登记危险货物类别", field="hazard_classes")
        return
    if data.body_type is None:
        raise InvalidInput("危险货物运输车辆须登记车体类型（罐式或厢式）", field="body_type")
    if not data.hazard_classes:
        raise InvalidInput("危险货物运输车辆须登记准运的危险货物类别", field="hazard_classes")
    if data.carrier_id is not None:
        carrier = session.get(Carrier, data.carrier_id)
        if carrier is None or not scoping.can_see(actor, carrier.division):
            raise InvalidInput(f"运输企业不存在：{data.carrier_id}", field="carrier_id")


def provision_vehicle(session: Session, *, actor: Actor, data: VehicleCreate) -> Vehicle:
    """Register a vehicle and its terminal inside the actor's jurisdiction."""
    require(actor, "transport.manage")
    _check_division(session, actor, data.division)
    _check_kind(session, actor, data)
    same_plate = select(Vehicle.id).where(
        Vehicle.plate == data.plate, Vehicle.plate_color == data.plate_color
    )
    if session.scalar(same_plate) is not None:
        raise Conflict(f"该车牌已登记：{data.plate}", field="plate")
    phone_conflict = Conflict(f"终端号已登记：{data.terminal_phone}", field="terminal_phone")
    if session.scalar(select(Vehicle.id).where(Vehicle.terminal_phone == data.terminal_phone)):
        raise phone_conflict
    vehicle = Vehicle(
        plate=data.plate,
        plate_color=data.plate_color,
        terminal_phone=data.terminal_phone,
        division=data.division,
        carrier_id=data.carrier_id,
        hazard_classes=",".join(data.hazard_classes),
        body_type=data.body_type.value if data.body_type else None,
        is_police_unit=data.is_police_unit,
    )
    _flush_new(session, vehicle, Conflict("车牌或终端号已登记", field="plate"))
    audit.record(
        session,
        actor=actor,
        action="create",
        record_type="transport_vehicle",
        record_id=str(vehicle.id),
        division=vehicle.division,
        detail={"plate": vehicle.plate, "terminal_phone": vehicle.terminal_phone},
    )
    return vehicle


def vehicle_out(vehicle: Vehicle) -> VehicleOut:
    """The public shape of a vehicle."""
    return VehicleOut(
        id=vehicle.id,
        plate=vehicle.plate,
        plate_color=vehicle.plate_color,
        terminal_phone=vehicle.terminal_phone,
        division=vehicle.division,
        carrier_id=vehicle.carrier_id,
        hazard_classes=[c for c in vehicle.hazard_classes.split(",") if c],
        body_type=vehicle.body_type,
        is_police_unit=vehicle.is_police_unit,
        registered=vehicle.auth_code_hash is not None,
        registered_at=vehicle.registered_at,
        last_position_at=vehicle.last_position_at,
        created_at=vehicle.created_at,
    )


def _visible_vehicles(actor: Actor) -> Select[Vehicle]:
    return select(Vehicle).where(scoping.scope_clause(actor, Vehicle.division))


def list_vehicles(
    session: Session,
    *,
    actor: Actor,
    page: int = 1,
    per_page: int = 50,
    plate: str | None = None,
    police: bool | None = None,
) -> Page[Vehicle]:
    """Vehicles of the actor's jurisdiction, one page at a time, optionally filtered."""
    require(actor, "transport.read")
    stmt = _visible_vehicles(actor)
    if plate:
        stmt = stmt.where(Vehicle.plate.contains(plate.strip().upper(), autoescape=True))
    if police is not None:
        stmt = stmt.where(Vehicle.is_police_unit.is_(police))
    return paginate(session, stmt.order_by(Vehicle.id), page, per_page)


def visible_vehicle(session: Session, *, actor: Actor, vehicle_id: int) -> Vehicle:
    """The vehicle if the actor may see it; another jurisdiction's is not found (and audited)."""
    require(actor, "transport.read")
    vehicle = session.get(Vehicle, vehicle_id)
    vehicle = visible_or_404(
        actor, vehicle, record_type="transport_vehicle", record_id=vehicle_id, label="车辆"
    )
    return vehicle


def get_vehicle(session: Session, *, actor: Actor, vehicle_id: int) -> Vehicle:
    """One vehicle of the actor's jurisdiction, audited as a read."""
    vehicle = visible_vehicle(session, actor=actor, vehicle_id=vehicle_id)
    audit.record(
        session,
        actor=actor,
        action="read",
        record_type="transport_vehicle",
        record_id=str(vehicle.id),
        division=vehicle.division,
    )
    return vehicle


def track(
    session: Session,
    *,
    actor: Actor,
    vehicle_id: int,
    since: datetime | None = None,
    until: datetime | None = None,
    limit: int = DEFAULT_POSITIONS,
) -> tuple[Sequence[Position], bool]:
    """Fixes with ``since <= time < until`` in time order, at most ``limit``; and whether
    more were left out. The read of a track is audited."""
    for name, value in (("since", since), ("until", until)):
        if value is not None and value.tzinfo is None:
            raise InvalidInput("时间须带时区，例如 2026-11-29T08:00:00+08:00", field=name)
    if since is not None and until is not None and since >= until:
        raise InvalidInput("起始时间须早于结束时间", field="since")
    if not 1 <= limit <= MAX_POSITIONS:
        raise InvalidInput(f"条数须在 1 到 {MAX_POSITIONS} 之间", field="limit")
    vehicle = visible_vehicle(session, actor=actor, vehicle_id=vehicle_id)
    stmt = select(Position).where(Position.vehicle_id == vehicle.id)
    if since is not None:
        stmt = stmt.where(Position.located_at >= since)
    if until is not None:
        stmt = stmt.where(Position.located_at < until)
    rows = session.scalars(stmt.order_by(Position.located_at, Position.id).limit(limit + 1)).all()
    more = len(rows) > limit
    audit.record(
        session,
        actor=actor,
        action="read_track",
        record_type="transport_vehicle",
        record_id=str(vehicle.id),
        division=vehicle.division,
        detail={
            "since": since.isoformat() if since else None,
            "until": until.isoformat() if until else None,
            "count": min(len(rows), limit),
        },
    )
    return rows[:limit], more


# --- terminals (the gateway's directory) ----------------------------------------------------


def _digest(code: str) -> str:
    return hashlib.sha256(code.encode()).hexdigest()


def find_by_terminal(session: Session, phone: str) -> Vehicle | None:
    """The vehicle fitted with this terminal (canonical number), unscoped: for the gateway."""
    return session.scalar(select(Vehicle).where(Vehicle.terminal_phone == phone))


def issue_auth_code(session: Session, *, actor: Actor, vehicle: Vehicle) -> str:
    """A new random auth code for the vehicle's terminal; only its digest is kept."""
    code = secrets.token_hex(12)
    vehicle.auth_code_hash = _digest(code)
    vehicle.registered_at = utcnow()
    session.flush()
    audit.record(
        session,
        actor=actor,
        action="terminal_register",
        record_type="transport_vehicle",
        record_id=str(vehicle.id),
        division=vehicle.division,
        detail={"terminal_phone": vehicle.terminal_phone},
    )
    return code


def auth_code_matches(vehicle: Vehicle, code: str) -> bool:
    """Whether ``code`` is the auth code last issued to the vehicle's terminal."""
    if vehicle.auth_code_hash is None:
        return False
    return hmac.compare_digest(vehicle.auth_code_hash, _digest(code))


def revoke_auth_code(session: Session, *, actor: Actor, vehicle: Vehicle) -> None:
    """Forget the terminal's registration (it logged out): it must register again."""
    if vehicle.auth_code_hash is None:
        return
    vehicle.auth_code_hash = None
    session.flush()
    audit.record(
        session,
        actor=actor,
        action="terminal_logout",
        record_type="transport_vehicle",
        record_id=str(vehicle.id),
        division=vehicle.division,
    )

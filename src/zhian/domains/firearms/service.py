"""The firearms registry: guns and ammunition lots of holder organizations, duty issue and
return with round counts, loss and theft reports, annual inspections, the serial lookup.

Custody goes through the hazmat ledger (:func:`zhian.domains.hazmat.service.record_event`):
a gun is an item of kind ``firearm`` (class ``firearm``, quantity 1), a lot one of kind
``ammunition`` (class 1.4, in rounds). So the holder's licence and armoury capacity, the
chain, stock, overdue-return alerts and loss alerts are the ledger's own rules.
"""

from __future__ import annotations

import json
from datetime import date, datetime, timedelta
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from zhian.core import scope as scoping
from zhian.core.audit import service as audit
from zhian.core.errors import Conflict, InvalidInput, NotFound
from zhian.core.identity.roles import require
from zhian.core.pagination import Page, paginate
from zhian.core.records import visible_or_404
from zhian.core.scope import Actor
from zhian.core.time import local, utcnow
from zhian.domains.firearms.choices import HOLDER_KINDS, LossCause
from zhian.domains.firearms.models import AmmunitionLot, Gun, Inspection
from zhian.domains.firearms.schemas import (
    GunCreate,
    GunOut,
    HolderOut,
    InspectionIn,
    InspectionOut,
    IssueIn,
    LossIn,
    LotCreate,
    LotOut,
    ReturnIn,
)
from zhian.domains.hazmat import service as hazmat
from zhian.domains.hazmat.models import Enterprise, Item
from zhian.domains.hazmat.schemas import FIREARM_CLASS, EventIn, EventType, ItemIn, ItemKind

E = EventType
AMMUNITION_CLASS = "1.4"  # cartridges for weapons, UN 0012 / 0014: division 1.4S
INSPECTION_INTERVAL = timedelta(days=365)


def _holder(session: Session, actor: Actor, holder_id: int) -> Enterprise:
    holder = hazmat.get_enterprise(session, actor=actor, enterprise_id=holder_id)
    if holder.kind not in HOLDER_KINDS:
        raise InvalidInput(f"企业 {holder.name} 不是持枪单位（{holder.kind}）", field="holder_id")
    return holder


def _event(
    session: Session,
    actor: Actor,
    event: EventType,
    enterprise_id: int,
    item: ItemIn,
    quantity: int,
    at: datetime | None,
    site_id: int | None = None,
    **payload: Any,
) -> int:
    data = EventIn(
        event=event,
        enterprise_id=enterprise_id,
        item=item,
        quantity=quantity,
        site_id=site_id,
        payload={k: v for k, v in payload.items() if v is not None},
    )
    return hazmat.record_event(session, actor=actor, data=data, at=at).item_id


def _gun_item(serial: str) -> ItemIn:
    return ItemIn(kind=ItemKind.FIREARM, code=serial, hazard_class=FIREARM_CLASS, unit="piece")


def _lot_item(lot: str) -> ItemIn:
    return ItemIn(kind=ItemKind.AMMUNITION, code=lot, hazard_class=AMMUNITION_CLASS, unit="round")


def register_gun(
    session: Session, *, actor: Actor, data: GunCreate, at: datetime | None = None
) -> GunOut:
    """Register a gun to a holder, into one of its armouries (a ``register`` ledger event)."""
    require(actor, "hazmat.manage")
    holder = _holder(session, actor, data.holder_id)
    if session.scalar(select(Gun.id).where(Gun.serial == data.serial)) is not None:
        raise Conflict(f"枪号已登记：{data.serial}", field="serial")
    item_id = _event(
        session, actor, E.REGISTER, holder.id, _gun_item(data.serial), 1, at, data.site_id
    )
    gun = Gun(
        item_id=item_id,
        serial=data.serial,
        gun_type=str(data.gun_type),
        calibre=data.calibre,
        maker=data.maker,
        holder_id=holder.id,
        division=holder.division,
    )
    session.add(gun)
    session.flush()
    audit.record(
        session,
        actor=actor,
        action="create",
        record_type="firearm_gun",
        record_id=str(gun.id),
        division=gun.division,
        detail={"serial": gun.serial, "holder_id": holder.id},
    )
    return gun_out(session, gun)


def register_lot(
    session: Session, *, actor: Actor, data: LotCreate, at: datetime | None = None
) -> LotOut:
    """Register an ammunition lot to a holder, its rounds into one of its armouries."""
    require(actor, "hazmat.manage")
    holder = _holder(session, actor, data.holder_id)
    if session.scalar(select(AmmunitionLot.id).where(AmmunitionLot.lot == data.lot)) is not None:
        raise Conflict(f"弹药批号已登记：{data.lot}", field="lot")
    item_id = _event(
        session, actor, E.REGISTER, holder.id, _lot_item(data.lot), data.rounds, at, data.site_id
    )
    lot = AmmunitionLot(
        item_id=item_id,
        lot=data.lot,
        calibre=data.calibre,
        maker=data.maker,
        holder_id=holder.id,
        division=holder.division,
    )
    session.add(lot)
    session.flush()
    audit.record(
        session,
        actor=actor,
        action="create",
        record_type="firearm_ammunition_lot",
        record_id=str(lot.id),
        division=lot.division,
        detail={"lot": lot.lot, "rounds": data.rounds, "holder_id": holder.id},
    )
    return lot_out(session, lot)


def lot_out(session: Session, lot: AmmunitionLot) -> LotOut:
    """A lot with the rounds its holder has in armouries and out on duty."""
    held = hazmat.holdings(session, lot.item_id)
    mine = [(s, q) for e, s, q in held if e == lot.holder_id]
    return LotOut(
        id=lot.id,
        lot=lot.lot,
        calibre=lot.calibre,
        maker=lot.maker,
        holder_id=lot.holder_id,
        rounds_in_armoury=int(sum(q for s, q in mine if s is not None)),
        rounds_issued=int(sum(q for s, q in mine if s is None)),
    )


def _gun(session: Session, actor: Actor, serial: str) -> Gun:
    gun = session.scalars(select(Gun).where(Gun.serial == serial.strip().upper())).first()
    return visible_or_404(actor, gun, record_type="firearm_gun", record_id=serial, label="枪支")


def get_gun(session: Session, *, actor: Actor, serial: str) -> GunOut:
    """One gun of the actor's jurisdiction; another's is not found (and audited)."""
    require(actor, "hazmat.read")
    return gun_out(session, _gun(session, actor, serial))


def _lot(session: Session, gun: Gun, lot_code: str) -> AmmunitionLot:
    lot = session.scalars(select(AmmunitionLot).where(AmmunitionLot.lot == lot_code)).first()
    if lot is None or lot.holder_id != gun.holder_id:
        raise InvalidInput(f"本单位无此弹药批号：{lot_code}", field="lot")
    if lot.calibre != gun.calibre:
        raise InvalidInput(f"弹药口径 {lot.calibre} 与枪支口径 {gun.calibre} 不符", field="lot")
    return lot


def issue_duty(
    session: Session, *, actor: Actor, data: IssueIn, at: datetime | None = None
) -> GunOut:
    """Issue a duty gun, and its rounds, from the armoury; it is due back at ``due_at``."""
    gun = _gun(session, actor, data.serial)
    if data.rounds and data.lot is None:
        raise InvalidInput("领取弹药须指明批号", field="lot")
    lot = _lot(session, gun, data.lot) if data.lot is not None else None
    _event(
        session,
        actor,
        E.ISSUE,
        gun.holder_id,
        _gun_item(gun.serial),
        1,
        at,
        data.site_id,
        due_at=data.due_at.isoformat(),
        lot=lot.lot if lot else None,
        rounds=data.rounds,
    )
    if lot is not None and data.rounds:
        _event(
            session,
            actor,
            E.ISSUE,
            gun.holder_id,
            _lot_item(lot.lot),
            data.rounds,
            at,
            data.site_id,
            serial=gun.serial,
        )
    return gun_out(session, gun)


def return_duty(
    session: Session, *, actor: Actor, data: ReturnIn, at: datetime | None = None
) -> GunOut:
    """Take a duty gun back; every issued round is returned, fired or reported lost."""
    gun = _gun(session, actor, data.serial)
    issued = hazmat.last_entry(session, gun.item_id, E.ISSUE)
    if issued is None:
        raise Conflict(f"枪支 {gun.serial} 未被领用", field="serial")

    terms = json.loads(issued.payload)
    rounds, lot_code = int(terms.get("rounds", 0)), terms.get("lot")
    accounted = data.rounds_returned + data.rounds_fired + data.rounds_lost
    if accounted != rounds:
        raise Conflict(
            f"弹药数量不符：领取 {rounds} 发，归还 {data.rounds_returned} 发、"
            f"消耗 {data.rounds_fired} 发、丢失 {data.rounds_lost} 发",
            field="rounds_returned",
        )
    _event(session, actor, E.RETURN, gun.holder_id, _gun_item(gun.serial), 1, at, data.site_id)
    if lot_code is not None:
        lot = _lot_item(str(lot_code))
        if data.rounds_returned:
            _event(
                session, actor, E.RETURN, gun.holder_id, lot, data.rounds_returned, at, data.site_id
            )
        if data.rounds_fired:
            _event(
                session, actor, E.USE, gun.holder_id, lot, data.rounds_fired, at, serial=gun.serial
            )
        if data.rounds_lost:
            _event(
                session,
                actor,
                E.LOSS,
                gun.holder_id,
                lot,
                data.rounds_lost,
                at,
                cause=str(LossCause.LOSS),
                serial=gun.serial,
            )
    return gun_out(session, gun)


def report_loss(
    session: Session, *, actor: Actor, data: LossIn, at: datetime | None = None
) -> GunOut:
    """Report a gun stolen or lost where it is now: a ledger loss event, which alerts."""
    gun = _gun(session, actor, data.serial)
    held = hazmat.holdings(session, gun.item_id)
    if not held:
        raise Conflict(f"枪支 {gun.serial} 已不在任何单位（已报失或销毁）", field="serial")
    enterprise_id, site_id, _ = held[0]
    _event(
        session,
        actor,
        E.LOSS,
        enterprise_id,
        _gun_item(gun.serial),
        1,
        at,
        site_id,
        cause=str(data.cause),
        note=data.note or None,
    )
    return gun_out(session, gun)


def add_inspection(
    session: Session, *, actor: Actor, serial: str, data: InspectionIn
) -> InspectionOut:
    """Record an annual inspection of a gun of the actor's jurisdiction."""
    require(actor, "hazmat.manage")
    gun = _gun(session, actor, serial)
    if data.inspected_on > local(utcnow()).date():
        raise InvalidInput("检验日期不能晚于今天", field="inspected_on")
    row = Inspection(
        gun_id=gun.id,
        inspected_on=data.inspected_on,
        result=str(data.result),
        inspector=actor.username,
        note=data.note,
    )
    session.add(row)
    session.flush()
    audit.record(
        session,
        actor=actor,
        action="create",
        record_type="firearm_inspection",
        record_id=str(row.id),
        division=gun.division,
        detail={"serial": gun.serial, "result": row.result},
    )
    return InspectionOut.model_validate(row)


def lookup(session: Session, *, actor: Actor, serial: str) -> GunOut:
    """A gun by serial, city-wide, with its stolen or lost flag: what a checkpoint asks.

    Not limited to the actor's jurisdiction (a gun stolen in one county is stopped in
    another), so every lookup is audited, found or not.
    """
    require(actor, "firearms.lookup")
    key = serial.strip().upper()
    gun = session.scalars(select(Gun).where(Gun.serial == key)).first()
    audit.record(
        session,
        actor=actor,
        action="firearms.lookup",
        record_type="firearm_gun",
        record_id=str(gun.id) if gun else key,
        division=gun.division if gun else None,
        outcome="success" if gun else "not_found",
        detail={"serial": key},
    )
    if gun is None:
        raise NotFound(f"枪号未登记：{key}")
    return gun_out(session, gun)


def gun_out(session: Session, gun: Gun, *, today: date | None = None) -> GunOut:
    """A gun as the API shows it: holder, custody, flag, last inspection."""

    holder = session.get(Enterprise, gun.holder_id)
    item = session.get(Item, gun.item_id)
    assert holder is not None and item is not None  # foreign keys
    held = hazmat.holdings(session, gun.item_id)
    custody = "none"
    if held:
        enterprise_id, site_id, _ = held[0]
        custody = (
            "elsewhere"
            if enterprise_id != gun.holder_id
            else "in_armoury"
            if site_id is not None
            else "issued"
        )
    flag, reported_at = None, None
    if item.state == "lost":
        loss = hazmat.last_entry(session, gun.item_id, E.LOSS)
        if loss is not None:
            cause = json.loads(loss.payload).get("cause")
            flag, reported_at = ("stolen" if cause == LossCause.THEFT else "lost"), loss.at
    last = session.scalars(
        select(Inspection)
        .where(Inspection.gun_id == gun.id)
        .order_by(Inspection.inspected_on.desc(), Inspection.id.desc())
        .limit(1)
    ).first()
    day = today or local(utcnow()).date()
    return GunOut(
        id=gun.id,
        serial=gun.serial,
        gun_type=gun.gun_type,
        calibre=gun.calibre,
        maker=gun.maker,
        division=gun.division,
        holder=HolderOut(id=holder.id, name=holder.name, kind=holder.kind),
        status=item.state,
        custody=custody,
        flag=flag,
        reported_at=reported_at,
        last_inspection=InspectionOut.model_validate(last) if last else None,
        inspection_due=last is None
        or last.result != "passed"
        or last.inspected_on + INSPECTION_INTERVAL <= day,
    )


def list_guns(
    session: Session,
    *,
    actor: Actor,
    holder_id: int | None = None,
    gun_type: str | None = None,
    calibre: str | None = None,
    flagged: bool | None = None,
    page: int = 1,
    per_page: int = 50,
) -> Page[Gun]:
    """Guns of the actor's jurisdiction by holder, type, calibre, or flagged (lost, stolen)."""
    require(actor, "hazmat.read")
    stmt = select(Gun).where(scoping.scope_clause(actor, Gun.division))
    if holder_id is not None:
        stmt = stmt.where(Gun.holder_id == holder_id)
    if gun_type is not None:
        stmt = stmt.where(Gun.gun_type == gun_type)
    if calibre is not None:
        stmt = stmt.where(Gun.calibre == calibre)
    if flagged is not None:
        lost = select(Item.id).where(Item.state == "lost")
        stmt = stmt.where(Gun.item_id.in_(lost) if flagged else Gun.item_id.not_in(lost))
    return paginate(session, stmt.order_by(Gun.serial), page, per_page)

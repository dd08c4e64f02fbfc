"""The custody ledger's rules, its chain per enterprise, and stock as the ledger's fold.

Every event is checked in full before anything is written (:func:`plan`); a refusal raises
``Conflict`` or ``InvalidInput`` with the reason. :func:`append` then writes the entry,
chained through :mod:`zhian.core.hashchain` under the enterprise's locked head row, and
applies the event's stock moves in the same transaction.

Where an event moves stock ("no site" is the enterprise's custody outside any site: in
transit, or issued to a blasting crew)::

    produce, register  +q at (E, site)
    transfer           (E, site) -> (to, no site)       the buyer's licence checked
    ship, issue        (E, site) -> (E, no site)
    deliver            (E, no site) -> (to, no site)    the receiver's licence checked
    receive, store,    (E, no site) -> (E, site)
    return
    use                -q at (E, no site)
    destroy, loss      -q at (E, site or no site)
    count              nothing (the counted quantity is in its payload)
"""

from __future__ import annotations

import json
from collections import defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from decimal import Decimal
from typing import Any

from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from zhian.core import hashchain
from zhian.core.errors import Conflict, InvalidInput
from zhian.core.scope import Actor
from zhian.core.time import local
from zhian.domains.hazmat.models import ChainHead, Item, LedgerEntry, Licence, Site, Stock
from zhian.domains.hazmat.schemas import UNIQUE_KINDS, EventIn, EventType

E = EventType
SCALE = Decimal("0.001")
WARN_DAYS = 30
CREATES = frozenset({E.PRODUCE, E.REGISTER})
NEEDS_SITE = frozenset(
    {E.PRODUCE, E.REGISTER, E.TRANSFER, E.SHIP, E.ISSUE, E.RECEIVE, E.STORE, E.RETURN}
)
NEEDS_TO = frozenset({E.TRANSFER, E.DELIVER})
# Reporting a loss, a destruction or a count is never blocked by an expired licence.
NEEDS_LICENCE = frozenset(E) - {E.DESTROY, E.LOSS, E.COUNT}
Position = tuple[int, int | None, int]  # enterprise, site (None: no site), item


def amounts(text: str) -> dict[str, Decimal]:
    """A stored class → quantity map."""
    return {k: Decimal(v) for k, v in json.loads(text).items()}


def dump_amounts(values: Mapping[str, Decimal]) -> str:
    """The stored form of a class → quantity map."""
    return json.dumps({k: str(q.quantize(SCALE)) for k, q in values.items()}, sort_keys=True)


def moves(
    event: str, enterprise_id: int, site_id: int | None, to_id: int | None, item_id: int, q: Decimal
) -> list[tuple[Position, Decimal]]:
    """The stock changes an event makes (see the module docstring)."""
    here, loose = (enterprise_id, site_id, item_id), (enterprise_id, None, item_id)
    if event in CREATES:
        return [(here, q)]
    if event == E.TRANSFER:
        return [(here, -q), ((to_id or 0, None, item_id), q)]
    if event in (E.SHIP, E.ISSUE):
        return [(here, -q), (loose, q)]
    if event == E.DELIVER:
        return [(loose, -q), ((to_id or 0, None, item_id), q)]
    if event in (E.RECEIVE, E.STORE, E.RETURN):
        return [(loose, -q), (here, q)]
    if event == E.USE:
        return [(loose, -q)]
    if event in (E.DESTROY, E.LOSS):
        return [(here, -q)]
    return []


def fold(entries: Iterable[LedgerEntry]) -> dict[Position, Decimal]:
    """Stock recomputed from ledger entries: the materialized stock must equal it."""
    total: dict[Position, Decimal] = defaultdict(Decimal)
    for e in entries:
        for pos, dq in moves(
            e.event, e.enterprise_id, e.site_id, e.to_enterprise_id, e.item_id, e.quantity
        ):
            total[pos] += dq
    return {pos: q for pos, q in total.items() if q != 0}


def hashed_payload(entry: Any) -> dict[str, Any]:
    """What an entry's hash commits to: every column but the id, hashes and row times (of an
    entry, or of a row of its columns)."""
    return {
        "enterprise_id": entry.enterprise_id,
        "seq": entry.seq,
        "event": entry.event,
        "item_id": entry.item_id,
        "from_enterprise_id": entry.from_enterprise_id,
        "to_enterprise_id": entry.to_enterprise_id,
        "site_id": entry.site_id,
        "quantity": str(Decimal(entry.quantity).quantize(SCALE)),
        "actor_id": entry.actor_id,
        "actor": entry.actor,
        "at": entry.at,
        "reference": entry.reference,
        "payload": json.loads(entry.payload),
    }


@dataclass
class Plan:
    """An event checked against every rule, ready to be written."""

    item: Item
    quantity: Decimal
    moves: list[tuple[Position, Decimal]]
    state: str
    warnings: list[str] = field(default_factory=list)


def _licence_check(
    session: Session, enterprise_id: int, hazard_class: str, q: Decimal | None, day: date, who: str
) -> list[str]:
    """Refuse without a valid licence covering the class (and quantity); warn of expiry."""
    rows = session.scalars(select(Licence).where(Licence.enterprise_id == enterprise_id)).all()
    covering = [lic for lic in rows if hazard_class in amounts(lic.limits)]
    if not covering:
        raise Conflict(f"{who}无覆盖第 {hazard_class} 类的许可证", field="licence")
    valid = [lic for lic in covering if lic.valid_from <= day <= lic.valid_until]
    if not valid:
        raise Conflict(f"{who}的许可证已过期或未生效（第 {hazard_class} 类）", field="licence")
    if q is not None and not any(amounts(lic.limits)[hazard_class] >= q for lic in valid):
        raise Conflict(f"{who}的许可证数量限额不足（第 {hazard_class} 类，{q}）", field="quantity")
    best = max(valid, key=lambda lic: lic.valid_until)
    if best.valid_until - day <= timedelta(days=WARN_DAYS):
        return [f"{who}的许可证 {best.number} 将于 {best.valid_until.isoformat()} 到期"]
    return []


def _held(session: Session, pos: Position) -> Decimal:
    enterprise_id, site_id, item_id = pos
    site = Stock.site_id.is_(None) if site_id is None else Stock.site_id == site_id
    held = session.scalar(
        select(func.sum(Stock.quantity)).where(
            Stock.enterprise_id == enterprise_id, site, Stock.item_id == item_id
        )
    )
    return Decimal(held or 0)


def _where(session: Session, item: Item) -> str:
    rows = session.execute(
        select(Stock.enterprise_id, Stock.site_id).where(
            Stock.item_id == item.id, Stock.quantity > 0
        )
    ).all()
    return "、".join(f"企业 {e} 库点 {s or '无'}" for e, s in rows) or "无库存"


def _check_item(session: Session, data: EventIn) -> Item:
    given = data.item
    item = session.scalars(select(Item).where(Item.code == given.code).with_for_update()).first()
    if item is None:
        if data.event not in CREATES:
            raise InvalidInput(f"物品编码未登记：{given.code}", field="item.code")
        if given.hazard_class is None:
            raise InvalidInput("生产或登记须给出类别", field="item.hazard_class")
        unit = {"explosive": "piece", "firearm": "piece", "ammunition": "round"}.get(
            given.kind, given.unit
        )
        return Item(
            kind=given.kind,
            code=given.code,
            hazard_class=given.hazard_class,
            un_number=given.un_number,
            unit=unit,
            state="active",
        )
    if item.kind != given.kind:
        raise InvalidInput(f"物品种类不符：{item.code} 是 {item.kind}", field="item.kind")
    if given.hazard_class is not None and given.hazard_class != item.hazard_class:
        raise InvalidInput(f"类别不符：{item.code} 为第 {item.hazard_class} 类", field="item")
    if item.state != "active":
        raise Conflict(f"物品 {item.code} 状态为 {item.state}，不能再登记流转", field="item.code")
    if data.event in CREATES and item.kind in UNIQUE_KINDS:
        raise Conflict(f"物品编码已存在，不能重复生产或登记：{item.code}", field="item.code")
    return item


def plan(session: Session, *, actor: Actor, data: EventIn, at: datetime) -> Plan:
    """Check an event against every rule; raise with the reason, write nothing."""
    ev, ent = data.event, data.enterprise_id
    q = data.quantity.quantize(SCALE)
    if ev in NEEDS_SITE and data.site_id is None:
        raise InvalidInput(f"{ev} 事件须指明库点", field="site_id")
    if ev in NEEDS_TO and data.to_enterprise_id is None:
        raise InvalidInput(f"{ev} 事件须指明接收企业", field="to_enterprise_id")
    if ev in NEEDS_TO and data.to_enterprise_id == ent:
        raise InvalidInput("接收企业不能是本企业", field="to_enterprise_id")
    site = session.get(Site, data.site_id) if data.site_id is not None else None
    if data.site_id is not None and (site is None or site.enterprise_id != ent):
        raise InvalidInput(f"库点不属于该企业：{data.site_id}", field="site_id")
    item = _check_item(session, data)
    if item.kind in UNIQUE_KINDS and q != 1:
        raise InvalidInput("按编码管理的物品每次数量为 1", field="quantity")
    day = local(at).date()
    warnings: list[str] = []
    if ev in NEEDS_LICENCE:
        warnings += _licence_check(session, ent, item.hazard_class, None, day, "本企业")
    if ev in NEEDS_TO and data.to_enterprise_id is not None:
        warnings += _licence_check(
            session, data.to_enterprise_id, item.hazard_class, q, day, "接收企业"
        )
    planned = moves(ev, ent, data.site_id, data.to_enterprise_id, item.id or 0, q)
    for pos, dq in planned:
        if dq < 0 and item.id is not None and _held(session, pos) < -dq:
            if item.kind in UNIQUE_KINDS:
                raise Conflict(
                    f"物品 {item.code} 不在此处（现在：{_where(session, item)}）", field="item.code"
                )
            raise Conflict(f"库存不足：{item.code} 仅有 {_held(session, pos)}", field="quantity")
        if dq > 0 and pos[1] is not None and site is not None and pos[0] == ent:
            _capacity_check(session, site, item, dq)
    state = {E.USE: "used", E.DESTROY: "destroyed", E.LOSS: "lost"}.get(ev, "active")
    if item.kind not in UNIQUE_KINDS:
        state = "active"  # a lot lives on while any of it remains
    return Plan(item=item, quantity=q, moves=planned, state=state, warnings=warnings)


def _capacity_check(session: Session, site: Site, item: Item, dq: Decimal) -> None:
    limit = amounts(site.capacity).get(item.hazard_class)
    if limit is None:
        raise Conflict(f"库点 {site.name} 未核定第 {item.hazard_class} 类容量", field="site_id")
    held = session.scalar(
        select(func.sum(Stock.quantity))
        .join(Item, Item.id == Stock.item_id)
        .where(Stock.site_id == site.id, Item.hazard_class == item.hazard_class)
    )
    if Decimal(held or 0) + dq > limit:
        raise Conflict(
            f"超出库点 {site.name} 第 {item.hazard_class} 类容量 {limit}（现存 {held or 0}）",
            field="quantity",
        )


def append(
    session: Session, *, actor: Actor, data: EventIn, checked: Plan, at: datetime
) -> LedgerEntry:
    """Write a checked event: the chained entry, the stock moves and the item's state."""
    item = checked.item
    if item.id is None:
        session.add(item)
        session.flush()
        checked.moves = [((e, s, item.id), dq) for (e, s, _), dq in checked.moves]
    row = session.execute(
        update(ChainHead)
        .where(ChainHead.enterprise_id == data.enterprise_id)
        .values(seq=ChainHead.seq + 1)
        .returning(ChainHead.seq, ChainHead.hash)
    ).one()
    entry = LedgerEntry(
        enterprise_id=data.enterprise_id,
        seq=int(row[0]),
        prev_hash=str(row[1]),
        event=str(data.event),
        item_id=item.id,
        from_enterprise_id=data.from_enterprise_id,
        to_enterprise_id=data.to_enterprise_id,
        site_id=data.site_id,
        quantity=checked.quantity,
        actor_id=actor.user_id,
        actor=actor.username,
        at=at,
        reference=data.reference,
        payload=json.dumps(data.payload, ensure_ascii=False, sort_keys=True),
    )
    entry.hash = hashchain.entry_hash(entry.prev_hash, hashed_payload(entry))
    session.add(entry)
    session.execute(
        update(ChainHead)
        .where(ChainHead.enterprise_id == data.enterprise_id)
        .values(hash=entry.hash)
    )
    for pos, dq in checked.moves:
        _move(session, pos, dq)
    if checked.state != "active" or item.state != "active":
        item.state = checked.state
    session.flush()
    return entry


def _move(session: Session, pos: Position, dq: Decimal) -> None:
    enterprise_id, site_id, item_id = pos
    site = Stock.site_id.is_(None) if site_id is None else Stock.site_id == site_id
    row = session.scalars(
        select(Stock).where(Stock.enterprise_id == enterprise_id, site, Stock.item_id == item_id)
    ).first()
    if row is None:
        session.add(
            Stock(enterprise_id=enterprise_id, site_id=site_id, item_id=item_id, quantity=dq)
        )
    elif row.quantity + dq == 0:
        session.delete(row)
    else:
        row.quantity = row.quantity + dq
    session.flush()

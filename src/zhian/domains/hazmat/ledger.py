"""The custody ledger's rules, its chain per enterprise, and stock as the ledger's fold.

Events are recorded in batches (:func:`record`; one event is a batch of one). Every event is
checked in full (:func:`plan`) against the ledger's state as the events before it in the
batch left it (:class:`~zhian.domains.hazmat.book.Book`), before anything is written; a
refusal raises ``Conflict`` or ``InvalidInput`` with the reason, wrapped in :class:`Refused`
with the event's index, and nothing of the batch is written. Then every entry is chained
through :mod:`zhian.core.hashchain` under its enterprise's locked head row, stored with the
canonical bytes its hash commits to (``canonical``, what verification hashes), and the stock
moves and items' states are written in the same transaction.

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
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from decimal import Decimal
from types import SimpleNamespace
from typing import Any, TypeVar

from sqlalchemy.orm import Session

from zhian.core import hashchain
from zhian.core.errors import Conflict, DomainError, InvalidInput
from zhian.core.scope import Actor
from zhian.core.time import local
from zhian.domains.hazmat.book import Book, ItemState, Key, SiteRow
from zhian.domains.hazmat.book import amounts as amounts  # where callers have read it
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
K = TypeVar("K", int, str)  # an item by id (entries) or by code (a batch being planned)


def dump_amounts(values: Mapping[str, Decimal]) -> str:
    """The stored form of a class → quantity map."""
    return json.dumps({k: str(q.quantize(SCALE)) for k, q in values.items()}, sort_keys=True)


def moves(
    event: str, enterprise_id: int, site_id: int | None, to_id: int | None, item_id: K, q: Decimal
) -> list[tuple[tuple[int, int | None, K], Decimal]]:
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


def fold(entries: Iterable[Any]) -> dict[Position, Decimal]:
    """Stock recomputed from ledger entries (or rows of their columns): the materialized
    stock must equal it."""
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

    item: ItemState
    quantity: Decimal
    moves: list[tuple[Key, Decimal]]
    state: str
    warnings: list[str] = field(default_factory=list)


def _licence_check(
    book: Book, enterprise_id: int, hazard_class: str, q: Decimal | None, day: date, who: str
) -> list[str]:
    """Refuse without a valid licence covering the class (and quantity); warn of expiry."""
    covering = [lic for lic in book.licences(enterprise_id) if hazard_class in lic.limits]
    if not covering:
        raise Conflict(f"{who}无覆盖第 {hazard_class} 类的许可证", field="licence")
    valid = [lic for lic in covering if lic.valid_from <= day <= lic.valid_until]
    if not valid:
        raise Conflict(f"{who}的许可证已过期或未生效（第 {hazard_class} 类）", field="licence")
    if q is not None and not any(lic.limits[hazard_class] >= q for lic in valid):
        raise Conflict(f"{who}的许可证数量限额不足（第 {hazard_class} 类，{q}）", field="quantity")
    best = max(valid, key=lambda lic: lic.valid_until)
    if best.valid_until - day <= timedelta(days=WARN_DAYS):
        return [f"{who}的许可证 {best.number} 将于 {best.valid_until.isoformat()} 到期"]
    return []


def _where(book: Book, item: ItemState) -> str:
    return "、".join(f"企业 {e} 库点 {s or '无'}" for e, s in book.where(item.code)) or "无库存"


def _check_item(book: Book, data: EventIn) -> ItemState:
    given = data.item
    item = book.item(given.code)
    if item is None:
        if data.event not in CREATES:
            raise InvalidInput(f"物品编码未登记：{given.code}", field="item.code")
        if given.hazard_class is None:
            raise InvalidInput("生产或登记须给出类别", field="item.hazard_class")
        unit = {"explosive": "piece", "firearm": "piece", "ammunition": "round"}.get(
            given.kind, given.unit
        )
        return ItemState(
            id=None,
            kind=str(given.kind),
            code=given.code,
            hazard_class=given.hazard_class,
            un_number=given.un_number,
            cas=given.cas,
            code_type=given.code_type,
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


def plan(book: Book, *, data: EventIn, at: datetime) -> Plan:
    """Check an event against every rule, as the book stands; raise with the reason, change
    nothing."""
    ev, ent = data.event, data.enterprise_id
    q = data.quantity.quantize(SCALE)
    if ev in NEEDS_SITE and data.site_id is None:
        raise InvalidInput(f"{ev} 事件须指明库点", field="site_id")
    if ev in NEEDS_TO and data.to_enterprise_id is None:
        raise InvalidInput(f"{ev} 事件须指明接收企业", field="to_enterprise_id")
    if ev in NEEDS_TO and data.to_enterprise_id == ent:
        raise InvalidInput("接收企业不能是本企业", field="to_enterprise_id")
    site = book.site(data.site_id) if data.site_id is not None else None
    if data.site_id is not None and (site is None or site.enterprise_id != ent):
        raise InvalidInput(f"库点不属于该企业：{data.site_id}", field="site_id")
    item = _check_item(book, data)
    if item.kind in UNIQUE_KINDS and q != 1:
        raise InvalidInput("按编码管理的物品每次数量为 1", field="quantity")
    day = local(at).date()
    warnings: list[str] = []
    if ev in NEEDS_LICENCE:
        warnings += _licence_check(book, ent, item.hazard_class, None, day, "本企业")
    if ev in NEEDS_TO and data.to_enterprise_id is not None:
        warnings += _licence_check(
            book, data.to_enterprise_id, item.hazard_class, q, day, "接收企业"
        )
    planned = moves(ev, ent, data.site_id, data.to_enterprise_id, item.code, q)
    for pos, dq in planned:
        if dq < 0 and book.held(pos) < -dq:
            if item.kind in UNIQUE_KINDS:
                raise Conflict(
                    f"物品 {item.code} 不在此处（现在：{_where(book, item)}）", field="item.code"
                )
            raise Conflict(f"库存不足：{item.code} 仅有 {book.held(pos)}", field="quantity")
        if dq > 0 and pos[1] is not None and site is not None and pos[0] == ent:
            _capacity_check(book, site, item, dq)
    state = {E.USE: "used", E.DESTROY: "destroyed", E.LOSS: "lost"}.get(ev, "active")
    if item.kind not in UNIQUE_KINDS:
        state = "active"  # a lot lives on while any of it remains
    return Plan(item=item, quantity=q, moves=planned, state=state, warnings=warnings)


def _capacity_check(book: Book, site: SiteRow, item: ItemState, dq: Decimal) -> None:
    limit = site.capacity.get(item.hazard_class)
    if limit is None:
        raise Conflict(f"库点 {site.name} 未核定第 {item.hazard_class} 类容量", field="site_id")
    held = book.site_total(site.id, item.hazard_class)
    if held + dq > limit:
        raise Conflict(
            f"超出库点 {site.name} 第 {item.hazard_class} 类容量 {limit}（现存 {held or 0}）",
            field="quantity",
        )


class Refused(Exception):
    """Event ``index`` of a batch was refused; nothing of the batch was written."""

    def __init__(self, index: int, error: DomainError) -> None:
        super().__init__(f"event {index}: {error.message}")
        self.index = index
        self.error = error


@dataclass(frozen=True, slots=True)
class Written:
    """An event as written: its entry's columns (with ``id`` and ``hash``), its plan."""

    entry: dict[str, Any]
    plan: Plan


def record(
    session: Session,
    *,
    actor: Actor,
    events: Sequence[EventIn],
    at: datetime,
    prepare: Callable[[Book, EventIn], EventIn] | None = None,
) -> list[Written]:
    """Check a batch of events in order, each against the ledger as the events before it left
    it, then write them all: chained entries, stock, items' states. The first refused event
    raises :class:`Refused` (its index, its error) before anything is written. ``prepare``
    may complete an event (from the book) before it is checked."""
    book = Book(session)
    book.lock(data.enterprise_id for data in events)
    book.load(
        (data.item.code for data in events),
        {e for data in events for e in (data.enterprise_id, data.to_enterprise_id) if e},
        {data.site_id for data in events if data.site_id is not None},
    )
    planned: list[tuple[EventIn, Plan]] = []
    for index, data in enumerate(events):
        try:
            if prepare is not None:
                data = prepare(book, data)
            checked = plan(book, data=data, at=at)
        except DomainError as exc:
            raise Refused(index, exc) from exc
        book.apply(checked.item, checked.moves, checked.state)
        planned.append((data, checked))
    session.flush()  # the ORM's pending work goes first: Core writes the rest
    book.write_items()
    entries = [_chained(book, actor, data, checked, at) for data, checked in planned]
    book.write(entries)
    return [Written(entry, checked) for entry, (_, checked) in zip(entries, planned, strict=True)]


def _chained(
    book: Book, actor: Actor, data: EventIn, checked: Plan, at: datetime
) -> dict[str, Any]:
    """An entry's columns, its canonical bytes and its hash, chained onto its enterprise."""
    seq, prev = book.heads[data.enterprise_id]
    entry: dict[str, Any] = {
        "enterprise_id": data.enterprise_id,
        "seq": seq + 1,
        "prev_hash": prev,
        "event": str(data.event),
        "item_id": checked.item.id,
        "from_enterprise_id": data.from_enterprise_id,
        "to_enterprise_id": data.to_enterprise_id,
        "site_id": data.site_id,
        "quantity": checked.quantity,
        "actor_id": actor.user_id,
        "actor": actor.username,
        "at": at,
        "reference": data.reference,
        "payload": hashchain.canonical(data.payload).decode("utf-8"),
    }
    data_bytes = hashchain.canonical(hashed_payload(SimpleNamespace(**entry)))
    entry["canonical"] = data_bytes.decode("utf-8")
    entry["hash"] = hashchain.entry_hash_encoded(prev, data_bytes)
    book.heads[data.enterprise_id] = (seq + 1, entry["hash"])
    return entry

"""The state the ledger's rules read, loaded once per batch of events and kept in memory.

A batch (one event is a batch of one) reads what its rules need in a handful of queries: the
chain heads of its enterprises (locked first), its items by code (locked), every stock
position of those items, the licences of the enterprises involved, the sites named and what
each site holds per class. Each planned event is then applied to this state, so the next
event of the batch sees it, and :meth:`Book.write` puts every change into the database at
once: new items, the chained entries, the heads, the stock, the items' states.

Positions are keyed by item code, not id: an item produced earlier in the same batch has no
id until it is written.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Any, cast

from sqlalchemy import Table, bindparam, func, insert, select
from sqlalchemy.orm import Session
from sqlalchemy.orm.util import identity_key

from zhian.core.db import one_of
from zhian.domains.hazmat.models import ChainHead, Item, LedgerEntry, Licence, Site, Stock

Key = tuple[int, int | None, str]  # enterprise, site (None: no site), item code
# Core statements built once: a batch of one event runs a dozen of them, and building and
# keying a statement costs more than SQLite takes to run it.
_head, _item, _stock = (cast(Table, m.__table__) for m in (ChainHead, Item, Stock))
_entry, _licence, _site = (cast(Table, m.__table__) for m in (LedgerEntry, Licence, Site))
_LOCK = (
    select(_head.c.id, _head.c.enterprise_id, _head.c.seq, _head.c.hash)
    .where(one_of(_head.c.enterprise_id, "keys"))
    .order_by(_head.c.enterprise_id)
    .with_for_update()
)
_ITEMS = (
    select(
        _item.c.id,
        _item.c.kind,
        _item.c.code,
        _item.c.hazard_class,
        _item.c.un_number,
        _item.c.unit,
        _item.c.state,
    )
    .where(one_of(_item.c.code, "keys"))
    .order_by(_item.c.id)
    .with_for_update()
)
_STOCK = (
    select(
        _stock.c.id, _stock.c.enterprise_id, _stock.c.site_id, _stock.c.item_id, _stock.c.quantity
    )
    .where(one_of(_stock.c.item_id, "keys"))
    .order_by(_stock.c.id)
)
_LICENCES = (
    select(
        _licence.c.enterprise_id,
        _licence.c.number,
        _licence.c.limits,
        _licence.c.valid_from,
        _licence.c.valid_until,
    )
    .where(one_of(_licence.c.enterprise_id, "keys"))
    .order_by(_licence.c.id)
)
_SITES = select(_site.c.id, _site.c.enterprise_id, _site.c.name, _site.c.capacity).where(
    one_of(_site.c.id, "keys")
)
_TOTALS = (
    select(_stock.c.site_id, _item.c.hazard_class, func.sum(_stock.c.quantity))
    .select_from(_stock.join(_item, _item.c.id == _stock.c.item_id))
    .where(one_of(_stock.c.site_id, "keys"))
    .group_by(_stock.c.site_id, _item.c.hazard_class)
)
_ITEM_IDS = select(_item.c.id, _item.c.code).where(one_of(_item.c.code, "keys"))
_ENTRY_IDS = select(_entry.c.seq, _entry.c.id).where(
    _entry.c.enterprise_id == bindparam("e"), _entry.c.seq > bindparam("after")
)
_MOVE_HEAD = (
    _head.update()
    .where(_head.c.enterprise_id == bindparam("e"))
    .values(seq=bindparam("s"), hash=bindparam("h"))
)
_SET_STATE = _item.update().where(_item.c.id == bindparam("i")).values(state=bindparam("st"))
_SET_STOCK = _stock.update().where(_stock.c.id == bindparam("i")).values(quantity=bindparam("q"))
_DROP_STOCK = _stock.delete().where(_stock.c.id == bindparam("i"))


@dataclass(slots=True)
class ItemState:
    """An item as the rules see it; ``id`` is None until a new one is written."""

    id: int | None
    kind: str
    code: str
    hazard_class: str
    un_number: str | None
    unit: str
    state: str
    stored_state: str | None = None  # its state in the database (None: not written yet)
    # Kept on the item row when it is first written; the rules never read them.
    cas: str | None = None
    code_type: str | None = None


@dataclass(frozen=True, slots=True)
class LicenceRow:
    """A licence: its number, class → per-event limit, validity."""

    number: str
    limits: Mapping[str, Decimal]
    valid_from: date
    valid_until: date


@dataclass(frozen=True, slots=True)
class SiteRow:
    """A storage site: its enterprise, name and capacity per class."""

    id: int
    enterprise_id: int
    name: str
    capacity: Mapping[str, Decimal]


def amounts(text: str) -> dict[str, Decimal]:
    """A stored class → quantity map."""
    return {k: Decimal(v) for k, v in json.loads(text).items()}


class Book:
    """What one batch of events reads and changes, in memory until :meth:`write` (once)."""

    def __init__(self, session: Session) -> None:
        self.session = session
        self.heads: dict[int, tuple[int, str]] = {}
        self._locked: dict[int, tuple[int, int]] = {}  # enterprise → (head row id, seq)
        self._items: dict[str, ItemState | None] = {}
        self._licences: dict[int, list[LicenceRow]] = {}
        self._sites: dict[int, SiteRow | None] = {}
        self._stock: dict[Key, Decimal] = {}
        # Position → (first row id, that row's quantity, total at load): what write compares.
        self._stored: dict[Key, tuple[int, Decimal, Decimal]] = {}
        self._totals: dict[tuple[int, str], Decimal] = {}
        self._totalled: set[int] = set()

    def _rows(self, stmt: Any, keys: Iterable[Any]) -> Iterator[Any]:
        wanted = sorted(keys)
        if wanted:  # nothing to load: no round trip
            yield from self.session.connection().execute(stmt, {"keys": wanted})

    # -- loading ----------------------------------------------------------------------------

    def lock(self, enterprise_ids: Iterable[int]) -> None:
        """Lock the chain heads of these enterprises, in id order (no two batches deadlock),
        and note where each chain ends."""
        for head_id, e, seq, head in self._rows(_LOCK, set(enterprise_ids) - set(self.heads)):
            self.heads[int(e)] = (int(seq), str(head))
            self._locked[int(e)] = (int(head_id), int(seq))

    def load(
        self, codes: Iterable[str], enterprise_ids: Iterable[int], site_ids: Iterable[int]
    ) -> None:
        """Read, in a few queries, what the rules will ask about these items, enterprises and
        sites (anything else is read when first asked)."""
        self._load_items(codes)
        self._load_licences(enterprise_ids)
        self._load_sites(site_ids)

    def _load_items(self, codes: Iterable[str]) -> None:
        wanted = set(codes) - set(self._items)
        by_id: dict[int, str] = {}
        for item_id, kind, code, cls, un, unit, state in self._rows(_ITEMS, wanted):
            self._items[code] = ItemState(item_id, kind, code, cls, un, unit, state, state)
            by_id[int(item_id)] = code
        for code in wanted - set(self._items):
            self._items[code] = None
        for row_id, e, s, item_id, q in self._rows(_STOCK, by_id):
            key = (int(e), None if s is None else int(s), by_id[int(item_id)])
            q = Decimal(q)
            first = self._stored.get(key)
            if first is None:
                self._stored[key] = (int(row_id), q, q)
            else:  # two rows for one position: the first takes every change
                self._stored[key] = (first[0], first[1], first[2] + q)
            self._stock[key] = self._stock.get(key, Decimal(0)) + q

    def _load_licences(self, enterprise_ids: Iterable[int]) -> None:
        wanted = set(enterprise_ids) - set(self._licences)
        for e in wanted:
            self._licences[e] = []
        for e, number, limits, since, until in self._rows(_LICENCES, wanted):
            self._licences[int(e)].append(LicenceRow(number, amounts(limits), since, until))

    def _load_sites(self, site_ids: Iterable[int]) -> None:
        wanted = set(site_ids) - set(self._sites)
        for site_id in wanted:
            self._sites[site_id] = None
        for site_id, e, name, capacity in self._rows(_SITES, wanted):
            self._sites[int(site_id)] = SiteRow(int(site_id), int(e), name, amounts(capacity))

    # -- what the rules ask -----------------------------------------------------------------

    def item(self, code: str) -> ItemState | None:
        """The item with this code, as the batch has left it so far (None: not registered)."""
        if code not in self._items:
            self._load_items([code])
        return self._items[code]

    def licences(self, enterprise_id: int) -> Sequence[LicenceRow]:
        """An enterprise's licences."""
        if enterprise_id not in self._licences:
            self._load_licences([enterprise_id])
        return self._licences[enterprise_id]

    def site(self, site_id: int) -> SiteRow | None:
        """A storage site (None: no such site)."""
        if site_id not in self._sites:
            self._load_sites([site_id])
        return self._sites[site_id]

    def held(self, key: Key) -> Decimal:
        """What a position holds now."""
        return self._stock.get(key, Decimal(0))

    def where(self, code: str) -> list[tuple[int, int | None]]:
        """The positions (enterprise, site) that hold some of an item."""
        return [(e, s) for (e, s, c), q in self._stock.items() if c == code and q > 0]

    def site_total(self, site_id: int, hazard_class: str) -> Decimal:
        """What a site holds of one class, over every item."""
        if site_id not in self._totalled:
            # Every site of the batch at once: asked once a site is filled, rarely otherwise.
            wanted = {s for s in self._sites if s not in self._totalled} | {site_id}
            for s, cls, held in self._rows(_TOTALS, wanted):
                key = (int(s), str(cls))
                # Moves already applied to a site not yet totalled are in the sum below.
                self._totals[key] = Decimal(held or 0) + self._totals.get(key, Decimal(0))
            self._totalled |= wanted
        return self._totals.get((site_id, hazard_class), Decimal(0))

    # -- changing it ------------------------------------------------------------------------

    def apply(self, item: ItemState, moves: Sequence[tuple[Key, Decimal]], state: str) -> None:
        """Take a planned event's effect: the item (new or not), its moves and its state."""
        self._items[item.code] = item
        for key, dq in moves:
            self._stock[key] = self._stock.get(key, Decimal(0)) + dq
            if key[1] is not None:
                total = (key[1], item.hazard_class)
                self._totals[total] = self._totals.get(total, Decimal(0)) + dq
        if state != "active" or item.state != "active":
            item.state = state

    def write_items(self) -> None:
        """Insert the items new in this batch, giving each its id."""
        new = {i.code: i for i in self._items.values() if i is not None and i.id is None}
        if not new:
            return
        conn = self.session.connection()
        conn.execute(
            insert(_item),
            [
                {
                    "kind": i.kind,
                    "code": i.code,
                    "hazard_class": i.hazard_class,
                    "un_number": i.un_number,
                    "cas": i.cas,
                    "code_type": i.code_type,
                    "unit": i.unit,
                    "state": i.state,
                }
                for i in new.values()
            ],
        )
        # Read back by code (unique), not RETURNING: SQLite then inserts row by row.
        for item_id, code in self._rows(_ITEM_IDS, new):
            new[code].id = int(item_id)
            new[code].stored_state = new[code].state

    def write(self, entries: list[dict[str, Any]]) -> None:
        """Insert the entries (chained by the caller, their items already written) and give
        each its ``id``; move the heads, write the stock and the items' states."""
        session = self.session
        conn = session.connection()
        conn.execute(insert(_entry), entries)
        moved = [(e, head) for e, head in self.heads.items() if head[0] != self._locked[e][1]]
        by_seq: dict[tuple[int, int], int] = {}
        for e, _head in moved:
            after = self._locked[e][1]
            for entry_seq, entry_id in conn.execute(_ENTRY_IDS, {"e": e, "after": after}):
                by_seq[(e, int(entry_seq))] = int(entry_id)
        for entry in entries:
            entry["id"] = by_seq[(entry["enterprise_id"], entry["seq"])]
        if moved:
            conn.execute(_MOVE_HEAD, [{"e": e, "s": s, "h": h} for e, (s, h) in moved])
        self._write_stock()
        changed = [i for i in self._items.values() if i is not None and i.state != i.stored_state]
        if changed:
            conn.execute(_SET_STATE, [{"i": i.id, "st": i.state} for i in changed])
            for i in changed:
                i.stored_state = i.state
        # The session may hold some of these rows from before: Core wrote behind its back.
        _expire(session, Item, [i.id for i in changed])
        _expire(session, ChainHead, [self._locked[e][0] for e, _ in moved])

    def _write_stock(self) -> None:
        conn = self.session.connection()
        ids = {i.code: i.id for i in self._items.values() if i is not None}
        added: list[dict[str, Any]] = []
        moved: list[dict[str, Any]] = []
        gone: list[int] = []
        for key, q in self._stock.items():
            stored = self._stored.get(key)
            if stored is None:
                if q != 0:
                    e, s, code = key
                    added.append(
                        {"enterprise_id": e, "site_id": s, "item_id": ids[code], "quantity": q}
                    )
                continue
            row_id, row_q, total = stored
            if q != total:
                left = row_q + (q - total)
                if left == 0:
                    gone.append(row_id)
                else:
                    moved.append({"i": row_id, "q": left})
        if added:
            conn.execute(insert(_stock), added)
        if moved:
            conn.execute(_SET_STOCK, moved)
        if gone:
            conn.execute(_DROP_STOCK, [{"i": i} for i in gone])
        _expire(self.session, Stock, [m["i"] for m in moved])
        for row_id in gone:
            obj = self.session.identity_map.get(identity_key(Stock, row_id))
            if obj is not None:
                self.session.expunge(obj)


def _expire(session: Session, cls: type[Any], ids: Iterable[int | None]) -> None:
    for i in ids:
        if i is None:
            continue
        obj = session.identity_map.get(identity_key(cls, i))
        if obj is not None:
            session.expire(obj)

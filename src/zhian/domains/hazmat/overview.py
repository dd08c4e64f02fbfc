"""What the hazmat console shows: an enterprise, a storage site and an item, read through the
jurisdiction scope.

Read-only, beside :mod:`zhian.domains.hazmat.service` (which writes): stock by class is the
materialized stock summed per (class, unit); an enterprise's chain status recomputes its own
chain and holds the head against the latest signed checkpoint that pins it; an item's
timeline carries, per entry, whether its sealed day's inclusion proof holds.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import date
from decimal import Decimal
from typing import Any

from sqlalchemy import ColumnElement, func, select
from sqlalchemy.orm import Session

from zhian.core import merkle
from zhian.core import scope as scoping
from zhian.core.audit import service as audit
from zhian.core.errors import InvalidInput, NotFound
from zhian.core.identity.roles import require
from zhian.core.pagination import Page, paginate
from zhian.core.records import visible_or_404
from zhian.core.scope import Actor
from zhian.core.time import local
from zhian.domains.hazmat import checkpoint, ledger, service, verify
from zhian.domains.hazmat.choices import AlertKind, LicenceState
from zhian.domains.hazmat.models import (
    Alert,
    ChainHead,
    Count,
    DailyRoot,
    Enterprise,
    Item,
    LedgerEntry,
    Licence,
    Site,
    Stock,
)
from zhian.domains.hazmat.schemas import CLASSES, ClassStockOut


def licence_state(licence: Licence, today: date) -> LicenceState:
    """Where a licence stands today: expiring within the ledger's warning days, or expired."""
    if today < licence.valid_from:
        return LicenceState.PENDING
    if today > licence.valid_until:
        return LicenceState.EXPIRED
    if (licence.valid_until - today).days <= ledger.WARN_DAYS:
        return LicenceState.EXPIRING
    return LicenceState.VALID


def licences(session: Session, enterprise_id: int) -> list[Licence]:
    """An enterprise's licences, the longest-running first."""
    return list(
        session.scalars(
            select(Licence)
            .where(Licence.enterprise_id == enterprise_id)
            .order_by(Licence.valid_until.desc(), Licence.id)
        )
    )


def get_site(session: Session, *, actor: Actor, site_id: int) -> tuple[Site, Enterprise]:
    """A site of the actor's jurisdiction (its enterprise's division) and its enterprise;
    another county's is not found, like a missing one, and audited."""
    require(actor, "hazmat.read")
    site = session.get(Site, site_id)
    enterprise = session.get(Enterprise, site.enterprise_id) if site is not None else None
    found = visible_or_404(
        actor,
        site,
        record_type="hazmat_site",
        record_id=site_id,
        label="库点",
        division=enterprise.division if enterprise is not None else None,
    )
    assert enterprise is not None  # the site's foreign key
    return found, enterprise


def sites(session: Session, enterprise_id: int) -> list[Site]:
    """An enterprise's storage sites."""
    return list(
        session.scalars(select(Site).where(Site.enterprise_id == enterprise_id).order_by(Site.id))
    )


def _class_order(hazard_class: str) -> int:
    return CLASSES.index(hazard_class) if hazard_class in CLASSES else len(CLASSES)


def _sums(session: Session, *where: ColumnElement[bool]) -> list[tuple[str, str, Decimal, int]]:
    rows = session.execute(
        select(Item.hazard_class, Item.unit, func.sum(Stock.quantity), func.count(Stock.id))
        .join(Item, Item.id == Stock.item_id)
        .where(*where, Stock.quantity > 0)
        .group_by(Item.hazard_class, Item.unit)
    ).all()
    # SQLite sums a NUMERIC as a float: back to the ledger's three decimals.
    return [(str(c), str(u), Decimal(q).quantize(ledger.SCALE), int(n)) for c, u, q, n in rows]


def stock_by_class(
    session: Session, *, actor: Actor, enterprise_id: int | None = None, site_id: int | None = None
) -> list[ClassStockOut]:
    """What an enterprise (everywhere, in transit and issued too) or one site holds, summed
    per class and unit; a site's classes come with its capacity, and stock over it is marked."""
    if site_id is not None:
        site, _ = get_site(session, actor=actor, site_id=site_id)
        return site_classes(session, site)
    if enterprise_id is None:
        raise InvalidInput("须指明企业或库点", field="site")
    service.get_enterprise(session, actor=actor, enterprise_id=enterprise_id)
    out = [
        ClassStockOut(hazard_class=c, unit=u, quantity=q, items=n)
        for c, u, q, n in _sums(session, Stock.enterprise_id == enterprise_id)
    ]
    return sorted(out, key=lambda x: (_class_order(x.hazard_class), x.unit))


def site_classes(session: Session, site: Site) -> list[ClassStockOut]:
    """A site's stock per class against its capacity; a rated class it holds none of shows 0."""
    capacity = ledger.amounts(site.capacity)
    out: list[ClassStockOut] = []
    held: set[str] = set()
    for c, u, q, n in _sums(session, Stock.site_id == site.id):
        limit = capacity.get(c)
        held.add(c)
        out.append(
            ClassStockOut(
                hazard_class=c,
                unit=u,
                quantity=q,
                items=n,
                capacity=limit,
                over=limit is None or q > limit,
            )
        )
    for c, limit in capacity.items():
        if c not in held:
            out.append(
                ClassStockOut(hazard_class=c, unit="", quantity=Decimal(0), items=0, capacity=limit)
            )
    return sorted(out, key=lambda x: (_class_order(x.hazard_class), x.unit))


@dataclass(frozen=True, slots=True)
class StockLine:
    """One item held at a site."""

    code: str
    kind: str
    hazard_class: str
    un_number: str | None
    unit: str
    quantity: Decimal


def site_stock(session: Session, site: Site, *, page: int = 1, per_page: int = 50) -> Page[Any]:
    """The items held at a site, by code, one page at a time."""
    stmt = (
        select(Item.code, Item.kind, Item.hazard_class, Item.un_number, Item.unit, Stock.quantity)
        .join(Item, Item.id == Stock.item_id)
        .where(Stock.site_id == site.id, Stock.quantity > 0)
        .order_by(Item.hazard_class, Item.code)
    )
    found = paginate(session, stmt, page, per_page, rows=True)
    items = [
        StockLine(str(c), str(k), str(h), un, str(u), Decimal(q))
        for c, k, h, un, u, q in found.items
    ]
    return Page(items=items, total=found.total, page=found.page, per_page=found.per_page)


def counts(session: Session, site_id: int, *, limit: int = 20) -> list[Count]:
    """A site's latest physical counts."""
    return list(
        session.scalars(
            select(Count)
            .where(Count.site_id == site_id)
            .order_by(Count.counted_at.desc(), Count.id.desc())
            .limit(limit)
        )
    )


def site_discrepancies(session: Session, site_id: int, *, limit: int = 20) -> list[Alert]:
    """A site's count discrepancy alerts, open ones first, newest first."""
    return list(
        session.scalars(
            select(Alert)
            .where(Alert.site_id == site_id, Alert.kind == str(AlertKind.DISCREPANCY))
            .order_by(Alert.resolved_at.is_not(None), Alert.opened_at.desc(), Alert.id.desc())
            .limit(limit)
        )
    )


def ledger_page(
    session: Session, enterprise_id: int, *, page: int = 1, per_page: int = 50
) -> Page[Any]:
    """An enterprise's chain, newest entry first, with each entry's item code."""
    stmt = (
        select(LedgerEntry, Item.code)
        .join(Item, Item.id == LedgerEntry.item_id)
        .where(LedgerEntry.enterprise_id == enterprise_id)
        .order_by(LedgerEntry.seq.desc())
    )
    return paginate(session, stmt, page, per_page, rows=True)


def names(session: Session, enterprise_ids: Sequence[int | None]) -> dict[int, str]:
    """Enterprise names by id (for the other parties of entries)."""
    wanted = {i for i in enterprise_ids if i is not None}
    if not wanted:
        return {}
    rows = session.execute(select(Enterprise.id, Enterprise.name).where(Enterprise.id.in_(wanted)))
    return {int(i): str(n) for i, n in rows}


def site_names(session: Session, site_ids: Sequence[int | None]) -> dict[int, str]:
    """Site names by id."""
    wanted = {i for i in site_ids if i is not None}
    if not wanted:
        return {}
    return {
        int(i): str(n)
        for i, n in session.execute(select(Site.id, Site.name).where(Site.id.in_(wanted)))
    }


@dataclass(frozen=True, slots=True)
class ChainStatus:
    """An enterprise's chain: its head, whether it recomputes, and what checkpoints pin."""

    head_seq: int
    head_hash: str
    ok: bool
    first_bad_seq: int | None
    reason: str | None
    checkpoint_n: int | None = None
    checkpoint_at: str | None = None
    checkpoint_seq: int | None = None
    checkpoint_ok: bool | None = None  # the pinned head is still on the chain
    store_error: str | None = None
    sealed_day: date | None = None


def chain_status(
    session: Session, enterprise: Enterprise, checkpoints: Sequence[checkpoint.Checkpoint] = ()
) -> ChainStatus:
    """Recompute the enterprise's chain against its head (one chain: as long as its ledger)
    and hold it against the latest checkpoint that pins it."""
    head = session.scalars(select(ChainHead).where(ChainHead.enterprise_id == enterprise.id)).one()
    # The same walk as ``zhian ledger verify`` (stored bytes, columns held against them).
    report = verify.verify_chain_of(session, enterprise.id, expected_head=(head.seq, head.hash))
    sealed = session.scalar(select(func.max(DailyRoot.day)))
    pinned = [cp for cp in checkpoints if enterprise.id in cp.heads]
    status = ChainStatus(
        head_seq=head.seq,
        head_hash=head.hash,
        ok=report.ok,
        first_bad_seq=report.first_bad_seq,
        reason=report.reason,
        sealed_day=sealed,
    )
    if not pinned:
        return status
    last = pinned[-1]
    seq, pinned_hash = last.heads[enterprise.id]
    stored = session.scalar(
        select(LedgerEntry.hash).where(
            LedgerEntry.enterprise_id == enterprise.id, LedgerEntry.seq == seq
        )
    )
    return replace(
        status,
        checkpoint_n=last.n,
        checkpoint_at=last.at,
        checkpoint_seq=seq,
        checkpoint_ok=stored == pinned_hash,
    )


def broken_store(reason: str, status: ChainStatus) -> ChainStatus:
    """A chain status (read without checkpoints) noting that the checkpoint store itself
    could not be read or trusted."""
    return replace(status, store_error=reason)


@dataclass(frozen=True, slots=True)
class TimelineEntry:
    """One custody event of an item as its timeline shows it."""

    entry: LedgerEntry
    enterprise: str
    from_name: str | None
    to_name: str | None
    site: str | None
    payload: dict[str, Any]
    proof: str  # "verified", "failed" or "unsealed"


@dataclass(frozen=True, slots=True)
class Position:
    """Where an item is now: an enterprise (and site, or none: in transit or issued)."""

    enterprise_id: int
    enterprise: str | None  # None: outside the viewer's jurisdiction
    site_id: int | None
    site: str | None
    quantity: Decimal


@dataclass(frozen=True, slots=True)
class Timeline:
    """An item, its custody events oldest first, and where it is now."""

    item: Item
    entries: list[TimelineEntry]
    positions: list[Position]


def item_timeline(session: Session, *, actor: Actor, code: str) -> Timeline:
    """An item's custody events as far as the actor's jurisdiction reaches, oldest first,
    with where it is now and each entry's inclusion proof status. An item whose events all
    lie in other counties is not found, like a missing one, and audited."""
    require(actor, "hazmat.read")
    item = session.scalars(select(Item).where(Item.code == code.strip())).first()
    if item is None:
        raise NotFound(f"物品不存在：{code}")
    rows = session.execute(
        select(LedgerEntry, Enterprise.name, Enterprise.division)
        .join(Enterprise, Enterprise.id == LedgerEntry.enterprise_id)
        .where(LedgerEntry.item_id == item.id)
        .order_by(LedgerEntry.at, LedgerEntry.id)
    ).all()
    shown = [(e, str(n)) for e, n, d in rows if scoping.can_see(actor, d)]
    if not shown:
        audit.deny(
            actor,
            record_type="hazmat_item",
            record_id=item.code,
            division=str(rows[0][2]) if rows else None,
        )
    entries = [e for e, _ in shown]
    parties = names(
        session, [x for e in entries for x in (e.from_enterprise_id, e.to_enterprise_id)]
    )
    places = site_names(session, [e.site_id for e in entries])
    proofs = _proofs(session, entries)
    timeline = [
        TimelineEntry(
            entry=e,
            enterprise=name,
            from_name=parties.get(e.from_enterprise_id) if e.from_enterprise_id else None,
            to_name=parties.get(e.to_enterprise_id) if e.to_enterprise_id else None,
            site=places.get(e.site_id) if e.site_id else None,
            payload=json.loads(e.payload),
            proof=proofs[e.id],
        )
        for e, name in shown
    ]
    return Timeline(item=item, entries=timeline, positions=_positions(session, actor, item))


def _proofs(session: Session, entries: Sequence[LedgerEntry]) -> dict[int, str]:
    """Each entry's inclusion proof against its sealed day's stored root ("verified" or
    "failed"), or "unsealed"; one tree per day, however many of the item's entries it holds."""
    by_day: dict[date, list[LedgerEntry]] = {}
    for e in entries:
        by_day.setdefault(local(e.at).date(), []).append(e)
    roots = {
        r.day: r for r in session.scalars(select(DailyRoot).where(DailyRoot.day.in_(list(by_day))))
    }
    out: dict[int, str] = {}
    for day, todays in by_day.items():
        sealed = roots.get(day)
        if sealed is None:
            out.update((e.id, "unsealed") for e in todays)
            continue
        try:
            leaves = [
                merkle.leaf_hash(verify.leaf_data(*leaf))
                for leaf in verify.day_leaves(session, day)
            ]
        except verify.UnreadableEntry:
            # The day's tree cannot be rebuilt: no proof of that day holds.
            out.update((e.id, "failed") for e in todays)
            continue
        tree = merkle.MerkleTree(leaves)
        where = {leaf: i for i, leaf in enumerate(leaves)}
        root = bytes.fromhex(sealed.root)
        for e in todays:
            leaf = merkle.leaf_hash(verify.leaf_data(e.enterprise_id, e.seq, e.hash))
            index = where.get(leaf)
            ok = index is not None and merkle.verify_inclusion(
                leaf, index, sealed.tree_size, tree.inclusion_proof(index), root
            )
            out[e.id] = "verified" if ok else "failed"
    return out


def _positions(session: Session, actor: Actor, item: Item) -> list[Position]:
    held = service.holdings(session, item.id)
    ents = {
        int(i): (str(n), str(d))
        for i, n, d in session.execute(
            select(Enterprise.id, Enterprise.name, Enterprise.division).where(
                Enterprise.id.in_({e for e, _, _ in held})
            )
        )
    }
    places = site_names(session, [s for _, s, _ in held])
    out = []
    for enterprise_id, site_id, quantity in held:
        name, division = ents[enterprise_id]
        visible = scoping.can_see(actor, division)
        out.append(
            Position(
                enterprise_id=enterprise_id,
                enterprise=name if visible else None,
                site_id=site_id if visible else None,
                site=places.get(site_id) if visible and site_id is not None else None,
                quantity=quantity,
            )
        )
    return out

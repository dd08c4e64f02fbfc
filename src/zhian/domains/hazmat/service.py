"""The hazmat registry and ledger services: enterprises, licences, sites, events, stock.

Every function takes the session and the acting user, checks the permission and the
jurisdiction (an enterprise's division), flushes and never commits. The rules of the ledger
live in :mod:`zhian.domains.hazmat.ledger`, its proofs in :mod:`zhian.domains.hazmat.verify`.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from datetime import datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from zhian.core import hashchain
from zhian.core import scope as scoping
from zhian.core.audit import service as audit
from zhian.core.errors import Conflict, DomainError, InvalidInput, NotFound
from zhian.core.identity.roles import require
from zhian.core.pagination import Page, paginate
from zhian.core.records import visible_or_404
from zhian.core.scope import Actor
from zhian.core.time import as_utc, utcnow
from zhian.domains.hazmat import alerts, checkpoint, ledger, reconcile, verify
from zhian.domains.hazmat.book import Book
from zhian.domains.hazmat.choices import AlertKind
from zhian.domains.hazmat.models import (
    ChainHead,
    Enterprise,
    Item,
    LedgerEntry,
    Licence,
    Site,
    Stock,
)
from zhian.domains.hazmat.schemas import (
    EnterpriseCreate,
    EntryOut,
    EventIn,
    EventType,
    LicenceCreate,
    LicenceOut,
    Location,
    SiteCreate,
    SiteOut,
    StockOut,
)


def _check_division(session: Session, actor: Actor, division: str) -> None:
    if not scoping.can_see(actor, division):
        raise InvalidInput("只能在本人管辖范围内登记", field="division")
    from zhian.domains.places import service as places

    if places.find_division(session, division) is None:
        raise InvalidInput(f"行政区划代码不存在：{division}", field="division")


def locate(
    session: Session, *, actor: Actor, where: Location
) -> tuple[int | None, float | None, float | None]:
    """The standard address the text matches to its house number, and the point: the one
    given, else that address's. Matched once, when the premise is registered, because
    dispatch asks at every call and can afford an index lookup, not a geocoding; a text the
    registry does not know leaves the premise without a place (no hazard flag) until a point
    is given, rather than flagging a road or a county seat it merely resembles."""
    if (where.lon is None) != (where.lat is None):
        raise InvalidInput("经度和纬度须同时给出", field="lat" if where.lat is None else "lon")
    lon, lat = where.lon, where.lat
    from zhian.domains.places.registry import geocoder

    if not where.address or len(where.address) > geocoder.MAX_QUERY:
        return None, lon, lat
    found = geocoder.geocode(session, actor=actor, q=where.address)
    address_id, at_lon, at_lat = found.get("address_id"), found.get("lon"), found.get("lat")
    if not isinstance(address_id, int):
        return None, lon, lat
    if lon is None and isinstance(at_lon, float) and isinstance(at_lat, float):
        lon, lat = at_lon, at_lat
    return address_id, lon, lat


def create_enterprise(session: Session, *, actor: Actor, data: EnterpriseCreate) -> Enterprise:
    """Register an enterprise in the actor's jurisdiction, with an empty ledger chain."""
    require(actor, "hazmat.manage")
    _check_division(session, actor, data.division)
    address_id, lon, lat = locate(session, actor=actor, where=data)
    enterprise = Enterprise(
        name=data.name,
        kind=str(data.kind),
        division=data.division,
        address=data.address,
        address_id=address_id,
        lon=lon,
        lat=lat,
    )
    session.add(enterprise)
    session.flush()
    session.add(ChainHead(enterprise_id=enterprise.id, seq=0, hash=hashchain.GENESIS))
    session.flush()
    audit.record(
        session,
        actor=actor,
        action="create",
        record_type="hazmat_enterprise",
        record_id=str(enterprise.id),
        division=enterprise.division,
        detail={"name": enterprise.name, "kind": enterprise.kind, "address_id": address_id},
    )
    return enterprise


def list_enterprises(
    session: Session, *, actor: Actor, page: int = 1, per_page: int = 50
) -> Page[Enterprise]:
    """Enterprises of the actor's jurisdiction, one page at a time."""
    require(actor, "hazmat.read")
    stmt = select(Enterprise).where(scoping.scope_clause(actor, Enterprise.division))
    return paginate(session, stmt.order_by(Enterprise.id), page, per_page)


def get_enterprise(session: Session, *, actor: Actor, enterprise_id: int) -> Enterprise:
    """One enterprise of the actor's jurisdiction; another's is not found (and audited)."""
    require(actor, "hazmat.read")
    return visible_or_404(
        actor,
        session.get(Enterprise, enterprise_id),
        record_type="hazmat_enterprise",
        record_id=enterprise_id,
        label="企业",
    )


def add_licence(
    session: Session, *, actor: Actor, enterprise_id: int, data: LicenceCreate
) -> LicenceOut:
    """Record a licence of an enterprise of the actor's jurisdiction."""
    require(actor, "hazmat.manage")
    enterprise = get_enterprise(session, actor=actor, enterprise_id=enterprise_id)
    if data.valid_until < data.valid_from:
        raise InvalidInput("有效期止不能早于起始日", field="valid_until")
    conflict = Conflict(f"许可证号已登记：{data.number}", field="number")
    if session.scalar(select(Licence.id).where(Licence.number == data.number)) is not None:
        raise conflict
    licence = Licence(
        enterprise_id=enterprise.id,
        number=data.number,
        limits=ledger.dump_amounts(data.limits),
        valid_from=data.valid_from,
        valid_until=data.valid_until,
    )
    try:
        with session.begin_nested():
            session.add(licence)
            session.flush()
    except IntegrityError:
        raise conflict from None
    _audit_change(session, actor, "hazmat_licence", licence.id, enterprise, {"number": data.number})
    return licence_out(licence)


def licence_out(licence: Licence) -> LicenceOut:
    """A licence as the API shows it."""
    return LicenceOut(
        id=licence.id,
        enterprise_id=licence.enterprise_id,
        number=licence.number,
        limits=ledger.amounts(licence.limits),
        valid_from=licence.valid_from,
        valid_until=licence.valid_until,
    )


def add_site(session: Session, *, actor: Actor, enterprise_id: int, data: SiteCreate) -> SiteOut:
    """Record a storage site of an enterprise of the actor's jurisdiction."""
    require(actor, "hazmat.manage")
    enterprise = get_enterprise(session, actor=actor, enterprise_id=enterprise_id)
    address_id, lon, lat = locate(session, actor=actor, where=data)
    site = Site(
        enterprise_id=enterprise.id,
        name=data.name,
        capacity=ledger.dump_amounts(data.capacity),
        address=data.address,
        address_id=address_id,
        lon=lon,
        lat=lat,
        alarm_account=data.alarm_account,
        camera_ids=json.dumps(data.camera_ids),
    )
    session.add(site)
    session.flush()
    _audit_change(
        session,
        actor,
        "hazmat_site",
        site.id,
        enterprise,
        {"name": data.name, "address_id": address_id},
    )
    return site_out(site)


def site_out(site: Site) -> SiteOut:
    """A storage site as the API shows it."""
    return SiteOut(
        id=site.id,
        enterprise_id=site.enterprise_id,
        name=site.name,
        capacity=ledger.amounts(site.capacity),
        address=site.address,
        address_id=site.address_id,
        lon=site.lon,
        lat=site.lat,
        alarm_account=site.alarm_account,
        camera_ids=json.loads(site.camera_ids),
    )


def _audit_change(
    session: Session,
    actor: Actor,
    record_type: str,
    record_id: int,
    enterprise: Enterprise,
    detail: dict[str, Any],
) -> None:
    audit.record(
        session,
        actor=actor,
        action="create",
        record_type=record_type,
        record_id=str(record_id),
        division=enterprise.division,
        detail={"enterprise_id": enterprise.id, **detail},
    )


def lock_chain(session: Session, enterprise_id: int) -> None:
    """Lock an enterprise's chain head: its events are checked and written one at a time."""
    session.execute(
        select(ChainHead.id).where(ChainHead.enterprise_id == enterprise_id).with_for_update()
    )


def _with_window(
    session: Session, actor: Actor, data: EventIn, at: datetime, book: Book
) -> EventIn:
    """A ship or issue with the end of its custody window written into its payload.

    A ship takes its window from the transport permit it names (``payload.permit_id``), or an
    explicit ``payload.due_at``; an issue from ``payload.due_at`` if given (duty guns must).
    """
    if data.event not in (EventType.SHIP, EventType.ISSUE):
        return data
    payload = dict(data.payload)
    permit_id = payload.get("permit_id")
    if data.event == EventType.SHIP and permit_id is not None:
        from zhian.domains.transport import permits

        if not isinstance(permit_id, int):
            raise InvalidInput("运输许可证编号须为整数", field="payload.permit_id")
        permit = permits.get_permit(session, actor=actor, permit_id=permit_id)
        item = book.item(data.item.code)  # as the batch's earlier events left it
        if item is not None and item.hazard_class != permit.hazard_class:
            raise Conflict(
                f"运输许可证 {permit.id} 为第 {permit.hazard_class} 类，"
                f"物品 {item.code} 为第 {item.hazard_class} 类",
                field="payload.permit_id",
            )
        payload["due_at"] = as_utc(permit.valid_until).isoformat()
    elif "due_at" in payload:
        due = reconcile.due_at(payload)
        if due is None:
            raise InvalidInput("送达或归还时限须为带时区的 ISO 时间", field="payload.due_at")
        if due <= at:
            raise InvalidInput("送达或归还时限须晚于事件时间", field="payload.due_at")
        payload["due_at"] = due.isoformat()
    elif data.event == EventType.SHIP:
        raise InvalidInput(
            "运输须关联运输许可证（payload.permit_id）或给出送达时限（payload.due_at）",
            field="payload.due_at",
        )
    return data.model_copy(update={"payload": payload})


def record_event(
    session: Session, *, actor: Actor, data: EventIn, at: datetime | None = None
) -> EntryOut:
    """Check one custody event against every rule, then append it and move the stock; a loss
    or theft report opens an alert."""
    try:
        return _record(session, actor, [data], at)[0]
    except ledger.Refused as refused:
        raise refused.error from None


def record_events(
    session: Session, *, actor: Actor, events: Sequence[EventIn], at: datetime | None = None
) -> list[EntryOut]:
    """Record a batch of custody events in order, all or nothing: each is checked against the
    ledger as the events before it left it; the first refused one refuses the batch, its
    error naming the event's index (``第 3 条事件：…``, field ``events.3.…``)."""
    try:
        return _record(session, actor, events, at)
    except ledger.Refused as refused:
        raise at_index(refused.index, refused.error) from None


def at_index(index: int, error: DomainError) -> DomainError:
    """The same refusal, naming the event of a batch it is about."""
    where = f"events.{index}" + (f".{error.field}" if error.field else "")
    return type(error)(f"第 {index} 条事件：{error.message}", field=where)


def refused_index(error: DomainError) -> int | None:
    """The index of the batch's event a refusal from :func:`record_events` names, if any."""
    parts = (error.field or "").split(".")
    if len(parts) >= 2 and parts[0] == "events" and parts[1].isdigit():
        return int(parts[1])
    return None


def _record(
    session: Session, actor: Actor, events: Sequence[EventIn], at: datetime | None
) -> list[EntryOut]:
    require(actor, "hazmat.record")
    if not events:
        raise InvalidInput("至少须有一条事件", field="events")
    enterprises: dict[int, Enterprise] = {}
    for index, data in enumerate(events):
        if data.enterprise_id not in enterprises:
            enterprises[data.enterprise_id] = get_enterprise(
                session, actor=actor, enterprise_id=data.enterprise_id
            )
        for name in ("from_enterprise_id", "to_enterprise_id"):
            other = getattr(data, name)
            if other is not None and session.get(Enterprise, other) is None:
                raise ledger.Refused(index, InvalidInput(f"企业不存在：{other}", field=name))
    when = as_utc(at or utcnow())

    def prepare(book: Book, data: EventIn) -> EventIn:
        return _with_window(session, actor, data, when, book)

    written = ledger.record(session, actor=actor, events=events, at=when, prepare=prepare)
    audit.record_many(
        session,
        actor=actor,
        entries=[
            {
                "action": "hazmat.event",
                "record_type": "hazmat_ledger_entry",
                "record_id": str(w.entry["id"]),
                "division": enterprises[w.entry["enterprise_id"]].division,
                "detail": {
                    "event": w.entry["event"],
                    "enterprise_id": w.entry["enterprise_id"],
                    "seq": w.entry["seq"],
                },
            }
            for w in written
        ],
    )
    out: list[EntryOut] = []
    for w in written:
        entry = w.entry
        if entry["event"] == EventType.LOSS:
            alerts.open_alert(
                session,
                kind=AlertKind.LOSS_REPORT,
                enterprise=enterprises[entry["enterprise_id"]],
                at=when,
                site_id=entry["site_id"],
                item_id=entry["item_id"],
                entry_id=entry["id"],
                detail={
                    "code": w.plan.item.code,
                    "kind": w.plan.item.kind,
                    "cause": str(json.loads(entry["payload"]).get("cause", "loss")),
                    "quantity": str(entry["quantity"]),
                },
            )
        out.append(EntryOut.model_validate({**entry, "warnings": w.plan.warnings}))
    return out


def audit_refusal(
    session: Session, *, actor: Actor, data: EventIn, error: DomainError, index: int | None = None
) -> None:
    """Audit a refused event (after the caller rolled its work back); ``index``: its place in
    a refused batch."""
    enterprise = session.get(Enterprise, data.enterprise_id)
    detail: dict[str, Any] = {
        "event": str(data.event),
        "item": data.item.code,
        "reason": error.message,
    }
    if index is not None:
        detail["index"] = index
    audit.record(
        session,
        actor=actor,
        action="hazmat.event",
        outcome="refused",
        record_type="hazmat_enterprise",
        record_id=str(data.enterprise_id),
        division=enterprise.division if enterprise is not None else None,
        detail=detail,
    )


def stock(
    session: Session, *, actor: Actor, enterprise_id: int | None = None, site_id: int | None = None
) -> list[StockOut]:
    """What an enterprise (or one of its sites) holds, by site and item."""
    if site_id is not None:
        site = session.get(Site, site_id)
        if site is None:
            raise NotFound(f"库点不存在：{site_id}")
        enterprise_id = site.enterprise_id
    if enterprise_id is None:
        raise InvalidInput("须指明企业或库点", field="site")
    get_enterprise(session, actor=actor, enterprise_id=enterprise_id)
    where = [Stock.enterprise_id == enterprise_id]
    if site_id is not None:
        where.append(Stock.site_id == site_id)
    rows = session.execute(
        select(Stock, Item)
        .join(Item, Item.id == Stock.item_id)
        .where(*where)
        .order_by(Stock.site_id, Item.code)
    ).all()
    return [
        StockOut(
            site_id=s.site_id,
            item_id=i.id,
            code=i.code,
            kind=i.kind,
            hazard_class=i.hazard_class,
            unit=i.unit,
            quantity=s.quantity,
        )
        for s, i in rows
    ]


def holdings(session: Session, item_id: int) -> list[tuple[int, int | None, Decimal]]:
    """Where an item is: (enterprise, site or None, quantity) of every position holding it."""
    rows = session.execute(
        select(Stock.enterprise_id, Stock.site_id, Stock.quantity).where(
            Stock.item_id == item_id, Stock.quantity > 0
        )
    ).all()
    return [(int(e), None if s is None else int(s), Decimal(q)) for e, s, q in rows]


def last_entry(session: Session, item_id: int, event: EventType) -> LedgerEntry | None:
    """An item's latest ledger entry of one kind of event."""
    return session.scalars(
        select(LedgerEntry)
        .where(LedgerEntry.item_id == item_id, LedgerEntry.event == str(event))
        .order_by(LedgerEntry.id.desc())
        .limit(1)
    ).first()


def item_history(session: Session, *, actor: Actor, code: str) -> list[EntryOut]:
    """An item's custody events, oldest first, as far as the actor's jurisdiction reaches."""
    require(actor, "hazmat.read")
    rows = session.scalars(
        select(LedgerEntry)
        .join(Item, Item.id == LedgerEntry.item_id)
        .join(Enterprise, Enterprise.id == LedgerEntry.enterprise_id)
        .where(Item.code == code, scoping.scope_clause(actor, Enterprise.division))
        .order_by(LedgerEntry.at, LedgerEntry.id)
    ).all()
    if not rows:
        raise NotFound(f"物品不存在：{code}")
    return [EntryOut.model_validate(e) for e in rows]


def export_ledger(
    session: Session,
    *,
    actor: Actor,
    enterprise_id: int,
    checkpoints: Sequence[checkpoint.Checkpoint] = (),
) -> dict[str, Any]:
    """An enterprise's ledger for a regulator to verify offline (an audited read), with the
    signed checkpoints that pin its chain (:func:`checkpoint.verify_export` checks it)."""
    enterprise = get_enterprise(session, actor=actor, enterprise_id=enterprise_id)
    audit.record(
        session,
        actor=actor,
        action="export",
        record_type="hazmat_enterprise",
        record_id=str(enterprise.id),
        division=enterprise.division,
    )
    data = verify.export(session, enterprise)
    data["checkpoints"] = checkpoint.for_export(list(checkpoints), enterprise.id)
    return data

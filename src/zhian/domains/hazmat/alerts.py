"""Custody alerts: count discrepancies, custody past its window, loss and theft reports.

A count at a site is compared (:func:`reconcile.compare`) with the stock fold there; each code
that does not match gets a ``count`` entry on the ledger (nothing moves; the finding is in its
payload, so the item's timeline shows it) and the count opens one discrepancy alert listing
them. Ships and issues carry the end of their window (``payload.due_at``); the periodic check
(:func:`check_overdue`, run by :func:`run_overdue_check` from ``zhian ledger check-overdue``)
opens one alert per ship not delivered, or gun not returned, by then.
"""

from __future__ import annotations

import hashlib
import json
from datetime import datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import and_, exists, select
from sqlalchemy.orm import Session, aliased, sessionmaker

from zhian.core import alerts, hashchain
from zhian.core import scope as scoping
from zhian.core.audit import service as audit
from zhian.core.db import unit_of_work
from zhian.core.errors import InvalidInput, NotFound
from zhian.core.identity.roles import require
from zhian.core.pagination import Page, paginate
from zhian.core.records import visible_or_404
from zhian.core.scope import Actor
from zhian.core.time import as_utc, utcnow
from zhian.domains.hazmat import reconcile
from zhian.domains.hazmat.choices import AlertKind, AlertStatus
from zhian.domains.hazmat.models import Alert, Count, Enterprise, Item, LedgerEntry, Site, Stock
from zhian.domains.hazmat.schemas import (
    AlertOut,
    CountIn,
    CountLineOut,
    CountOut,
    EventIn,
    EventType,
    ItemIn,
)

E = EventType
# Events whose item stays out of any site until a later event of the same enterprise ends it.
WINDOWED = {E.SHIP: AlertKind.UNDELIVERED, E.ISSUE: AlertKind.OVERDUE_RETURN}
ENDS_CUSTODY = frozenset(
    {E.DELIVER, E.RECEIVE, E.STORE, E.RETURN, E.USE, E.DESTROY, E.LOSS, E.TRANSFER}
)


def open_alert(
    session: Session,
    *,
    kind: AlertKind,
    enterprise: Enterprise,
    at: datetime,
    detail: dict[str, Any],
    site_id: int | None = None,
    item_id: int | None = None,
    entry_id: int | None = None,
    count_id: int | None = None,
) -> Alert:
    """Open an alert on an enterprise's custody."""
    alert = Alert(
        kind=str(kind),
        status=AlertStatus.OPEN,
        division=enterprise.division,
        enterprise_id=enterprise.id,
        site_id=site_id,
        item_id=item_id,
        entry_id=entry_id,
        count_id=count_id,
        detail=json.dumps(detail, ensure_ascii=False, sort_keys=True, default=str),
        opened_at=at,
    )
    session.add(alert)
    session.flush()
    return alert


def _lines(lines: list[reconcile.Line]) -> list[CountLineOut]:
    return [CountLineOut(code=x.code, expected=x.expected, counted=x.counted) for x in lines]


def count_site(
    session: Session, *, actor: Actor, site_id: int, data: CountIn, at: datetime | None = None
) -> CountOut:
    """Record a physical count at a site, compare it with the books, alert on any difference."""
    from zhian.domains.hazmat import service

    require(actor, "hazmat.record")
    site = session.get(Site, site_id)
    if site is None:
        raise NotFound(f"库点不存在：{site_id}")
    enterprise = service.get_enterprise(session, actor=actor, enterprise_id=site.enterprise_id)
    service.lock_chain(session, enterprise.id)
    when = as_utc(at or utcnow())
    expected = {
        code: Decimal(q)
        for code, q in session.execute(
            select(Item.code, Stock.quantity)
            .join(Item, Item.id == Stock.item_id)
            .where(Stock.site_id == site.id)
        )
    }
    counted = {line.code: line.quantity for line in data.items}
    finding = reconcile.compare(expected, counted)
    stored = {code: str(q) for code, q in sorted(counted.items())}
    count = Count(
        enterprise_id=enterprise.id,
        site_id=site.id,
        counted_at=when,
        actor=actor.username,
        counted=json.dumps(stored, ensure_ascii=False),
        digest=hashlib.sha256(hashchain.canonical(stored)).hexdigest(),
        missing=len(finding.missing),
        unexpected=len(finding.unexpected),
    )
    session.add(count)
    session.flush()
    unknown = _ledger_findings(session, actor, enterprise, site, count, finding, when)
    alert = None
    if not finding.clean:
        alert = open_alert(
            session,
            kind=AlertKind.DISCREPANCY,
            enterprise=enterprise,
            at=when,
            site_id=site.id,
            count_id=count.id,
            detail={
                "count_id": count.id,
                "missing": [x.code for x in finding.missing],
                "unexpected": [x.code for x in finding.unexpected],
                "unregistered": unknown,
            },
        )
    audit.record(
        session,
        actor=actor,
        action="hazmat.count",
        record_type="hazmat_count",
        record_id=str(count.id),
        division=enterprise.division,
        detail={"site_id": site.id, "missing": count.missing, "unexpected": count.unexpected},
    )
    return CountOut(
        id=count.id,
        site_id=site.id,
        counted_at=when,
        digest=count.digest,
        missing=_lines(finding.missing),
        unexpected=_lines(finding.unexpected),
        alert_id=alert.id if alert else None,
    )


def _ledger_findings(
    session: Session,
    actor: Actor,
    enterprise: Enterprise,
    site: Site,
    count: Count,
    finding: reconcile.Finding,
    at: datetime,
) -> list[str]:
    """A ``count`` entry per registered, active code that does not match; the other codes."""
    from zhian.domains.hazmat import ledger

    unknown: list[str] = []
    events: list[EventIn] = []
    for what, lines in (("missing", finding.missing), ("unexpected", finding.unexpected)):
        for line in lines:
            item = session.scalars(select(Item).where(Item.code == line.code)).first()
            if item is None or item.state != "active":
                unknown.append(line.code)
                continue
            data = EventIn(
                event=E.COUNT,
                enterprise_id=enterprise.id,
                item=ItemIn(kind=item.kind, code=item.code),
                quantity=max(line.expected, line.counted),
                site_id=site.id,
                reference=f"盘点 {count.id}",
                payload={
                    "count_id": count.id,
                    "count_digest": count.digest,
                    "finding": what,
                    "expected": str(line.expected),
                    "counted": str(line.counted),
                },
            )
            events.append(data)
    if events:
        try:
            ledger.record(session, actor=actor, events=events, at=at)
        except ledger.Refused as refused:
            raise refused.error from None
    return unknown


def open_custody(session: Session) -> list[reconcile.OpenCustody]:
    """Ships and issues with a window whose item no later event of the enterprise has moved,
    and that no alert is about yet."""
    later = aliased(LedgerEntry)
    rows = session.execute(
        select(LedgerEntry, Item.code)
        .join(Item, Item.id == LedgerEntry.item_id)
        .where(
            LedgerEntry.event.in_([str(e) for e in WINDOWED]),
            ~exists().where(
                and_(
                    later.item_id == LedgerEntry.item_id,
                    later.enterprise_id == LedgerEntry.enterprise_id,
                    later.id > LedgerEntry.id,
                    later.event.in_([str(e) for e in ENDS_CUSTODY]),
                )
            ),
            ~exists().where(Alert.entry_id == LedgerEntry.id),
        )
        .order_by(LedgerEntry.id)
    ).all()
    return [
        reconcile.OpenCustody(
            entry_id=e.id,
            enterprise_id=e.enterprise_id,
            item_id=e.item_id,
            code=code,
            event=e.event,
            at=as_utc(e.at),
            due_at=reconcile.due_at(json.loads(e.payload)),
        )
        for e, code in rows
    ]


def check_overdue(session: Session, *, now: datetime) -> list[Alert]:
    """Open an alert for every ship not delivered and every issue not returned by ``now``."""
    opened = []
    for late in reconcile.overdue(open_custody(session), as_utc(now)):
        enterprise = session.get(Enterprise, late.enterprise_id)
        assert enterprise is not None  # the ledger's foreign key
        opened.append(
            open_alert(
                session,
                kind=WINDOWED[E(late.event)],
                enterprise=enterprise,
                at=as_utc(now),
                item_id=late.item_id,
                entry_id=late.entry_id,
                detail={
                    "code": late.code,
                    "event": late.event,
                    "since": late.at.isoformat(),
                    "due_at": late.due_at.isoformat() if late.due_at else None,
                },
            )
        )
    return opened


def run_overdue_check(factory: sessionmaker[Session], *, now: datetime | None = None) -> int:
    """The periodic job: one transaction, the alerts it opened counted."""
    with unit_of_work(factory) as session:
        return len(check_overdue(session, now=now or utcnow()))


def alert_out(alert: Alert) -> AlertOut:
    """The public shape of an alert."""
    return AlertOut(
        id=alert.id,
        kind=alert.kind,
        status=alert.status,
        division=alert.division,
        enterprise_id=alert.enterprise_id,
        site_id=alert.site_id,
        item_id=alert.item_id,
        entry_id=alert.entry_id,
        count_id=alert.count_id,
        detail=json.loads(alert.detail),
        opened_at=alert.opened_at,
        resolved_at=alert.resolved_at,
        resolved_by=alert.resolved_by,
        note=alert.note,
    )


def list_alerts(
    session: Session,
    *,
    actor: Actor,
    status: str | None = None,
    kind: str | None = None,
    enterprise_id: int | None = None,
    page: int = 1,
    per_page: int = 50,
) -> Page[Alert]:
    """Alerts of the actor's jurisdiction, newest first, optionally filtered."""
    require(actor, "hazmat.read")
    stmt = select(Alert).where(scoping.scope_clause(actor, Alert.division))
    if status is not None:
        if status not in AlertStatus.__members__.values():
            raise InvalidInput(f"未知状态：{status}", field="status")
        stmt = stmt.where(Alert.status == status)
    if kind is not None:
        if kind not in AlertKind.__members__.values():
            raise InvalidInput(f"未知告警类型：{kind}", field="kind")
        stmt = stmt.where(Alert.kind == kind)
    if enterprise_id is not None:
        stmt = stmt.where(Alert.enterprise_id == enterprise_id)
    return paginate(session, stmt.order_by(Alert.opened_at.desc(), Alert.id.desc()), page, per_page)


def get_alert(session: Session, *, actor: Actor, alert_id: int) -> Alert:
    """One alert of the actor's jurisdiction; another's is not found (and audited)."""
    require(actor, "hazmat.read")
    return visible_or_404(
        actor,
        session.get(Alert, alert_id, with_for_update=True),
        record_type="hazmat_alert",
        record_id=alert_id,
        label="告警",
    )


def resolve_alert(session: Session, *, actor: Actor, alert_id: int, note: str) -> Alert:
    """Close an open alert with a note saying how it was handled."""
    require(actor, "hazmat.alerts.handle")
    alert = visible_or_404(
        actor,
        session.get(Alert, alert_id, with_for_update=True),
        record_type="hazmat_alert",
        record_id=alert_id,
        label="告警",
    )
    alerts.resolve_with_note(
        session,
        actor=actor,
        alert=alert,
        note=note,
        record_type="hazmat_alert",
        detail={"kind": alert.kind, "enterprise_id": alert.enterprise_id},
    )
    return alert

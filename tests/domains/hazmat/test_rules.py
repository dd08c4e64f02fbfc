"""The ledger's rules on both databases: each refusal names its reason and writes nothing."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from decimal import Decimal
from typing import Any

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from tests.domains.hazmat.builders import enterprise, event
from zhian.core.errors import Conflict, DomainError, InvalidInput
from zhian.domains.hazmat import ledger, verify
from zhian.domains.hazmat.models import ChainHead, Item, LedgerEntry, Stock


def _stock(session: Session) -> dict[ledger.Position, Decimal]:
    rows = session.scalars(select(Stock)).all()
    return {(s.enterprise_id, s.site_id, s.item_id): s.quantity for s in rows if s.quantity}


def _refused(session: Session, error: type[DomainError], call: Callable[[], Any]) -> str:
    """Run an event expected to be refused; prove nothing was written; return the reason."""
    entries = session.scalar(select(func.count(LedgerEntry.id)))
    heads = session.execute(select(ChainHead.enterprise_id, ChainHead.seq)).all()
    stock = _stock(session)
    with pytest.raises(error) as caught, session.begin_nested():
        call()
    assert session.scalar(select(func.count(LedgerEntry.id))) == entries
    assert session.execute(select(ChainHead.enterprise_id, ChainHead.seq)).all() == heads
    assert _stock(session) == stock
    return caught.value.message


def test_custody_flows_and_chains(session: Session) -> None:
    maker, mag = enterprise(session, "甲厂")
    buyer, store = enterprise(session, "乙矿", kind="user")
    first = event(session, "produce", maker, "5320611A00001", site_id=mag)
    sold = event(session, "transfer", maker, "5320611A00001", site_id=mag, to_enterprise_id=buyer)
    assert sold.seq == first.seq + 1 and sold.prev_hash == first.hash
    got = event(session, "receive", buyer, "5320611A00001", site_id=store, from_enterprise_id=maker)
    assert got.seq == 1
    event(session, "issue", buyer, "5320611A00001", site_id=store)
    event(session, "use", buyer, "5320611A00001", payload={"blast": "K12", "site": "北坡"})
    item = session.scalars(select(Item).where(Item.code == "5320611A00001")).one()
    assert item.state == "used"
    assert _stock(session) == {}
    assert verify.verify_all(session).ok


def test_stock_is_the_fold_of_the_ledger(session: Session) -> None:
    maker, mag = enterprise(session, "甲厂")
    buyer, store = enterprise(session, "乙库", kind="storage")
    event(
        session,
        "produce",
        maker,
        "LOT-1",
        item_kind="chemical",
        hazard_class="3",
        quantity="800",
        site_id=mag,
    )
    event(
        session,
        "transfer",
        maker,
        "LOT-1",
        item_kind="chemical",
        hazard_class=None,
        quantity="250.5",
        site_id=mag,
        to_enterprise_id=buyer,
    )
    event(
        session,
        "receive",
        buyer,
        "LOT-1",
        item_kind="chemical",
        hazard_class=None,
        quantity="200",
        site_id=store,
    )
    event(
        session,
        "loss",
        maker,
        "LOT-1",
        item_kind="chemical",
        hazard_class=None,
        quantity="0.5",
        site_id=mag,
    )
    event(session, "produce", maker, "EX-1", site_id=mag)
    materialized = _stock(session)
    assert materialized == ledger.fold(session.scalars(select(LedgerEntry)).all())
    item = session.scalars(select(Item).where(Item.code == "LOT-1")).one()
    assert materialized[(maker, mag, item.id)] == Decimal("549.000")
    assert materialized[(buyer, None, item.id)] == Decimal("50.500")


def test_no_transfer_without_a_covering_licence(session: Session) -> None:
    maker, mag = enterprise(session, "甲厂")
    unlicensed, _ = enterprise(session, "丙户", kind="user", classes={})
    wrong_class, _ = enterprise(session, "丁店", kind="seller", classes={"3": "10"})
    small, _ = enterprise(session, "戊店", kind="seller", classes={"1.1": "10", "3": "10"})
    event(session, "produce", maker, "EX-1", site_id=mag)
    for to in (unlicensed, wrong_class):
        reason = _refused(
            session,
            Conflict,
            lambda to=to: event(
                session, "transfer", maker, "EX-1", site_id=mag, to_enterprise_id=to
            ),
        )
        assert "许可证" in reason
    event(
        session,
        "produce",
        maker,
        "LOT-9",
        item_kind="chemical",
        hazard_class="3",
        quantity="100",
        site_id=mag,
    )
    reason = _refused(
        session,
        Conflict,
        lambda: event(
            session,
            "transfer",
            maker,
            "LOT-9",
            item_kind="chemical",
            hazard_class=None,
            quantity="20",
            site_id=mag,
            to_enterprise_id=small,
        ),
    )
    assert "限额" in reason


def test_expired_licence_blocks_and_expiring_one_warns(session: Session) -> None:
    expired, mag = enterprise(session, "旧厂", valid_until=date(2026, 10, 31))
    reason = _refused(
        session, Conflict, lambda: event(session, "produce", expired, "EX-2", site_id=mag)
    )
    assert "过期" in reason
    soon, mag2 = enterprise(session, "新厂", valid_until=date(2026, 11, 20))
    entry = event(session, "produce", soon, "EX-3", site_id=mag2)
    assert entry.warnings and "2026-11-20" in entry.warnings[0]
    # A loss is reported even with an expired licence.
    assert event(session, "loss", soon, "EX-3", site_id=mag2).event == "loss"


def test_an_item_cannot_be_in_two_places(session: Session) -> None:
    maker, mag = enterprise(session, "甲厂")
    other, mag2 = enterprise(session, "乙厂")
    event(session, "produce", maker, "EX-1", site_id=mag)
    reason = _refused(
        session, Conflict, lambda: event(session, "produce", other, "EX-1", site_id=mag2)
    )
    assert "已存在" in reason
    reason = _refused(
        session,
        Conflict,
        lambda: event(session, "transfer", other, "EX-1", site_id=mag2, to_enterprise_id=maker),
    )
    assert "不在此处" in reason
    event(
        session,
        "ship",
        maker,
        "EX-1",
        site_id=mag,
        reference="permit 610500-2026-001",
        payload={"due_at": "2026-11-02T10:00:00+08:00"},
    )
    _refused(
        session,
        Conflict,
        lambda: event(session, "transfer", maker, "EX-1", site_id=mag, to_enterprise_id=other),
    )


def test_a_used_or_destroyed_item_cannot_move(session: Session) -> None:
    maker, mag = enterprise(session, "甲厂")
    event(session, "produce", maker, "EX-1", site_id=mag)
    event(session, "destroy", maker, "EX-1", site_id=mag, reference="销毁记录 12")
    reason = _refused(
        session, Conflict, lambda: event(session, "issue", maker, "EX-1", site_id=mag)
    )
    assert "destroyed" in reason


def test_site_capacity_per_class_holds(session: Session) -> None:
    maker, mag = enterprise(session, "甲厂", capacity={"1.1": "2"})
    event(session, "produce", maker, "EX-1", site_id=mag)
    event(session, "produce", maker, "EX-2", site_id=mag)
    reason = _refused(
        session, Conflict, lambda: event(session, "produce", maker, "EX-3", site_id=mag)
    )
    assert "容量" in reason
    reason = _refused(
        session,
        Conflict,
        lambda: event(
            session,
            "produce",
            maker,
            "LOT-1",
            item_kind="chemical",
            hazard_class="3",
            quantity="1",
            site_id=mag,
        ),
    )
    assert "未核定" in reason


def test_bad_event_shapes_are_422(session: Session) -> None:
    maker, mag = enterprise(session, "甲厂")
    _, other_site = enterprise(session, "乙厂")
    assert "库点" in _refused(session, InvalidInput, lambda: event(session, "produce", maker, "X"))
    _refused(
        session, InvalidInput, lambda: event(session, "produce", maker, "X", site_id=other_site)
    )
    _refused(session, InvalidInput, lambda: event(session, "issue", maker, "NOPE", site_id=mag))
    _refused(
        session,
        InvalidInput,
        lambda: event(session, "produce", maker, "X", quantity="2", site_id=mag),
    )

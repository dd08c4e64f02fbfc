"""Events recorded in batches: all or nothing, the refusal naming the event's index, the rules
seeing the batch's earlier events, one audit entry per event; through the service and the
``POST /api/v1/hazmat/ledger/batch`` route."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from tests.domains.hazmat.builders import AT, REG, enterprise, rendered_as_bytes
from tests.domains.hazmat.test_api import BASE, _event, _setup
from tests.helpers import App, running_app
from zhian.core.audit import service as audit
from zhian.core.audit.models import AuditEntry
from zhian.core.errors import Conflict, InvalidInput
from zhian.domains.hazmat import ledger, service, verify
from zhian.domains.hazmat.models import Item, LedgerEntry, Stock
from zhian.domains.hazmat.schemas import BATCH_MAX, EventIn


def _in(kind: str, ent: int, code: str, **fields: Any) -> EventIn:
    return EventIn.model_validate(_event(kind, ent, code, **fields))


def _count(session: Session, model: Any) -> int:
    return int(session.scalar(select(func.count()).select_from(model)) or 0)


def test_rules_see_the_earlier_events_of_the_batch(session: Session) -> None:
    maker, mag = enterprise(session, "甲厂")
    buyer, store = enterprise(session, "乙矿", kind="user")
    out = service.record_events(
        session,
        actor=REG,
        events=[
            _in("produce", maker, "EX-1", site_id=mag),
            _in("transfer", maker, "EX-1", site_id=mag, to_enterprise_id=buyer),
            _in("receive", buyer, "EX-1", site_id=store),
            _in("produce", maker, "EX-2", site_id=mag),
        ],
        at=AT,
    )
    assert [(e.enterprise_id, e.seq, e.event) for e in out] == [
        (maker, 1, "produce"),
        (maker, 2, "transfer"),
        (buyer, 1, "receive"),
        (maker, 3, "produce"),
    ]
    assert out[1].prev_hash == out[0].hash and out[3].prev_hash == out[1].hash
    held = session.execute(select(Stock.enterprise_id, Stock.site_id, Item.code).join(Item)).all()
    assert sorted(held) == sorted([(buyer, store, "EX-1"), (maker, mag, "EX-2")])
    # The same stock the fold of the ledger gives, and a chain that verifies.
    folded = ledger.fold(session.scalars(select(LedgerEntry)))
    assert {k: v for k, v in folded.items() if v} == {
        (buyer, store, out[0].item_id): 1,
        (maker, mag, out[3].item_id): 1,
    }
    assert verify.verify_all(session).ok


def test_a_refused_event_refuses_the_batch_naming_its_index(session: Session) -> None:
    maker, mag = enterprise(session, "甲厂", capacity={"1.1": "2"})
    before = (_count(session, LedgerEntry), _count(session, Item), _count(session, AuditEntry))
    events = [_in("produce", maker, f"EX-{n}", site_id=mag) for n in range(3)]
    with pytest.raises(Conflict) as refused:
        service.record_events(session, actor=REG, events=events, at=AT)
    # The third detonator would overfill the site: only the batch's own two were there.
    assert refused.value.field == "events.2.quantity"
    assert refused.value.message.startswith("第 2 条事件：超出库点")
    assert (_count(session, LedgerEntry), _count(session, Item), _count(session, AuditEntry)) == (
        before
    )
    twice = [_in("produce", maker, "EX-9", site_id=mag), _in("produce", maker, "EX-9", site_id=mag)]
    with pytest.raises(Conflict) as duplicate:
        service.record_events(session, actor=REG, events=twice, at=AT)
    assert duplicate.value.field == "events.1.item.code" and "已存在" in duplicate.value.message
    with pytest.raises(InvalidInput) as shapeless:
        service.record_events(
            session, actor=REG, events=[events[0], _in("produce", maker, "EX-8")], at=AT
        )
    assert shapeless.value.field == "events.1.site_id"
    assert _count(session, LedgerEntry) == before[0]


def test_one_event_keeps_its_plain_error(session: Session) -> None:
    maker, mag = enterprise(session, "甲厂")
    with pytest.raises(InvalidInput) as refused:
        service.record_event(session, actor=REG, data=_in("issue", maker, "NOPE", site_id=mag))
    assert refused.value.field == "item.code" and not refused.value.message.startswith("第")


def test_each_event_of_a_batch_is_audited(session: Session) -> None:
    maker, mag = enterprise(session, "甲厂")
    out = service.record_events(
        session,
        actor=REG,
        events=[_in("produce", maker, f"EX-{n}", site_id=mag) for n in range(3)],
        at=AT,
    )
    rows = session.scalars(
        select(AuditEntry).where(AuditEntry.action == "hazmat.event").order_by(AuditEntry.seq)
    ).all()
    assert [r.record_id for r in rows] == [str(e.id) for e in out]
    assert [json.loads(r.detail or "{}")["seq"] for r in rows] == [1, 2, 3]
    assert {(r.actor, r.outcome, r.division) for r in rows} == {("reg", "success", "610502")}
    assert audit.verify(session).ok


def test_entries_render_in_sql_as_their_canonical_bytes(session: Session) -> None:
    """Honest rows never take the slow path: the database renders their columns exactly as
    the canonical encoding does, whatever the payload holds."""
    maker, mag = enterprise(session, "甲厂")
    tricky = {
        "note": 'é\n\u0001"\\\t\u2028',
        "n": [1, 2.5, None, True, -0.001, 1e16, 12345678901234567890],
        "nested": {"b": {"y": [], "x": {}}, "a": "空"},
    }
    service.record_events(
        session,
        actor=REG,
        events=[
            _in("produce", maker, "EX-1", site_id=mag, payload=tricky, reference='参考"\n'),
            EventIn.model_validate(
                {
                    **_event("produce", maker, "LOT-1", site_id=mag, quantity="12.345"),
                    "item": {"kind": "chemical", "code": "LOT-1", "hazard_class": "3"},
                }
            ),
        ],
        at=AT,
    )
    counts = rendered_as_bytes(session)
    assert counts == [2] * len(counts)


@pytest.fixture()
def app(fresh_url: str) -> Iterator[App]:
    with running_app(fresh_url) as running:
        yield running


def test_batch_route_all_or_nothing(app: App) -> None:
    headers = app.headers(app.token("city_reg", role="regulator", division="610500"))
    ids = _setup(app, headers)
    (maker, mag), (buyer, store) = ids["甲厂"], ids["乙矿"]
    good = [
        _event("produce", maker, "EX-1", site_id=mag),
        _event("transfer", maker, "EX-1", site_id=mag, to_enterprise_id=buyer),
        _event("receive", buyer, "EX-1", site_id=store),
    ]
    made = app.client.post(BASE + "/ledger/batch", json={"events": good}, headers=headers)
    assert made.status_code == 201, made.text
    assert [(e["event"], e["seq"]) for e in made.json()] == [
        ("produce", 1),
        ("transfer", 2),
        ("receive", 1),
    ]
    bad = [
        _event("produce", maker, "EX-2", site_id=mag),
        _event("produce", maker, "EX-3", site_id=mag),
        _event("issue", maker, "EX-1", site_id=mag),  # EX-1 is at the buyer's now
    ]
    refused = app.client.post(BASE + "/ledger/batch", json={"events": bad}, headers=headers)
    assert refused.status_code == 409, refused.text
    detail = refused.json()["detail"][0]
    assert detail["field"] == "events.2.item.code"
    assert detail["loc"] == ["events", "2", "item", "code"]
    assert detail["msg"].startswith("第 2 条事件：物品 EX-1 不在此处")
    assert app.client.get(BASE + "/items/EX-2/history", headers=headers).status_code == 404
    shapeless = app.client.post(
        BASE + "/ledger/batch",
        json={
            "events": [
                _event("produce", maker, "EX-4", site_id=mag),
                _event("issue", maker, "EX-4"),
            ]
        },
        headers=headers,
    )
    assert shapeless.status_code == 422
    assert shapeless.json()["detail"][0]["field"] == "events.1.site_id"
    with app.factory() as session:
        refusals = session.scalars(
            select(AuditEntry)
            .where(AuditEntry.outcome == "refused", AuditEntry.action == "hazmat.event")
            .order_by(AuditEntry.seq)
        ).all()
        assert [json.loads(r.detail or "{}")["index"] for r in refusals] == [2, 1]
        assert json.loads(refusals[0].detail or "{}")["item"] == "EX-1"
        assert verify.verify_all(session).entries == 3
        done = session.scalars(
            select(AuditEntry).where(
                AuditEntry.outcome == "success", AuditEntry.action == "hazmat.event"
            )
        ).all()
        assert len(done) == 3


def test_batch_route_limits(app: App) -> None:
    headers = app.headers(app.token("city_reg", role="regulator", division="610500"))
    ids = _setup(app, headers)
    maker, mag = ids["甲厂"]
    one = _event("produce", maker, "EX-1", site_id=mag)
    empty = app.client.post(BASE + "/ledger/batch", json={"events": []}, headers=headers)
    assert empty.status_code == 422
    many = app.client.post(
        BASE + "/ledger/batch", json={"events": [one] * (BATCH_MAX + 1)}, headers=headers
    )
    assert many.status_code == 422
    county = app.headers(app.token("county", role="regulator", division="610581"))
    foreign = app.client.post(BASE + "/ledger/batch", json={"events": [one]}, headers=county)
    assert foreign.status_code == 404
    with app.factory() as session:
        assert verify.verify_all(session).entries == 0

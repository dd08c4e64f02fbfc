"""The firearms registry on the custody ledger: registration, duty issue and return with
round counts, overdue return, theft reports and the serial lookup, inspections, scope."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, timedelta

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from tests.domains.hazmat.builders import AT, HOME, OTHER, REG, enterprise
from tests.helpers import App, running_app
from tests.suites.scope import JurisdictionScopeSuite
from zhian.core.audit.models import AuditEntry
from zhian.core.errors import Conflict, InvalidInput, NotFound
from zhian.core.scope import Actor
from zhian.domains.firearms import service
from zhian.domains.firearms.models import AmmunitionLot
from zhian.domains.firearms.schemas import (
    GunCreate,
    InspectionIn,
    IssueIn,
    LossIn,
    LotCreate,
    ReturnIn,
)
from zhian.domains.hazmat import alerts, verify
from zhian.domains.hazmat import service as hazmat
from zhian.domains.hazmat.models import Alert

OFFICER_ELSEWHERE = Actor(user_id=8, username="checkpoint", role="officer", division=OTHER)
DUE = AT + timedelta(hours=8)


@dataclass
class Holder:
    id: int
    armoury: int


def holder(session: Session, name: str = "渭南保安服务公司", division: str = HOME) -> Holder:
    ent, site = enterprise(
        session,
        name,
        kind="security_company",
        division=division,
        classes={"firearm": "10", "1.4": "1000"},
        capacity={"firearm": "20", "1.4": "5000"},
    )
    return Holder(ent, site)


def gun(session: Session, h: Holder, serial: str = "WN-0001", **fields: str) -> str:
    data = {
        "serial": serial,
        "gun_type": "pistol",
        "calibre": "9mm",
        "maker": "建设工业",
        "holder_id": h.id,
        "site_id": h.armoury,
        **fields,
    }
    return service.register_gun(
        session, actor=REG, data=GunCreate.model_validate(data), at=AT
    ).serial


def lot(session: Session, h: Holder, code: str = "LOT-9MM-01", rounds: int = 1000) -> str:
    data = {
        "lot": code,
        "calibre": "9mm",
        "holder_id": h.id,
        "site_id": h.armoury,
        "rounds": rounds,
    }
    return service.register_lot(session, actor=REG, data=LotCreate.model_validate(data), at=AT).lot


def issue(session: Session, h: Holder, serial: str, rounds: int = 30, minutes: int = 10) -> None:
    data = IssueIn(serial=serial, site_id=h.armoury, due_at=DUE, lot="LOT-9MM-01", rounds=rounds)
    service.issue_duty(session, actor=REG, data=data, at=AT + timedelta(minutes=minutes))


def _lot_rounds(session: Session, code: str) -> tuple[int, int]:
    row = session.scalars(select(AmmunitionLot).where(AmmunitionLot.lot == code)).one()
    out = service.lot_out(session, row)
    return out.rounds_in_armoury, out.rounds_issued


def test_guns_and_lots_are_items_of_the_ledger(session: Session) -> None:
    h = holder(session)
    serial = gun(session, h)
    lot(session, h)
    out = service.get_gun(session, actor=REG, serial="wn-0001")
    assert (out.serial, out.custody, out.status, out.flag) == (serial, "in_armoury", "active", None)
    stock = {
        (s.code, s.kind, int(s.quantity))
        for s in hazmat.stock(session, actor=REG, site_id=h.armoury)
    }
    assert stock == {("WN-0001", "firearm", 1), ("LOT-9MM-01", "ammunition", 1000)}
    with pytest.raises(Conflict):
        gun(session, h)
    seller, site = enterprise(session, "民爆销售", kind="seller")
    with pytest.raises(InvalidInput) as refused:
        gun(session, Holder(seller, site), "WN-0002")
    assert refused.value.field == "holder_id"


def test_holder_needs_a_firearm_licence_and_armoury_room(session: Session) -> None:
    ent, site = enterprise(
        session, "射击场", kind="shooting_range", classes={"1.4": "10"}, capacity={"firearm": "1"}
    )
    with pytest.raises(Conflict, match="firearm"):
        gun(session, Holder(ent, site), "SR-1")


def test_duty_issue_and_return_account_for_every_round(session: Session) -> None:
    h = holder(session)
    serial = gun(session, h)
    lot(session, h)
    issue(session, h, serial)
    assert service.get_gun(session, actor=REG, serial=serial).custody == "issued"
    assert _lot_rounds(session, "LOT-9MM-01") == (970, 30)
    with pytest.raises(Conflict, match="领取 30 发"):
        service.return_duty(
            session, actor=REG, data=ReturnIn(serial=serial, site_id=h.armoury, rounds_returned=29)
        )
    back = ReturnIn(
        serial=serial, site_id=h.armoury, rounds_returned=20, rounds_fired=8, rounds_lost=2
    )
    out = service.return_duty(session, actor=REG, data=back, at=AT + timedelta(hours=2))
    assert out.custody == "in_armoury"
    assert _lot_rounds(session, "LOT-9MM-01") == (990, 0)
    events = [e.event for e in hazmat.item_history(session, actor=REG, code="LOT-9MM-01")]
    assert events == ["register", "issue", "return", "use", "loss"]
    lost = session.scalars(select(Alert).where(Alert.kind == "loss_report")).one()
    assert alerts.alert_out(lost).detail["quantity"] == "2.000"
    assert verify.verify_all(session).ok


def test_a_wrong_calibre_lot_is_refused(session: Session) -> None:
    h = holder(session)
    serial = gun(session, h, calibre="5.8mm")
    lot(session, h)
    with pytest.raises(InvalidInput, match="口径"):
        issue(session, h, serial)


def test_a_gun_not_returned_in_time_raises_one_alert(session: Session) -> None:
    h = holder(session)
    late, returned = gun(session, h), gun(session, h, "WN-0002")
    lot(session, h)
    issue(session, h, late)
    issue(session, h, returned, rounds=0)
    service.return_duty(
        session, actor=REG, data=ReturnIn(serial=returned, site_id=h.armoury), at=DUE
    )
    assert alerts.check_overdue(session, now=DUE) == []
    (alert,) = alerts.check_overdue(session, now=DUE + timedelta(minutes=1))
    out = alerts.alert_out(alert)
    assert (out.kind, out.detail["code"]) == ("overdue_return", late)


def test_a_stolen_gun_shows_as_stolen_at_any_checkpoint(session: Session) -> None:
    h = holder(session)
    serial = gun(session, h)
    lot(session, h)
    before = service.lookup(session, actor=OFFICER_ELSEWHERE, serial=serial)
    assert before.flag is None
    service.report_loss(
        session, actor=REG, data=LossIn(serial=serial, cause="theft", note="夜间库房被撬")
    )
    seen = service.lookup(session, actor=OFFICER_ELSEWHERE, serial=f" {serial.lower()} ")
    assert (seen.flag, seen.status, seen.custody) == ("stolen", "lost", "none")
    assert seen.reported_at is not None
    alert = session.scalars(select(Alert).where(Alert.kind == "loss_report")).one()
    assert alerts.alert_out(alert).detail["cause"] == "theft"
    with pytest.raises(Conflict):
        issue(session, h, serial)
    with pytest.raises(Conflict):
        service.report_loss(session, actor=REG, data=LossIn(serial=serial, cause="loss"))
    lookups = session.scalars(
        select(AuditEntry.actor).where(AuditEntry.action == "firearms.lookup")
    ).all()
    assert list(lookups) == ["checkpoint", "checkpoint"]
    with pytest.raises(NotFound):
        service.lookup(session, actor=OFFICER_ELSEWHERE, serial="NO-SUCH-GUN")


def test_an_issued_gun_lost_on_duty_is_flagged_lost(session: Session) -> None:
    h = holder(session)
    serial = gun(session, h)
    lot(session, h)
    issue(session, h, serial, rounds=0)
    out = service.report_loss(session, actor=REG, data=LossIn(serial=serial, cause="loss"))
    assert (out.flag, out.custody) == ("lost", "none")


def test_annual_inspection(session: Session) -> None:
    h = holder(session)
    serial = gun(session, h)
    assert service.get_gun(session, actor=REG, serial=serial).inspection_due
    today = date.today()
    service.add_inspection(
        session,
        actor=REG,
        serial=serial,
        data=InspectionIn(inspected_on=today - timedelta(days=10), result="passed"),
    )
    from zhian.domains.firearms.models import Gun

    row = session.scalars(select(Gun).where(Gun.serial == serial)).one()
    assert not service.gun_out(session, row, today=today).inspection_due
    assert service.gun_out(session, row, today=today + timedelta(days=360)).inspection_due
    with pytest.raises(InvalidInput):
        service.add_inspection(
            session,
            actor=REG,
            serial=serial,
            data=InspectionIn(inspected_on=today + timedelta(days=2), result="passed"),
        )


def test_classification_queries(session: Session) -> None:
    h = holder(session)
    gun(session, h, "A-0001")
    gun(session, h, "A-0002", gun_type="shotgun", calibre="12")
    gun(session, h, "A-0003", gun_type="shotgun", calibre="12")
    service.report_loss(session, actor=REG, data=LossIn(serial="A-0003", cause="theft"))

    def serials(**filters: object) -> list[str]:
        return [g.serial for g in service.list_guns(session, actor=REG, **filters).items]  # type: ignore[arg-type]

    assert serials(gun_type="shotgun") == ["A-0002", "A-0003"]
    assert serials(calibre="9mm") == ["A-0001"]
    assert serials(flagged=True) == ["A-0003"]
    assert serials(flagged=False, holder_id=h.id) == ["A-0001", "A-0002"]


class TestGunScope(JurisdictionScopeSuite):
    list_path = "/api/v1/firearms/guns"
    detail_path = "/api/v1/firearms/guns/{key}"
    key_field = "serial"
    record_type = "firearm_gun"

    def make_record(self, session: Session, division: str, n: int) -> str:
        return gun(session, holder(session, f"保安{n}", division), f"SC-{n:04d}")


@pytest.fixture()
def app(fresh_url: str) -> Iterator[App]:
    with running_app(fresh_url) as running:
        yield running


def test_lookup_contract_through_the_api(app: App) -> None:
    from zhian.core.db import unit_of_work

    with unit_of_work(app.factory) as session:
        h = holder(session)
        serial = gun(session, h)
    reg = app.headers(app.token("reg2", role="regulator", division=HOME))
    stolen = app.client.post(
        "/api/v1/firearms/losses", json={"serial": serial, "cause": "theft"}, headers=reg
    )
    assert stolen.status_code == 201, stolen.text
    officer = app.headers(app.token("cp1", role="officer", division=OTHER))
    seen = app.client.get("/api/v1/firearms/lookup", params={"serial": serial}, headers=officer)
    assert seen.status_code == 200, seen.text
    assert (seen.json()["flag"], seen.json()["serial"]) == ("stolen", serial)
    missing = app.client.get("/api/v1/firearms/lookup", params={"serial": "ZZ-9"}, headers=officer)
    assert missing.status_code == 404
    with app.factory() as session:
        outcomes = session.scalars(
            select(AuditEntry.outcome).where(AuditEntry.action == "firearms.lookup")
        ).all()
    assert sorted(outcomes) == ["not_found", "success"]
    refused = app.client.post(
        "/api/v1/firearms/guns",
        json={
            "serial": "X-0001",
            "gun_type": "rifle",
            "calibre": "7.62mm",
            "maker": "x",
            "holder_id": 1,
            "site_id": 1,
        },
        headers=officer,
    )
    assert refused.status_code == 403
    leader = app.headers(app.token("ld1", role="leader", division=HOME))
    assert (
        app.client.get(
            "/api/v1/firearms/lookup", params={"serial": serial}, headers=leader
        ).status_code
        == 403
    )
    bad = app.client.post(
        "/api/v1/firearms/issues",
        json={"serial": serial, "site_id": 1, "due_at": "2026-11-01T18:00:00"},
        headers=reg,
    )
    assert bad.status_code == 422

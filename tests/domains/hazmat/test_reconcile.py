"""Reconciliation: a count against the books, custody past its window, loss reports; the
alerts they open, listed, scoped and resolved."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from tests.domains.hazmat.builders import AT, HOME, OTHER, REG, enterprise, event
from tests.helpers import running_app
from tests.suites.scope import JurisdictionScopeSuite
from zhian.core.audit.models import AuditEntry
from zhian.core.errors import Conflict, InvalidInput, NotFound
from zhian.core.scope import Actor
from zhian.domains.hazmat import alerts, reconcile, service
from zhian.domains.hazmat.models import Alert
from zhian.domains.hazmat.schemas import CountIn, CountOut

D = Decimal
DUE = "2026-11-01T18:00:00+08:00"  # 10:00 UTC, eight hours after AT


def test_compare_lists_missing_and_unexpected_codes_in_order() -> None:
    finding = reconcile.compare(
        {"EX-2": D(1), "EX-1": D(1), "LOT-A": D("500")},
        {"EX-1": D(1), "EX-9": D(1), "LOT-A": D("480")},
    )
    assert [(x.code, x.expected, x.counted) for x in finding.missing] == [
        ("EX-2", D(1), D(0)),
        ("LOT-A", D(500), D(480)),
    ]
    assert [(x.code, x.counted) for x in finding.unexpected] == [("EX-9", D(1))]
    assert not finding.clean
    assert reconcile.compare({"EX-1": D(1)}, {"EX-1": D(1)}).clean


def test_overdue_is_a_function_of_the_clock_it_is_given() -> None:
    def custody(n: int, due: datetime | None) -> reconcile.OpenCustody:
        return reconcile.OpenCustody(n, 1, n, f"EX-{n}", "ship", AT, due)

    now = AT + timedelta(hours=8)
    items = [custody(1, now + timedelta(seconds=1)), custody(2, now), custody(3, None)]
    items.append(custody(4, now - timedelta(hours=1)))
    assert [c.entry_id for c in reconcile.overdue(items, now)] == [4]
    assert [c.entry_id for c in reconcile.overdue(items, now + timedelta(seconds=2))] == [4, 2, 1]
    assert reconcile.due_at({"due_at": DUE}) == datetime(2026, 11, 1, 10, tzinfo=UTC)
    assert reconcile.due_at({"due_at": "2026-11-01T18:00:00"}) is None  # no zone: no window


def _count(session: Session, site: int, *codes: str, actor: Actor = REG) -> CountOut:
    data = CountIn.model_validate({"items": [{"code": c} for c in codes]})
    return alerts.count_site(session, actor=actor, site_id=site, data=data, at=AT + timedelta(1))


def test_missing_detonator_is_found_by_the_count(session: Session) -> None:
    maker, mag = enterprise(session, "甲厂")
    other, store = enterprise(session, "乙矿", kind="user")
    for code in ("EX-1", "EX-2", "EX-3"):
        event(session, "produce", maker, code, site_id=mag)
    event(session, "produce", other, "EX-OTHER", site_id=store)
    clean = alerts.count_site(
        session,
        actor=REG,
        site_id=mag,
        data=CountIn.model_validate({"items": [{"code": c} for c in ("EX-1", "EX-2", "EX-3")]}),
    )
    assert (clean.missing, clean.unexpected, clean.alert_id) == ([], [], None)
    out = _count(session, mag, "EX-1", "EX-3", "EX-OTHER", "EX-NEVER")
    assert [x.code for x in out.missing] == ["EX-2"]
    assert [x.code for x in out.unexpected] == ["EX-NEVER", "EX-OTHER"]
    alert = session.get(Alert, out.alert_id)
    assert alert is not None and alert.kind == "discrepancy" and alert.site_id == mag
    detail = alerts.alert_out(alert).detail
    assert detail["missing"] == ["EX-2"]
    assert detail["unexpected"] == ["EX-NEVER", "EX-OTHER"]
    assert detail["unregistered"] == ["EX-NEVER"]
    history = service.item_history(session, actor=REG, code="EX-2")
    assert [e.event for e in history] == ["produce", "count"]
    stock = {s.code for s in service.stock(session, actor=REG, site_id=mag)}
    assert stock == {"EX-1", "EX-2", "EX-3"}  # a count moves nothing


def test_a_lot_counted_short_is_missing_by_its_quantity(session: Session) -> None:
    maker, mag = enterprise(session, "甲化")
    event(
        session,
        "produce",
        maker,
        "LOT-1",
        quantity="500",
        item_kind="chemical",
        hazard_class="3",
        site_id=mag,
    )
    data = CountIn.model_validate({"items": [{"code": "LOT-1", "quantity": "480"}]})
    out = alerts.count_site(session, actor=REG, site_id=mag, data=data)
    assert [(x.code, x.expected, x.counted) for x in out.missing] == [("LOT-1", D(500), D(480))]
    (entry,) = [e for e in service.item_history(session, actor=REG, code="LOT-1")[1:]]
    assert (entry.event, entry.quantity) == ("count", D(500))


def test_ship_not_delivered_in_its_window_raises_one_alert(session: Session) -> None:
    maker, mag = enterprise(session, "甲厂")
    buyer, _ = enterprise(session, "乙矿", kind="user")
    for code in ("EX-1", "EX-2"):
        event(session, "produce", maker, code, site_id=mag)
        event(session, "ship", maker, code, site_id=mag, payload={"due_at": DUE}, minutes=5)
    event(session, "deliver", maker, "EX-2", to_enterprise_id=buyer, minutes=60)
    due = datetime(2026, 11, 1, 10, tzinfo=UTC)
    assert alerts.check_overdue(session, now=due) == []
    (late,) = alerts.check_overdue(session, now=due + timedelta(minutes=1))
    out = alerts.alert_out(late)
    assert (out.kind, out.detail["code"], out.detail["due_at"]) == (
        "undelivered",
        "EX-1",
        due.isoformat(),
    )
    assert alerts.check_overdue(session, now=due + timedelta(hours=5)) == []  # once only


def test_ship_takes_its_window_from_the_transport_permit(session: Session) -> None:
    from tests.domains.transport import builders as transport
    from tests.domains.transport.corridor_builders import issue

    maker, mag = enterprise(session, "甲厂")
    until = datetime(2026, 11, 1, 20, tzinfo=UTC)
    permit = issue(
        session,
        transport.provision(session, hazard_classes=["1.1"], body_type="van"),
        hazard_class="1.1",
        un_number="0030",
        valid_until=until.isoformat(),
    )
    event(session, "produce", maker, "EX-1", site_id=mag)
    shipped = event(session, "ship", maker, "EX-1", site_id=mag, payload={"permit_id": permit.id})
    assert alerts.check_overdue(session, now=until) == []
    (late,) = alerts.check_overdue(session, now=until + timedelta(seconds=1))
    assert late.entry_id == shipped.id and late.kind == "undelivered"
    with pytest.raises(NotFound):
        event(session, "ship", maker, "EX-1", site_id=mag, payload={"permit_id": 999999})
    petrol = issue(session, transport.provision(session, 2), valid_until=until.isoformat())
    event(session, "produce", maker, "EX-2", site_id=mag)
    with pytest.raises(Conflict, match="为第 3 类"):
        event(session, "ship", maker, "EX-2", site_id=mag, payload={"permit_id": petrol.id})


def test_ship_needs_a_window(session: Session) -> None:
    maker, mag = enterprise(session, "甲厂")
    event(session, "produce", maker, "EX-1", site_id=mag)
    with pytest.raises(InvalidInput) as refused:
        event(session, "ship", maker, "EX-1", site_id=mag)
    assert refused.value.field == "payload.due_at"
    with pytest.raises(InvalidInput):
        event(session, "ship", maker, "EX-1", site_id=mag, payload={"due_at": "2026-10-01T00:00Z"})


def test_loss_report_opens_an_alert_and_resolving_needs_a_note(session: Session) -> None:
    maker, mag = enterprise(session, "甲厂")
    event(session, "produce", maker, "EX-1", site_id=mag)
    entry = event(session, "loss", maker, "EX-1", site_id=mag, payload={"cause": "theft"})
    alert = session.scalars(select(Alert).where(Alert.entry_id == entry.id)).one()
    assert alert.kind == "loss_report" and alerts.alert_out(alert).detail["cause"] == "theft"
    county = Actor(user_id=9, username="hc", role="regulator", division=OTHER)
    with pytest.raises(NotFound):
        alerts.resolve_alert(session, actor=county, alert_id=alert.id, note="x")
    with pytest.raises(InvalidInput):
        alerts.resolve_alert(session, actor=REG, alert_id=alert.id, note="  ")
    done = alerts.resolve_alert(session, actor=REG, alert_id=alert.id, note="已立案侦查")
    assert (done.status, done.resolved_by, done.note) == ("resolved", "reg", "已立案侦查")
    with pytest.raises(Conflict):
        alerts.resolve_alert(session, actor=REG, alert_id=alert.id, note="again")
    audited = session.scalars(
        select(AuditEntry.action).where(
            AuditEntry.record_type == "hazmat_alert", AuditEntry.record_id == str(alert.id)
        )
    ).all()
    assert list(audited) == ["resolve"]
    listed = alerts.list_alerts(session, actor=REG, status="resolved", kind="loss_report")
    assert [a.id for a in listed.items] == [alert.id]
    with pytest.raises(InvalidInput):
        alerts.list_alerts(session, actor=REG, kind="nonsense")


def test_cli_check_overdue(fresh_url: str, monkeypatch: pytest.MonkeyPatch) -> None:
    from typer.testing import CliRunner

    from zhian.cli import app as cli
    from zhian.core.db import make_engine, make_sessionmaker, unit_of_work

    engine = make_engine(fresh_url)
    with unit_of_work(make_sessionmaker(engine)) as session:
        maker, mag = enterprise(session, "甲厂")
        event(session, "produce", maker, "EX-1", site_id=mag)
        event(session, "ship", maker, "EX-1", site_id=mag, payload={"due_at": DUE})
    engine.dispose()
    monkeypatch.setenv("ZHIAN_DATABASE_URL", fresh_url)
    first = CliRunner().invoke(cli, ["ledger", "check-overdue"])  # long after DUE
    assert first.exit_code == 0, first.output
    assert "1 overdue custody alerts opened" in first.output
    again = CliRunner().invoke(cli, ["ledger", "check-overdue"])
    assert "0 overdue custody alerts opened" in again.output


class TestAlertScope(JurisdictionScopeSuite):
    list_path = "/api/v1/hazmat/alerts"
    detail_path = "/api/v1/hazmat/alerts/{key}"
    record_type = "hazmat_alert"

    def make_record(self, session: Session, division: str, n: int) -> str:
        ent, site = enterprise(session, f"企业{n}", division=division)
        event(session, "produce", ent, f"EX-S{n}", site_id=site)
        return str(_count(session, site).alert_id)


def test_count_and_alerts_through_the_api(fresh_url: str) -> None:
    with running_app(fresh_url) as app:
        from zhian.core.db import unit_of_work

        with unit_of_work(app.factory) as session:
            ent, site = enterprise(session, "甲厂", division=HOME)
            event(session, "produce", ent, "EX-1", site_id=site)
            event(session, "produce", ent, "EX-2", site_id=site)
        headers = app.headers(app.token("reg1", role="regulator", division=HOME))
        counted = app.client.post(
            f"/api/v1/hazmat/sites/{site}/counts",
            json={"items": [{"code": "EX-1"}]},
            headers=headers,
        )
        assert counted.status_code == 201, counted.text
        body = counted.json()
        assert [x["code"] for x in body["missing"]] == ["EX-2"]
        twice = app.client.post(
            f"/api/v1/hazmat/sites/{site}/counts",
            json={"items": [{"code": "EX-1"}, {"code": "EX-1"}]},
            headers=headers,
        )
        assert twice.status_code == 422
        listed = app.client.get(
            "/api/v1/hazmat/alerts", params={"status": "open"}, headers=headers
        ).json()
        assert [a["id"] for a in listed["items"]] == [body["alert_id"]]
        assert listed["items"][0]["detail"]["missing"] == ["EX-2"]
        officer = app.headers(app.token("off1", role="officer", division=HOME))
        path = f"/api/v1/hazmat/alerts/{body['alert_id']}/resolve"
        assert app.client.post(path, json={"note": "x"}, headers=officer).status_code == 403
        resolved = app.client.post(path, json={"note": "补录出库单"}, headers=headers)
        assert resolved.status_code == 200 and resolved.json()["status"] == "resolved"

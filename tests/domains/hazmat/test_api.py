"""The hazmat API through the app: contracts, refusals with reasons (audited), the scope suite."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from tests.domains.hazmat.builders import HOME, OTHER, REG
from tests.helpers import App, running_app
from tests.suites.scope import JurisdictionScopeSuite
from zhian.core.audit.models import AuditEntry
from zhian.domains.hazmat import service, verify
from zhian.domains.hazmat.schemas import EnterpriseCreate

BASE = "/api/v1/hazmat"


class TestEnterpriseScope(JurisdictionScopeSuite):
    list_path = BASE + "/enterprises"
    detail_path = BASE + "/enterprises/{key}"
    record_type = "hazmat_enterprise"

    def make_record(self, session: Session, division: str, n: int) -> str:
        data = EnterpriseCreate(name=f"民爆{n}", kind="seller", division=division)
        return str(service.create_enterprise(session, actor=REG, data=data).id)


class TestEnterpriseStockScope(TestEnterpriseScope):
    """Another county's stock is as absent as its enterprise."""

    detail_path = BASE + "/enterprises/{key}/stock"


@pytest.fixture()
def app(fresh_url: str) -> Iterator[App]:
    with running_app(fresh_url) as running:
        yield running


def _setup(app: App, headers: dict[str, str]) -> dict[str, Any]:
    ids: dict[str, Any] = {}
    for name, kind, division in (("甲厂", "producer", HOME), ("乙矿", "user", OTHER)):
        resp = app.client.post(
            BASE + "/enterprises",
            json={"name": name, "kind": kind, "division": division, "address": "渭南"},
            headers=headers,
        )
        assert resp.status_code == 201, resp.text
        ent = resp.json()["id"]
        lic = app.client.post(
            f"{BASE}/enterprises/{ent}/licences",
            json={
                "number": f"LIC-{ent}",
                "limits": {"1.1": "50"},
                "valid_from": "2026-01-01",
                "valid_until": "2099-12-31",
            },
            headers=headers,
        )
        assert lic.status_code == 201, lic.text
        site = app.client.post(
            f"{BASE}/enterprises/{ent}/sites",
            json={"name": "1号库", "capacity": {"1.1": "100"}},
            headers=headers,
        )
        assert site.status_code == 201, site.text
        ids[name] = (ent, site.json()["id"])
    return ids


def _event(kind: str, ent: int, code: str, **fields: Any) -> dict[str, Any]:
    return {
        "event": kind,
        "enterprise_id": ent,
        "item": {"kind": "explosive", "code": code, "hazard_class": "1.1"},
        "quantity": "1",
        **fields,
    }


def test_ledger_contracts(app: App) -> None:
    headers = app.headers(app.token("city_reg", role="regulator", division="610500"))
    ids = _setup(app, headers)
    (maker, mag), (buyer, store) = ids["甲厂"], ids["乙矿"]
    made = app.client.post(
        BASE + "/events", json=_event("produce", maker, "EX-1", site_id=mag), headers=headers
    )
    assert made.status_code == 201, made.text
    assert made.json()["seq"] == 1 and made.json()["actor"] == "city_reg"
    sold = app.client.post(
        BASE + "/ledger",
        json=_event("transfer", maker, "EX-1", site_id=mag, to_enterprise_id=buyer),
        headers=headers,
    )
    assert sold.status_code == 201, sold.text
    got = app.client.post(
        BASE + "/ledger", json=_event("receive", buyer, "EX-1", site_id=store), headers=headers
    )
    assert got.status_code == 201, got.text
    stock = app.client.get(f"{BASE}/enterprises/{buyer}/stock", headers=headers)
    assert stock.status_code == 200
    assert [(s["code"], s["site_id"]) for s in stock.json()] == [("EX-1", store)]
    at_site = app.client.get(BASE + "/stock", params={"site": store}, headers=headers)
    assert [s["code"] for s in at_site.json()] == ["EX-1"]
    assert app.client.get(BASE + "/stock", params={"site": mag}, headers=headers).json() == []
    history = app.client.get(BASE + "/items/EX-1/history", headers=headers)
    assert [e["event"] for e in history.json()] == ["produce", "transfer", "receive"]
    county = app.headers(app.token("county", role="regulator", division=HOME))
    mine = app.client.get(BASE + "/items/EX-1/history", headers=county)
    assert [e["event"] for e in mine.json()] == ["produce", "transfer"]
    assert (
        app.client.get(BASE + "/stock", params={"site": store}, headers=county).status_code == 404
    )
    assert app.client.get(BASE + "/items/NOPE/history", headers=headers).status_code == 404
    export = app.client.get(f"{BASE}/enterprises/{maker}/ledger/export", headers=headers)
    assert export.status_code == 200
    assert verify.verify_export(export.json()).ok
    page = app.client.get(BASE + "/enterprises", headers=headers)
    assert page.json()["total"] == 2


def test_refused_event_is_409_with_reason_and_audited(app: App) -> None:
    headers = app.headers(app.token("city_reg", role="regulator", division="610500"))
    ids = _setup(app, headers)
    (maker, mag), _ = ids["甲厂"], ids["乙矿"]
    app.client.post(
        BASE + "/ledger", json=_event("produce", maker, "EX-1", site_id=mag), headers=headers
    )
    again = app.client.post(
        BASE + "/ledger", json=_event("produce", maker, "EX-1", site_id=mag), headers=headers
    )
    assert again.status_code == 409
    assert "已存在" in again.json()["detail"][0]["msg"]
    shapeless = app.client.post(
        BASE + "/ledger", json=_event("produce", maker, "EX-2"), headers=headers
    )
    assert shapeless.status_code == 422
    assert shapeless.json()["detail"][0]["field"] == "site_id"
    with app.factory() as session:
        refused = session.scalars(select(AuditEntry).where(AuditEntry.outcome == "refused")).all()
        assert len(refused) == 2
        assert verify.verify_all(session).entries == 1
    # PostgreSQL's text cannot hold a NUL: refused the same on both databases, naming it.
    produced = _event("produce", maker, "EX-3", site_id=mag)
    for nul, field in [
        (produced | {"reference": "运单\u00001"}, "reference"),
        (produced | {"item": produced["item"] | {"code": "EX\u00003"}}, "code"),
    ]:
        refused_nul = app.client.post(BASE + "/ledger", json=nul, headers=headers)
        assert refused_nul.status_code == 422, refused_nul.text
        assert refused_nul.json()["detail"][0]["loc"][-1] == field, refused_nul.json()


def test_roles_without_the_permission_are_refused(app: App) -> None:
    headers = app.headers(app.token("disp", role="dispatcher", division=HOME))
    resp = app.client.get(BASE + "/enterprises", headers=headers)
    assert resp.status_code == 403
    security = app.headers(app.token("sec", role="unit_security", division=HOME))
    made = app.client.post(
        BASE + "/enterprises",
        json={"name": "x", "kind": "seller", "division": HOME},
        headers=security,
    )
    assert made.status_code == 403

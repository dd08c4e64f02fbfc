"""The registry's HTTP contracts: geocode, address and organization lists and details."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session
from typer.testing import CliRunner

from tests.domains.places import registry_data as data
from tests.helpers import App, running_app
from tests.suites.scope import JurisdictionScopeSuite
from zhian.cli import app as cli
from zhian.core.audit.models import AuditEntry
from zhian.core.db import unit_of_work


@pytest.fixture()
def world(fresh_url: str) -> Iterator[tuple[App, dict[str, int]]]:
    with running_app(fresh_url) as app:
        with unit_of_work(app.factory) as session:
            ids = data.build(session)
        yield app, ids


def test_geocode_answers_the_parse_and_the_registry(world: tuple[App, dict[str, int]]) -> None:
    app, ids = world
    headers = app.headers(app.token("geo_disp", role="dispatcher", division=data.HOME))
    resp = app.client.get(
        "/api/v1/addresses/geocode", params={"q": "临渭区朝阳大街12号3号楼"}, headers=headers
    )
    assert resp.status_code == 200, resp.text
    body = resp.json()
    assert body["county_code"] == data.HOME and body["building"] == "3"
    assert (body["address_id"], body["level"]) == (ids["house"], "building")
    unsure = app.client.get(
        "/api/v1/addresses/geocode", params={"q": "临渭区朝杨大街12号"}, headers=headers
    ).json()
    assert unsure["address_id"] is None and unsure["candidates"][0]["road"] == "朝阳大街"
    for params in ({"q": "  "}, {}):
        bad = app.client.get("/api/v1/addresses/geocode", params=params, headers=headers)
        assert bad.status_code == 422 and "q" in json.dumps(bad.json())


def test_organization_contact_by_role_and_audited(world: tuple[App, dict[str, int]]) -> None:
    app, ids = world
    path = f"/api/v1/organizations/{ids['org_610502']}"
    disp = app.headers(app.token("org_disp", role="dispatcher", division=data.HOME))
    officer = app.headers(app.token("org_officer", role="officer", division=data.HOME))
    listed = app.client.get("/api/v1/organizations", headers=disp).json()
    assert listed["items"][0]["contact_phone"] == "138****1234"
    shown = app.client.get(path, headers=disp).json()
    assert shown["contact_phone"] == "13800001234" and shown["contact_masked"] is False
    masked = app.client.get(path, headers=officer).json()
    assert masked["contact_phone"] == "138****1234" and masked["contact_masked"] is True
    with app.factory() as session:
        reads = session.scalars(
            select(AuditEntry.actor).where(
                AuditEntry.action == "read", AuditEntry.record_id == str(ids["org_610502"])
            )
        ).all()
    assert list(reads) == ["org_disp", "org_officer"]


def test_address_detail_lists_buildings_and_organizations(
    world: tuple[App, dict[str, int]],
) -> None:
    app, ids = world
    headers = app.headers(app.token("addr_leader", role="leader", division=data.HOME))
    twelve = app.client.get(f"/api/v1/addresses/{ids['house']}", headers=headers).json()
    assert twelve["label"] == "临渭区朝阳大街12号" and twelve["buildings"][0]["rooms"] == 1
    found = app.client.get("/api/v1/addresses", params={"q": "朝阳大街3"}, headers=headers).json()
    assert found["total"] == 1 and found["items"][0]["number"] == 3
    three = app.client.get(f"/api/v1/addresses/{found['items'][0]['id']}", headers=headers).json()
    assert three["organizations"][0]["contact_phone"] == "138****1234"


def test_cli_parse_adds_registry_fields(
    world: tuple[App, dict[str, int]], fresh_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    _, ids = world
    monkeypatch.setenv("ZHIAN_DATABASE_URL", fresh_url)
    lines = ["临渭区朝阳大街12号", "", "@@@", "临渭区朝阳大街99号"]
    result = CliRunner().invoke(cli, ["address", "parse"], input="\n".join(lines) + "\n")
    assert result.exit_code == 0, result.output
    out = [json.loads(x) for x in result.stdout.splitlines()]
    assert len(out) == 4
    assert (out[0]["address_id"], out[0]["level"]) == (ids["house"], "house")
    assert "address_id" not in out[1] and "address_id" not in out[2]
    assert out[3]["level"] == "road" and out[3]["address_id"] is None


class TestAddressScope(JurisdictionScopeSuite):
    list_path = "/api/v1/addresses"
    detail_path = "/api/v1/addresses/{key}"
    record_type = "place_house"

    def make_record(self, session: Session, division: str, n: int) -> str:
        name = f"测试{n}路"
        data.road(session, division, name, range(1, 2))
        return str(_first(session, name, division))


class TestOrganizationScope(JurisdictionScopeSuite):
    list_path = "/api/v1/organizations"
    detail_path = "/api/v1/organizations/{key}"
    record_type = "place_organization"

    def make_record(self, session: Session, division: str, n: int) -> str:
        from zhian.core.scope import SYSTEM
        from zhian.domains.places.registry import organizations
        from zhian.domains.places.registry.choices import OrgCategory
        from zhian.domains.places.registry.schemas import OrganizationCreate

        name = f"单位{n}路"
        data.road(session, division, name, range(1, 2))
        org = organizations.create_organization(
            session,
            actor=SYSTEM,
            data=OrganizationCreate(
                name=f"单位{n}",
                category=OrgCategory.HOTEL,
                house_id=int(_first(session, name, division)),
            ),
        )
        return str(org.id)


def _first(session: Session, road_name: str, county: str) -> Any:
    return data.find(session, road_name, 1, county).id

"""The places console pages through the app: search, address page, imports, home quality."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from typing import Any

import pytest
from sqlalchemy import select

from tests.domains.places import registry_data as data
from tests.domains.places.test_imports import as_csv, house_rows
from tests.helpers import App, running_app
from zhian.core.audit.models import AuditEntry
from zhian.core.db import unit_of_work
from zhian.domains.places.registry.quality_schemas import QualityRow
from zhian.web.i18n import translator
from zhian.web.templating import templates


@pytest.fixture()
def world(fresh_url: str) -> Iterator[tuple[App, dict[str, Any]]]:
    with running_app(fresh_url) as app:
        with unit_of_work(app.factory) as session:
            ids: dict[str, Any] = dict(data.build(session))
            ids["seat"] = data.seat(session, data.HOME)
            ids["other_seat"] = data.seat(session, data.OTHER)
            ids["other_house"] = data.find(session, "金城大街", 1, data.OTHER).id
        yield app, ids


def test_search_page_lists_addresses_and_opens_one(world: tuple[App, dict[str, Any]]) -> None:
    app, ids = world
    officer = app.headers(app.token("pg_officer", role="officer", division=data.HOME))
    empty = app.client.get("/places", headers=officer)
    assert empty.status_code == 200 and "data-zh-address-search" in empty.text
    assert "address-results" not in empty.text
    found = app.client.get("/places", params={"q": "朝阳大街"}, headers=officer).text
    links = re.findall(r'href="/places/addresses/(\d+)"', found)
    assert len(links) == 20 and str(ids["house"]) in links
    page = app.client.get(f"/places/addresses/{ids['house']}", headers=officer)
    assert page.status_code == 200 and "临渭区朝阳大街12号" in page.text
    assert (
        app.client.get("/places", params={"q": "金城大街"}, headers=officer).text.count(
            'href="/places/addresses/'
        )
        == 0
    )
    other = app.client.get(f"/places/addresses/{ids['other_house']}", headers=officer)
    assert other.status_code == 404


def test_import_form_starts_a_job_and_its_page_reports_the_rows(
    world: tuple[App, dict[str, Any]],
) -> None:
    app, ids = world
    cmd = app.headers(app.token("pg_cmd", role="commander", division=data.HOME))
    form = app.client.get("/places/imports", headers=cmd).text
    assert 'action="/places/imports"' in form
    resp = app.client.post(
        "/places/imports",
        files={"file": ("门牌.csv", as_csv(house_rows(ids)), "text/csv")},
        data={"kind": "houses"},
        headers=cmd,
        follow_redirects=False,
    )
    assert resp.status_code == 303, resp.text
    job_url = resp.headers["location"]
    assert re.fullmatch(r"/places/imports/\d+", job_url)
    job = app.client.get(job_url, headers=cmd).text
    assert re.findall(r'data-row="(\d+)"', job) == ["6", "7", "8", "9"]
    assert 'data-testid="import-processed">8<' in job and "rejected.csv" in job
    listed = app.client.get("/places/imports", headers=cmd).text
    assert f'href="{job_url}"' in listed
    bad = app.client.post(
        "/places/imports",
        files={"file": ("门牌.txt", b"x", "text/plain")},
        data={"kind": "houses"},
        headers=cmd,
    )
    assert bad.status_code == 422 and "只支持 .csv 和 .xlsx 文件" in bad.text
    disp = app.headers(app.token("pg_disp", role="dispatcher", division=data.HOME))
    assert 'action="/places/imports"' not in app.client.get("/places/imports", headers=disp).text
    refused = app.client.post(
        "/places/imports",
        files={"file": ("门牌.csv", as_csv(house_rows(ids)), "text/csv")},
        headers=disp,
    )
    assert refused.status_code == 403
    other = app.headers(app.token("pg_other", role="commander", division=data.OTHER))
    assert app.client.get(job_url, headers=other).status_code == 404


def _rows(html: str) -> dict[str, str]:
    return dict(re.findall(r'<tr data-division="(\d{6})" class="([^"]*)">', html))


def test_home_shows_quality_of_the_visible_divisions(world: tuple[App, dict[str, Any]]) -> None:
    app, _ = world
    county = app.headers(app.token("pg_county", role="officer", division=data.HOME))
    home = app.client.get("/", headers=county).text
    assert _rows(home) == {data.HOME: "zh-below-target"}
    assert "1 个辖区未达标" in home and "低于目标" in home
    city = app.headers(app.token("pg_city", role="leader", division="610500"))
    rows = _rows(app.client.get("/", headers=city).text)
    assert len(rows) == 11 and set(rows.values()) == {"zh-below-target"}


def test_quality_table_marks_only_rates_below_target() -> None:
    def row(code: str, collection: float | None, accuracy: float | None) -> QualityRow:
        meets = (collection or 0) >= 0.95 and (accuracy or 0) >= 0.95
        return QualityRow(
            division=code,
            name=code,
            houses=100,
            collected=0,
            collection_rate=collection,
            verified=0,
            corrected=0,
            not_found=0,
            accuracy_rate=accuracy,
            target=0.95,
            meets_target=meets,
        )

    html = templates.env.get_template("places/_quality.html").render(
        rows=[row("610502", 0.97, 0.95), row("610503", 0.97, 0.9), row("610522", None, None)],
        _=translator("zh_CN"),
    )
    assert _rows(html) == {"610502": "", "610503": "zh-below-target", "610522": "zh-below-target"}
    good, low, empty = html.split("<tr data-division=")[1:]
    assert "zh-rate-low" not in good and "达标" in good
    assert low.count("zh-rate-low") == 1 and "90.0%" in low and "低于目标" in low
    assert empty.count("zh-rate-low") == 2 and "无数据" in empty


def test_address_page_shows_pin_hierarchy_masked_organizations_and_plate(
    world: tuple[App, dict[str, Any]],
) -> None:
    app, ids = world
    officer = app.headers(app.token("pg_officer", role="officer", division=data.HOME))
    with unit_of_work(app.factory) as session:
        kindergarten = data.find(session, "朝阳大街", 3)
        house_id, code, lon, lat = (
            kindergarten.id,
            kindergarten.code,
            kindergarten.lon,
            kindergarten.lat,
        )
    for url in (f"/places/addresses/{house_id}", f"/a/{code}"):
        page = app.client.get(url, headers=officer)
        assert page.status_code == 200
        pin = re.search(r'data-pin-lon="([^"]+)" data-pin-lat="([^"]+)"', page.text)
        assert pin is not None and (float(pin[1]), float(pin[2])) == (lon, lat)
        assert "js/address-map.js" in page.text and "<script>" not in page.text
        hierarchy = page.text.split('data-testid="address-hierarchy"')[1].split("</table>")[0]
        assert re.findall(r'data-level="(\w+)"', hierarchy) == ["district", "road", "house"]
        assert "临渭区" in hierarchy and "朝阳大街" in hierarchy
        orgs = page.text.split('data-testid="address-organizations"')[1].split("</section>")[0]
        assert f'href="/places/organizations/{ids["org_610502"]}"' in orgs
        assert "朝阳大街幼儿园" in orgs and "幼儿园</td>" in orgs
        assert "916105020000000001" in orgs
        assert "王**" in orgs and "138****1234" in orgs
        assert "王建国" not in page.text and "13800001234" not in page.text
        plate = page.text.split('data-testid="address-plate"')[1].split("</section>")[0]
        assert f'src="/api/v1/addresses/{house_id}/plate.svg"' in plate
        assert f'href="/api/v1/addresses/{house_id}/plate.pdf"' in plate
    twelve = app.client.get(f"/places/addresses/{ids['house']}", headers=officer).text
    assert 'data-level="building"' in twelve and "3号楼，1间房" in twelve
    assert '<li data-unit="2">2单元，1间房</li>' in twelve
    assert "该地址没有登记单位" in twelve
    with unit_of_work(app.factory) as session:
        other_code = data.find(session, "金城大街", 1, data.OTHER).code
    assert (
        app.client.get(f"/places/addresses/{ids['other_house']}", headers=officer).status_code
        == 404
    )
    assert app.client.get(f"/a/{other_code}", headers=officer).status_code == 404


def test_organization_page_shows_the_contact_only_to_roles_that_need_it(
    world: tuple[App, dict[str, Any]],
) -> None:
    app, ids = world
    officer = app.headers(app.token("pg_officer", role="officer", division=data.HOME))
    dispatcher = app.headers(app.token("pg_disp", role="dispatcher", division=data.HOME))
    url = f"/places/organizations/{ids['org_610502']}"
    masked = app.client.get(url, headers=officer)
    assert masked.status_code == 200 and "朝阳大街幼儿园" in masked.text
    assert "138****1234" in masked.text and "13800001234" not in masked.text
    shown = app.client.get(url, headers=dispatcher)
    assert "王建国" in shown.text and "13800001234" in shown.text
    other = app.client.get(f"/places/organizations/{ids['org_610581']}", headers=dispatcher)
    assert other.status_code == 404
    with unit_of_work(app.factory) as session:
        reads = session.scalars(
            select(AuditEntry.detail).where(
                AuditEntry.action == "read",
                AuditEntry.record_type == "place_organization",
                AuditEntry.record_id == str(ids["org_610502"]),
            )
        ).all()
    assert [json.loads(r)["contact"] for r in reads] == ["masked", "shown"]

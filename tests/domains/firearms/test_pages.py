"""Console pages: the serial lookup (a stolen gun shows as stolen) and the hazmat alerts."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.api.test_console_auth import sign_in
from tests.domains.firearms.test_firearms import gun, holder
from tests.domains.hazmat.builders import HOME, OTHER, REG, enterprise, event
from tests.helpers import App, running_app
from zhian.core.db import unit_of_work
from zhian.domains.firearms import service
from zhian.domains.firearms.schemas import LossIn


@pytest.fixture()
def app(fresh_url: str) -> Iterator[App]:
    with running_app(fresh_url) as running:
        yield running


def test_serial_lookup_page_shows_a_stolen_gun(app: App) -> None:
    with unit_of_work(app.factory) as session:
        h = holder(session)
        stolen, fine = gun(session, h), gun(session, h, "WN-0002")
        service.report_loss(session, actor=REG, data=LossIn(serial=stolen, cause="theft"))
    app.user("hc_officer", role="officer", division=OTHER)
    assert sign_in(app, "hc_officer").status_code == 303  # type: ignore[attr-defined]
    page = app.client.get("/firearms", params={"serial": stolen.lower()})
    assert page.status_code == 200
    assert 'data-flag="stolen"' in page.text and "已报被盗" in page.text
    assert "渭南保安服务公司" in page.text and "<script>" not in page.text
    assert 'data-flag=""' in app.client.get("/firearms", params={"serial": fine}).text
    unknown = app.client.get("/firearms", params={"serial": "NONE-1"})
    assert 'data-testid="not-registered"' in unknown.text
    assert 'href="/firearms"' in app.client.get("/").text


def test_hazmat_page_lists_open_alerts_of_the_jurisdiction(app: App) -> None:
    with unit_of_work(app.factory) as session:
        ent, site = enterprise(session, "甲厂", division=HOME)
        far, far_site = enterprise(session, "韩城厂", division=OTHER)
        event(session, "produce", ent, "EX-1", site_id=site)
        event(session, "produce", far, "EX-9", site_id=far_site)
        event(session, "loss", ent, "EX-1", site_id=site, payload={"cause": "theft"})
        event(session, "loss", far, "EX-9", site_id=far_site, payload={"cause": "loss"})
    app.user("lw_reg", role="regulator", division=HOME)
    assert sign_in(app, "lw_reg").status_code == 303  # type: ignore[attr-defined]
    page = app.client.get("/hazmat")
    assert page.status_code == 200
    assert "丢失被盗报告" in page.text and "EX-1" in page.text and "甲厂" in page.text
    assert "EX-9" not in page.text  # another county's
    resp = app.client.get("/hazmat", follow_redirects=False)
    assert resp.status_code == 200
    app.client.cookies.clear()
    assert app.client.get("/hazmat", follow_redirects=False).status_code == 303

"""Handling an emergency alert on the transport console in a real browser: acknowledge it
(the terminal is told), try to resolve it without a note, then resolve it with one."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select

from tests.browser import chromium_page, serving
from tests.conftest import migrate
from tests.domains.transport.builders import HOME, RULES, feed, provision
from tests.domains.transport.test_alarm_confirm import FakeDownlink
from tests.helpers import PASSWORD, make_user
from zhian.domains.transport.models import Alert

pytestmark = pytest.mark.browser


@dataclass
class Served:
    base: str
    downlink: FakeDownlink
    phone: str
    url: str


@pytest.fixture()
def served(tmp_path: Path) -> Iterator[Served]:
    """The app under uvicorn, a dispatcher of 临渭区 and a truck whose button was pressed."""

    from zhian.app import create_app
    from zhian.core.db import make_engine, make_sessionmaker, unit_of_work
    from zhian.core.settings import Settings

    url = f"sqlite:///{tmp_path / 'alerts.db'}"
    migrate(url)
    engine = make_engine(url)
    with unit_of_work(make_sessionmaker(engine)) as session:
        make_user(session, "linwei_dsp", role="dispatcher", division=HOME)
        vehicle = provision(session)
        feed(session, vehicle, [40, 40, 40], alarms=[1, 1, 1], rules=RULES)
        phone = vehicle.terminal_phone
    engine.dispose()
    app = create_app(Settings(database_url=url, bus="memory"))
    with serving(app) as base:
        downlink = FakeDownlink("confirmed")
        app.state.terminal_downlink = downlink  # in place of the gateway the lifespan left out
        yield Served(base, downlink, phone, url)


def sign_in(page: Any, base: str) -> None:
    page.goto(base + "/login", wait_until="domcontentloaded")
    page.fill("#username", "linwei_dsp")
    page.fill("#password", PASSWORD)
    page.click("button[type=submit].zh-button-primary")
    page.wait_for_selector("[data-testid=current-user]")


def test_acknowledge_then_resolve_an_emergency_alert(served: Served) -> None:
    base = served.base
    problems: list[str] = []
    with chromium_page(problems) as page:
        sign_in(page, base)

        page.goto(base + "/transport", wait_until="domcontentloaded")
        row = "[data-testid=open-alerts] tr[data-kind=emergency]"
        page.wait_for_selector(f"{row}[data-state=open]")
        assert "待确认" in (page.locator(f"{row} [data-cell=state]").text_content() or "")

        page.click(f"{row} form[data-action=acknowledge] button")
        page.wait_for_selector(f"{row}[data-state=acknowledged]")
        assert served.downlink.calls == [(served.phone, 1)]
        terminal = page.locator(f"{row} [data-cell=terminal]").text_content() or ""
        assert "终端已确认" in terminal
        assert "linwei_dsp" in (page.locator(f"{row} [data-cell=state]").text_content() or "")
        assert page.locator(f"{row} form[data-action=acknowledge]").count() == 0

        # No note: the page says so in Chinese, on that alert's note field.
        page.click(f"{row} form[data-action=resolve] button")
        error = page.wait_for_selector(f"{row} [data-testid=alert-error]")
        assert error.get_attribute("data-field") == "note"
        assert "须填写处置说明" in (error.text_content() or "")

        page.fill(f"{row} textarea[name=note]", "已联系驾驶员，系误触")
        page.click(f"{row} form[data-action=resolve] button")
        handled = page.wait_for_selector("[data-testid=alert-handled][data-status=resolved]")
        assert "终端已确认" in (handled.text_content() or "")
        assert page.locator(row).count() == 0
        page.wait_for_selector("[data-testid=no-alerts]")
        assert served.downlink.calls == [(served.phone, 1)]  # not sent again
    # The refused submission answers 422, which Chromium logs as a failed resource; only that.
    refused = [p for p in problems if "status of 422" in p]
    assert len(refused) == 1, problems
    assert [p for p in problems if p not in refused] == []


def test_an_alert_raised_while_the_page_is_open_is_announced(served: Served) -> None:
    from zhian.core.db import make_engine, make_sessionmaker, unit_of_work

    problems: list[str] = []
    with chromium_page(problems) as page:
        sign_in(page, served.base)
        page.goto(served.base + "/transport", wait_until="domcontentloaded")
        notice = "[data-testid=new-alerts]"
        # The first check finds nothing new: the page's own alert is not announced.
        page.wait_for_selector("#alerts[data-live-checked]", timeout=20_000)
        assert page.get_attribute("#alerts", "data-new-count") == "0"
        assert page.locator(notice).is_hidden()

        engine = make_engine(served.url)
        with unit_of_work(make_sessionmaker(engine)) as session:
            other = provision(session, 2, plate="陕E22222")
            feed(session, other, [40], alarms=[1], rules=RULES)
            raised = session.scalar(select(Alert.id).where(Alert.vehicle_id == other.id))
        engine.dispose()

        page.wait_for_selector(f"{notice}:not([hidden])", timeout=20_000)
        assert "本页打开后新产生 1 条告警" in (page.locator(notice).text_content() or "")
        page.click(f"{notice} a")
        page.wait_for_selector(f"[data-testid=open-alerts] tr[data-alert-id='{raised}']")
        page.wait_for_selector("#alerts[data-live-checked]", timeout=20_000)
        assert page.get_attribute("#alerts", "data-new-count") == "0"
        assert page.locator(notice).is_hidden()
    assert problems == []

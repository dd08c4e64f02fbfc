"""Handling an emergency alert on the transport console in a real browser: acknowledge it
(the terminal is told), try to resolve it without a note, then resolve it with one."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.browser import chromium_page, serving
from tests.conftest import migrate
from tests.domains.transport.builders import HOME, RULES, feed, provision
from tests.domains.transport.test_alarm_confirm import FakeDownlink
from tests.helpers import PASSWORD, make_user

pytestmark = pytest.mark.browser


@dataclass
class Served:
    base: str
    downlink: FakeDownlink
    phone: str


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
        yield Served(base, downlink, phone)


def test_acknowledge_then_resolve_an_emergency_alert(served: Served) -> None:
    base = served.base
    problems: list[str] = []
    with chromium_page(problems) as page:
        page.goto(base + "/login", wait_until="domcontentloaded")
        page.fill("#username", "linwei_dsp")
        page.fill("#password", PASSWORD)
        page.click("button[type=submit].zh-button-primary")
        page.wait_for_selector("[data-testid=current-user]")

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

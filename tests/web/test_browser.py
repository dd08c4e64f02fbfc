"""The console in a real browser: sign in, and the map shows Weinan's 11 county-level shapes."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.browser import chromium_page, serving
from tests.conftest import migrate
from tests.helpers import PASSWORD, make_user

pytestmark = pytest.mark.browser


@pytest.fixture()
def server(tmp_path: Path) -> Iterator[str]:
    """The real app under uvicorn on a loopback port, on a fresh SQLite database."""

    from zhian.app import create_app
    from zhian.core.db import make_engine, make_sessionmaker, unit_of_work
    from zhian.core.settings import Settings

    url = f"sqlite:///{tmp_path / 'browser.db'}"
    migrate(url)
    engine = make_engine(url)
    with unit_of_work(make_sessionmaker(engine)) as session:
        make_user(session, "linwei_patrol", role="officer", division="610502")
        make_user(session, "city_leader", role="leader", division="610500")
    engine.dispose()
    app = create_app(Settings(database_url=url, bus="memory"))
    with serving(app) as base:
        yield base


def _sign_in_and_count(base: str, username: str, width: int, height: int) -> tuple[int, list[str]]:
    problems: list[str] = []
    with chromium_page(problems, width=width, height=height) as page:
        page.goto(base + "/", wait_until="domcontentloaded")
        assert "/login" in page.url
        page.fill("#username", username)
        page.fill("#password", PASSWORD)
        page.click("button[type=submit].zh-button-primary")
        page.wait_for_selector("[data-zh-map][data-ready=true]", timeout=20_000)
        assert page.locator("[data-testid=current-user]").inner_text().strip() != ""
        counties = page.locator("[data-zh-map] path.zh-division:not(.zh-zone)").count()
    return counties, problems


def test_city_user_signs_in_and_sees_eleven_counties(server: str) -> None:
    counties, problems = _sign_in_and_count(server, "city_leader", 1280, 900)
    assert counties == 11
    assert not [p for p in problems if "Content Security Policy" in p or "Refused" in p]


def test_county_officer_on_a_phone_sees_only_their_county(server: str) -> None:
    counties, problems = _sign_in_and_count(server, "linwei_patrol", 390, 844)
    assert counties == 1
    assert not problems

"""Trip playback in a real browser: the stored track is drawn, the slider moves the truck."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.browser import chromium_page, serving
from tests.conftest import migrate
from tests.domains.transport.builders import feed, provision
from tests.domains.transport.corridor_builders import issue
from tests.helpers import PASSWORD, make_user

pytestmark = pytest.mark.browser

FIXES = 40


@pytest.fixture()
def served(tmp_path: Path) -> Iterator[tuple[str, int, int]]:
    """The app under uvicorn with one truck of 临渭区, its permit and 40 stored fixes."""

    from zhian.app import create_app
    from zhian.core.db import make_engine, make_sessionmaker, unit_of_work
    from zhian.core.settings import Settings

    url = f"sqlite:///{tmp_path / 'playback.db'}"
    migrate(url)
    engine = make_engine(url)
    with unit_of_work(make_sessionmaker(engine)) as session:
        make_user(session, "linwei_disp", role="dispatcher", division="610502")
        vehicle = provision(session)
        permit = issue(session, vehicle)
        feed(session, vehicle, [50.0] * 10 + [95.0] * 5 + [50.0] * (FIXES - 15))
        ids = (vehicle.id, permit.id)
    engine.dispose()
    app = create_app(Settings(database_url=url, bus="memory"))
    with serving(app) as base:
        yield base, ids[0], ids[1]


def test_vehicle_and_permit_playback_draw_the_track(served: tuple[str, int, int]) -> None:
    base, vehicle_id, permit_id = served
    problems: list[str] = []
    with chromium_page(problems) as page:
        page.goto(base + "/login", wait_until="domcontentloaded")
        page.fill("#username", "linwei_disp")
        page.fill("#password", PASSWORD)
        page.click("button[type=submit].zh-button-primary")
        page.wait_for_selector("[data-testid=current-user]")

        page.goto(base + "/transport", wait_until="domcontentloaded")
        page.click(f"a[href='/transport/vehicles/{vehicle_id}/playback']")
        # The default range is the day before the last fix: the whole stored track.
        page.wait_for_selector("[data-zh-playback][data-ready=true]", timeout=20_000)
        box = page.locator("[data-zh-playback]")
        assert box.get_attribute("data-track-count") == str(FIXES)
        d = page.locator("path.zh-track").get_attribute("d") or ""
        assert d.startswith("M") and d.count("L") == FIXES - 1
        assert box.get_attribute("data-alert-count") == "1"
        assert page.locator("circle.zh-track-alert").count() == 1

        start_x = page.locator("circle.zh-track-vehicle").get_attribute("cx")
        page.locator("[data-slider]").fill(str(FIXES - 1))
        assert box.get_attribute("data-index") == str(FIXES - 1)
        assert page.locator("circle.zh-track-vehicle").get_attribute("cx") != start_x
        page.locator("[data-alerts] button").first.click()
        assert box.get_attribute("data-index") == "10"  # where the overspeed opened

        page.goto(base + f"/transport/permits/{permit_id}/playback")
        page.wait_for_selector("[data-zh-playback][data-ready=true]", timeout=20_000)
        assert page.locator("path.zh-corridor").count() == 1
        assert page.locator("[data-zh-playback]").get_attribute("data-track-count") == str(FIXES)
    assert not problems, problems

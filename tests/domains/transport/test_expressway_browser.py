"""Drawing an expressway on the transport map in a real browser: click, undo, submit."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.browser import chromium_page, serving
from tests.conftest import migrate
from tests.helpers import PASSWORD, make_user

pytestmark = pytest.mark.browser


@pytest.fixture()
def served(tmp_path: Path) -> Iterator[str]:
    """The app under uvicorn with a regulator of 临渭区."""

    from zhian.app import create_app
    from zhian.core.db import make_engine, make_sessionmaker, unit_of_work
    from zhian.core.settings import Settings

    url = f"sqlite:///{tmp_path / 'expressways.db'}"
    migrate(url)
    engine = make_engine(url)
    with unit_of_work(make_sessionmaker(engine)) as session:
        make_user(session, "linwei_reg", role="regulator", division="610502")
    engine.dispose()
    app = create_app(Settings(database_url=url, bus="memory"))
    with serving(app) as base:
        yield base


def test_draw_a_centreline_by_clicking_and_register_it(served: str) -> None:
    base = served
    problems: list[str] = []
    with chromium_page(problems) as page:
        page.goto(base + "/login", wait_until="domcontentloaded")
        page.fill("#username", "linwei_reg")
        page.fill("#password", PASSWORD)
        page.click("button[type=submit].zh-button-primary")
        page.wait_for_selector("[data-testid=current-user]")

        page.goto(base + "/transport", wait_until="domcontentloaded")
        page.wait_for_selector("[data-testid=map][data-ready=true]", timeout=20_000)
        page.wait_for_selector("[data-testid=map][data-expressway-count='0']")
        page.click("[data-testid=expressway-draw] summary")
        svg = page.locator("[data-testid=map] svg")
        box = svg.bounding_box()
        assert box is not None
        cx, cy = box["width"] / 2, box["height"] / 2
        for dx in (-120, -40, 40, 120):
            svg.click(position={"x": cx + dx, "y": cy + dx / 4})
        map_el = page.locator("[data-testid=map]")
        assert map_el.get_attribute("data-draft-points") == "4"
        page.click("[data-undo]")
        assert map_el.get_attribute("data-draft-points") == "3"
        assert page.locator("[data-draft-count]").text_content() == "已绘 3 个点"
        drawn = json.loads(page.input_value("#ew-centreline"))
        assert drawn["type"] == "LineString" and len(drawn["coordinates"]) == 3
        lons = [p[0] for p in drawn["coordinates"]]
        assert lons == sorted(lons) and len(set(lons)) == 3  # west to east, as clicked
        assert all(108.5 < lon < 111 and 34 < lat < 36 for lon, lat in drawn["coordinates"])
        d = page.locator("path.zh-expressway-draft").get_attribute("d") or ""
        assert d.startswith("M") and d.count("L") == 2

        # A wrong route code: the page names the field in Chinese and keeps the drawing.
        page.fill("#ew-name", "连霍高速渭南段")
        page.fill("#ew-code", "30")
        page.fill("#ew-width", "60")
        page.click("[data-zh-expressway-form] button[type=submit]")
        error = page.wait_for_selector("[data-testid=expressway-error]")
        assert error.get_attribute("data-field") == "code"
        assert "路线编号" in (error.text_content() or "")
        page.wait_for_selector("[data-testid=map][data-draft-points='3']", timeout=20_000)

        page.fill("#ew-code", "G30")
        page.click("[data-zh-expressway-form] button[type=submit]")
        page.wait_for_selector("[data-testid=expressways] tr[data-expressway-id]")
        page.wait_for_selector("[data-testid=map][data-expressway-count='1']", timeout=20_000)
        assert page.locator("path.zh-expressway-band").count() == 1
        row = page.locator("[data-testid=expressways] tbody tr").first.text_content() or ""
        assert "连霍高速渭南段" in row and "G30" in row and "60" in row
        # The form starts afresh after a registration.
        assert page.input_value("#ew-centreline") == ""
    # The refused submission answers 422, which Chromium logs as a failed resource; only that.
    refused = [p for p in problems if "status of 422" in p]
    assert len(refused) == 1, problems
    assert [p for p in problems if p not in refused] == []

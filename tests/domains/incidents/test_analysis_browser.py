"""The analysis page in a real browser: the hotspot cells drawn on the map under strict CSP."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import pytest

from tests.browser import chromium_page, serving
from tests.conftest import migrate
from tests.domains.incidents.builders import CITY_DISPATCHER, HOME, make_incident
from tests.helpers import PASSWORD, make_user
from zhian.core.time import local, utcnow

pytestmark = pytest.mark.browser


@pytest.fixture()
def server(tmp_path: Path) -> Iterator[str]:
    """The app under uvicorn with a cluster of incidents at 临渭区's seat a few days ago."""

    from zhian.app import create_app
    from zhian.core.db import make_engine, make_sessionmaker, unit_of_work
    from zhian.core.settings import Settings

    url = f"sqlite:///{tmp_path / 'analysis.db'}"
    migrate(url)
    engine = make_engine(url)
    with unit_of_work(make_sessionmaker(engine)) as session:
        make_user(session, "lw_leader", role="leader", division=HOME)
        for i in range(12):
            incident = make_incident(
                session, by=CITY_DISPATCHER, offset=(0.002 * (i % 4), 0.002 * (i // 4))
            )
            incident.received_at = utcnow() - timedelta(days=2)
            incident.dispatched_at = incident.received_at + timedelta(seconds=60 + 10 * i)
        make_incident(session, offset=(0.05, 0.03))
    engine.dispose()
    app = create_app(Settings(database_url=url, bus="memory"))
    with serving(app) as base:
        yield base


def test_hotspot_cells_are_drawn_on_the_map(server: str) -> None:
    problems: list[str] = []
    today = local(utcnow()).date()
    with chromium_page(problems) as page:
        page.goto(server + "/login", wait_until="domcontentloaded")
        page.fill("#username", "lw_leader")
        page.fill("#password", PASSWORD)
        page.click("button[type=submit].zh-button-primary")
        page.wait_for_url(server + "/")
        # Navigate only once the page's own requests are answered: a request whose
        # authentication waits for SQLite's write lock blocks the server's event loop.
        page.wait_for_load_state("networkidle")
        since = (today - timedelta(days=7)).isoformat()
        page.goto(f"{server}/incidents/analysis?since={since}&cell_m=500")
        page.wait_for_selector("[data-zh-map][data-hotspot-count]", timeout=20_000)
        drawn = int(page.get_attribute("[data-zh-map]", "data-hotspot-count") or 0)
        hot = page.locator("path.zh-hotspot.zh-hot-3").count()
        # The layer sits under the labels, inside the map's SVG.
        order = page.evaluate(
            "[...document.querySelector('.zh-map-svg').children].map(g => g.getAttribute('class'))"
        )
        page.wait_for_load_state("networkidle")
        page.goto(f"{server}/incidents/analysis?since={since}&cell_m=500&method=kde")
        page.wait_for_selector("[data-zh-map][data-hotspot-count]", timeout=20_000)
        dense = page.locator("path.zh-hotspot.zh-density-5").count()
        home_rows = page.locator(f"[data-testid=response-times] tr[data-division='{HOME}']")
        home = home_rows.locator("td").nth(1).inner_text()
    assert drawn > 0 and hot > 0 and dense > 0
    assert order.index("zh-layer-hotspots") < order.index("zh-layer-labels")
    assert home == "12"
    assert not problems

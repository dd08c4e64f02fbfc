"""The hazmat pages in a real browser, on the demo ledger: the enterprise page loads without a
script error, and the magazine with the planted discrepancy shows it and its pin on the map."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.browser import chromium_page, serving
from tests.conftest import migrate
from tests.helpers import PASSWORD, make_user

pytestmark = pytest.mark.browser


@pytest.fixture()
def served(tmp_path: Path) -> Iterator[tuple[str, int, int, str]]:
    """The app under uvicorn on the demo ledger, with a regulator of 临渭区."""

    from zhian.app import create_app
    from zhian.core.db import make_engine, make_sessionmaker, unit_of_work
    from zhian.core.settings import Settings
    from zhian.core.time import utcnow
    from zhian.sim.hazmat import seed_hazmat

    url = f"sqlite:///{tmp_path / 'hazmat.db'}"
    migrate(url)
    engine = make_engine(url)
    with unit_of_work(make_sessionmaker(engine)) as session:
        make_user(session, "linwei_reg", role="regulator", division="610502")
        seeded = seed_hazmat(session, now=utcnow())
        blaster = seeded.firms["blaster"]
    engine.dispose()
    settings = Settings(
        database_url=url, bus="memory", ledger_checkpoint_dir=tmp_path / "checkpoints"
    )
    app = create_app(settings)
    with serving(app) as base:
        yield base, blaster.id, blaster.site, seeded.planted


def test_enterprise_and_site_pages_load_without_script_errors(
    served: tuple[str, int, int, str],
) -> None:
    base, enterprise_id, site_id, planted = served
    problems: list[str] = []
    with chromium_page(problems) as page:
        page.goto(base + "/login", wait_until="domcontentloaded")
        page.fill("#username", "linwei_reg")
        page.fill("#password", PASSWORD)
        page.click("button[type=submit].zh-button-primary")
        page.wait_for_selector("[data-testid=current-user]")

        page.goto(base + "/hazmat", wait_until="load")
        page.click(f"a[href='/hazmat/enterprises/{enterprise_id}']")
        page.wait_for_selector("[data-testid=chain-status][data-chain-ok=true]")
        assert page.locator(f"[data-missing-code='{planted}']").count() == 1

        page.click(f"a[href='/hazmat/sites/{site_id}']")
        page.wait_for_selector("[data-zh-map][data-pin=drawn]", timeout=20_000)
        assert page.locator("[data-testid=site-discrepancies] [data-status=open]").count() == 1

        page.click(f"[data-testid=site-discrepancies] a[data-missing-code='{planted}']")
        page.wait_for_selector("[data-testid=timeline]")
        assert page.locator("tr[data-event=count]").count() == 1
    assert not problems, problems

"""The live board in a real browser: an incident taken through the API appears on the open
page without a reload (server-sent events), and another county's does not; the intake form
locates an address and shows its hazards and possible duplicates before the call is
registered."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import httpx
import pytest

from tests.browser import chromium_page, serving
from tests.conftest import migrate
from tests.domains.places import registry_data
from tests.helpers import PASSWORD, make_user
from zhian.core.time import utcnow
from zhian.domains.incidents import hazards
from zhian.domains.incidents.schemas import HazardCreate

pytestmark = pytest.mark.browser


@pytest.fixture()
def board_server(tmp_path: Path) -> Iterator[tuple[str, dict[str, str]]]:
    """The app under uvicorn with a county dispatcher (console) and a city API token."""

    from zhian.app import create_app
    from zhian.core.db import make_engine, make_sessionmaker, unit_of_work
    from zhian.core.identity import service as identity
    from zhian.core.scope import SYSTEM
    from zhian.core.settings import Settings

    url = f"sqlite:///{tmp_path / 'board.db'}"
    migrate(url)
    engine = make_engine(url)
    with unit_of_work(make_sessionmaker(engine)) as session:
        make_user(session, "linwei_disp", role="dispatcher", division="610502")
        make_user(session, "city_disp", role="dispatcher", division="610500")
        token = identity.create_token(session, actor=SYSTEM, username="city_disp")
        house = registry_data.build(session)["house"]
        hazards.create_hazard(
            session,
            actor=SYSTEM,
            data=HazardCreate(
                address_id=house,
                kind="explosives_magazine",
                expires_at=utcnow() + timedelta(days=1),
            ),
        )
    engine.dispose()
    app = create_app(Settings(database_url=url, bus="memory", incident_check_seconds=0))
    with serving(app) as base:
        yield base, {"Authorization": f"Bearer {token}"}


def _take_call(base: str, headers: dict[str, str], lon: float, lat: float) -> int:
    resp = httpx.post(
        base + "/api/v1/incidents",
        json={"type": "public_order", "lon": lon, "lat": lat, "narrative": "打架"},
        headers=headers,
        timeout=10,
    )
    assert resp.status_code == 201, resp.text
    return int(resp.json()["id"])


def test_new_incident_appears_on_the_open_board(board_server: tuple[str, dict[str, str]]) -> None:
    base, headers = board_server
    problems: list[str] = []
    with chromium_page(problems) as page:
        page.goto(base + "/incidents", wait_until="domcontentloaded")
        page.fill("#username", "linwei_disp")
        page.fill("#password", PASSWORD)
        page.click("button[type=submit].zh-button-primary")
        page.wait_for_selector("[data-zh-board][data-live=true]", timeout=20_000)
        assert page.locator("[data-testid=board-incidents] tbody tr").count() == 0
        page.evaluate("window.zhSameDocument = true")  # lost on any reload
        other = _take_call(base, headers, 110.44, 35.47)  # 韩城市
        mine = _take_call(base, headers, 109.49, 34.50)  # 临渭区
        page.wait_for_selector(f"tr[data-incident-id='{mine}']", timeout=20_000)
        assert page.locator(f"tr[data-incident-id='{other}']").count() == 0
        row = page.locator(f"tr[data-incident-id='{mine}']").inner_text()
        assert "治安案件" in row and "待派警" in row
        assert page.evaluate("window.zhSameDocument === true")
    assert not problems, problems


def test_intake_form_locates_and_warns(board_server: tuple[str, dict[str, str]]) -> None:
    from playwright.sync_api import expect

    base, _ = board_server
    problems: list[str] = []
    with chromium_page(problems) as page:
        page.goto(base + "/incidents/new", wait_until="domcontentloaded")
        page.fill("#username", "linwei_disp")
        page.fill("#password", PASSWORD)
        page.click("button[type=submit].zh-button-primary")
        page.wait_for_selector("[data-zh-intake]", timeout=20_000)
        page.select_option("#type", "criminal")
        assert "1" in page.locator("[data-priority-default]").inner_text()
        page.fill("#location_text", "临渭区朝阳大街12号")
        page.click("[data-geocode]")
        page.wait_for_selector("[data-hazards] [data-hazard=explosives_magazine]", timeout=10_000)
        assert page.locator("[data-geocode-result]").get_attribute("data-level")
        page.fill("#narrative", "可疑人员")
        page.click("form[data-zh-intake] button[type=submit]")
        page.wait_for_selector("[data-testid=hazards]", timeout=10_000)
        assert "/incidents/" in page.url
        first = int(page.url.rstrip("/").rsplit("/", 1)[1])
        # A second call about the same thing: offered as a duplicate before it is registered.
        page.goto(base + "/incidents/new", wait_until="domcontentloaded")
        page.select_option("#type", "criminal")
        page.fill("#location_text", "临渭区朝阳大街12号")
        page.click("[data-geocode]")
        link = page.wait_for_selector(f"[data-duplicate='{first}']", timeout=10_000)
        assert link.get_attribute("href") == f"/incidents/{first}"
        page.select_option("#type", "traffic")
        page.wait_for_selector("[data-duplicate]", state="detached", timeout=10_000)
        # A click on the map picks the place: the coordinates under the pointer.
        page.wait_for_selector("[data-intake-map][data-ready=true]", timeout=10_000)
        page.locator("[data-intake-map] svg").scroll_into_view_if_needed()
        box = page.locator("[data-intake-map] svg").bounding_box()
        assert box is not None
        page.mouse.click(box["x"] + box["width"] / 2, box["y"] + box["height"] / 2)
        expect(page.locator("#lon")).not_to_have_value("", timeout=5_000)
        lon = float(page.input_value("#lon"))
        lat = float(page.input_value("#lat"))
        assert 108.8 < lon < 110.9 and 34.2 < lat < 35.9, (lon, lat)
    assert not problems, problems

"""The places console in headless Chromium: address search with suggestions as one types,
the import page with its live progress and error report, quality on the home page."""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pyotp
import pytest

from tests.browser import chromium_page, serving
from tests.conftest import migrate
from tests.domains.places import registry_data as data
from tests.helpers import PASSWORD, make_user

pytestmark = pytest.mark.browser


@pytest.fixture()
def console(tmp_path: Path) -> Iterator[dict[str, Any]]:
    """The real app under uvicorn on a SQLite registry, with an officer and a commander."""

    from zhian.app import create_app
    from zhian.core.db import make_engine, make_sessionmaker, unit_of_work
    from zhian.core.settings import Settings

    url = f"sqlite:///{tmp_path / 'places.db'}"
    migrate(url)
    engine = make_engine(url)
    with unit_of_work(make_sessionmaker(engine)) as session:
        ids = data.build(session)
        seat = data.seat(session, data.HOME)
        make_user(session, "lw_officer", role="officer", division=data.HOME)
        secret = make_user(session, "lw_commander", role="commander", division=data.HOME)
        totp = secret.totp_secret
    engine.dispose()
    app = create_app(Settings(database_url=url, bus="memory"))
    with serving(app) as base:
        yield {"base": base, "ids": ids, "seat": seat, "totp": totp}


def _sign_in(page: Any, base: str, username: str, totp: str | None = None) -> None:
    page.goto(base + "/", wait_until="domcontentloaded")
    page.fill("#username", username)
    page.fill("#password", PASSWORD)
    if totp:
        page.fill("#totp", pyotp.TOTP(totp).now())
    page.click("button[type=submit].zh-button-primary")
    page.wait_for_selector("[data-testid=current-user]")


def _browse(run: Any) -> list[str]:
    problems: list[str] = []
    with chromium_page(problems) as page:
        run(page)
    return problems


def test_typing_an_address_suggests_and_picking_opens_the_address(
    console: dict[str, Any],
) -> None:
    base = console["base"]

    def run(page: Any) -> None:
        _sign_in(page, base, "lw_officer")
        box = page.locator("[data-testid=address-search]")
        box.press_sequentially("朝阳大街1", delay=40)
        options = page.locator("[data-testid=address-suggestions] [role=option]")
        options.first.wait_for()
        assert options.first.inner_text().startswith("临渭区朝阳大街1号")
        assert options.count() == 8
        box.press("ArrowDown")
        box.press("ArrowDown")
        picked = options.nth(1)
        assert picked.get_attribute("aria-selected") == "true"
        label = picked.locator("span").inner_text()
        assert label == "临渭区朝阳大街10号"
        box.press("Enter")
        page.wait_for_url(re.compile(r"/places/addresses/\d+$"))
        assert page.locator("[data-testid=address-label]").inner_text() == label
        # A road suggestion, clicked, lists the road's house numbers.
        page.goto(base + "/places", wait_until="domcontentloaded")
        box = page.locator("[data-testid=address-search]")
        box.press_sequentially("东风", delay=40)
        road = page.locator("[data-testid=address-suggestions] [role=option]").first
        road.wait_for()
        assert road.locator("span").inner_text() == "临渭区东风街"
        road.click()
        page.wait_for_url(re.compile(r"/places\?road_id=\d+$"))
        assert page.locator("[data-testid=address-results] tbody tr").count() == 5
        # Escape closes the list; Enter without a pick searches.
        box = page.locator("[data-testid=address-search]")
        box.press_sequentially("金城", delay=40)  # another county's road: nothing offered
        page.wait_for_timeout(600)
        assert page.locator("[data-testid=address-suggestions]").is_hidden()

    problems = _browse(run)
    assert not problems


def _import_file(seat: tuple[float, float]) -> bytes:
    lon, lat = seat
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(["区县", "道路", "门牌号", "经度", "纬度"])
    for n in range(1, 451):
        writer.writerow([data.HOME, "导入测试路", n, f"{lon + n * 1e-5:.6f}", f"{lat:.6f}"])
        if n in (100, 300):
            writer.writerow([data.HOME, "导入测试路", "十一A", f"{lon:.6f}", f"{lat:.6f}"])
    writer.writerow([data.OTHER, "金城大街", 77, f"{lon:.6f}", f"{lat:.6f}"])
    return out.getvalue().encode("utf-8")


def test_import_page_shows_progress_then_the_rejected_rows(console: dict[str, Any]) -> None:
    base = console["base"]

    def run(page: Any) -> None:
        _sign_in(page, base, "lw_commander", console["totp"])
        page.goto(base + "/places/imports", wait_until="domcontentloaded")
        page.select_option("#kind", "houses")
        page.set_input_files(
            "#file",
            {"name": "门牌.csv", "mimeType": "text/csv", "buffer": _import_file(console["seat"])},
        )
        page.click("[data-testid=import-form] button[type=submit]")
        page.wait_for_url(re.compile(r"/places/imports/\d+$"))
        report = page.locator("[data-testid=import-report]")
        report.wait_for(timeout=120_000)
        assert page.locator("[data-testid=import-processed]").inner_text() == "453"
        progress = page.locator("[data-testid=import-progress]")
        assert progress.get_attribute("value") == progress.get_attribute("max") == "453"
        rows = report.locator("tbody tr")
        assert [rows.nth(i).get_attribute("data-row") for i in range(rows.count())] == [
            "102",
            "303",
            "454",
        ]
        assert "number" in rows.nth(0).inner_text()
        assert "county" in rows.nth(2).inner_text()
        assert page.locator("[data-testid=rejected-download]").get_attribute("href", timeout=0)
        page.goto(base + "/places/imports", wait_until="domcontentloaded")
        listed = page.locator("[data-testid=import-jobs] tbody tr").first.inner_text()
        assert "门牌.csv" in listed and "453 / 453" in listed

    problems = _browse(run)
    assert not problems


def test_home_shows_quality_against_the_target(console: dict[str, Any]) -> None:
    base = console["base"]

    def run(page: Any) -> None:
        _sign_in(page, base, "lw_officer")
        table = page.locator("[data-testid=home-quality] [data-testid=quality]")
        rows = table.locator("tbody tr")
        assert rows.count() == 1 and rows.first.get_attribute("data-division") == data.HOME
        # No field checks yet: accuracy has no rate, so the county is below target.
        assert "zh-below-target" in (rows.first.get_attribute("class") or "")
        assert page.locator("[data-testid=quality-below]").is_visible()

    assert not _browse(run)


def test_address_page_pins_the_address_on_the_map(console: dict[str, Any]) -> None:
    base, seat = console["base"], console["seat"]
    # registry_data puts number n on 朝阳大街 0.0002° east of the county seat per number.
    lon, lat = seat[0] + 0.0002 * 12, seat[1]

    def run(page: Any) -> None:
        _sign_in(page, base, "lw_officer")
        page.goto(f"{base}/places/addresses/{console['ids']['house']}", wait_until="load")
        page.wait_for_selector("[data-testid=map][data-pin=drawn]")
        drawn = page.evaluate(
            """([lon, lat]) => {
              const map = document.querySelector('[data-testid=map]');
              const pin = map.querySelector('[data-testid=address-pin]');
              const at = window.zhMap.project(lon, lat, map);
              const vb = map.querySelector('svg').getAttribute('viewBox').split(' ').map(Number);
              const whole = map.querySelector('.zh-layer-divisions').getBBox();
              const box = pin.getBoundingClientRect();
              const frame = map.getBoundingClientRect();
              return {
                cx: Number(pin.getAttribute('cx')), cy: Number(pin.getAttribute('cy')),
                x: at.x, y: at.y, vb, wholeWidth: whole.width,
                tenth: window.zhMap.project(lon + 0.1, lat, map).x - at.x,
                r: Number(pin.getAttribute('r')),
                inside: box.width > 0 && box.left >= frame.left && box.right <= frame.right
                  && box.top >= frame.top && box.bottom <= frame.bottom,
                pins: map.querySelectorAll('.zh-point').length,
              };
            }""",
            [lon, lat],
        )
        assert drawn["pins"] == 1
        assert abs(drawn["cx"] - drawn["x"]) < 0.01 and abs(drawn["cy"] - drawn["y"]) < 0.01
        vx, vy, vw, vh = drawn["vb"]
        assert vx < drawn["cx"] < vx + vw and vy < drawn["cy"] < vy + vh
        # Zoomed to the neighbourhood: between 0.02° and 0.2° (about 2 to 18 km) across,
        # well inside the county rather than the whole of it.
        assert 0.2 * drawn["tenth"] < vw < 2 * drawn["tenth"]
        assert vw < drawn["wholeWidth"] * 0.75
        assert drawn["inside"] and drawn["r"] > 0
        plate = page.locator("[data-testid=address-plate] img")
        assert plate.evaluate("img => img.complete && img.naturalWidth > 0")

    assert not _browse(run)

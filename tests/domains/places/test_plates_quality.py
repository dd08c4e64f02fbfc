"""QR door plates (SVG, PDF, batches), the page a plate opens, and the data-quality figures,
on SQLite and PostgreSQL."""

from __future__ import annotations

import io
import re
import zlib
from collections.abc import Iterator
from typing import Any

import pytest
import segno
from sqlalchemy.orm import Session

from tests.domains.places import registry_data as data
from tests.helpers import App, running_app
from zhian.core.db import unit_of_work
from zhian.core.scope import SYSTEM, Actor
from zhian.domains.places.models import Division
from zhian.domains.places.registry import pdf, plates, quality, service
from zhian.domains.places.registry.quality_schemas import Outcome, VerificationCreate
from zhian.domains.places.registry.schemas import HouseCreate, RoadCreate


@pytest.fixture()
def world(fresh_url: str) -> Iterator[tuple[App, dict[str, Any]]]:
    with running_app(fresh_url) as app:
        with unit_of_work(app.factory) as session:
            ids: dict[str, Any] = dict(data.build(session))
            twelve = data.find(session, "朝阳大街", 12)
            ids["code"] = twelve.code
            ids["road"] = twelve.road_id
            ids["other_road"] = data.find(session, "金城大街", 1, data.OTHER).road_id
        yield app, ids


def page_count(pdf: bytes) -> int:
    found = re.search(rb"/Type /Pages /Kids \[[^\]]*\] /Count (\d+)", pdf)
    assert found is not None
    return int(found.group(1))


def test_plate_svg_has_the_qr_and_the_address(world: tuple[App, dict[str, Any]]) -> None:
    app, ids = world
    headers = app.headers(app.token("plate_leader", role="leader", division=data.HOME))
    resp = app.client.get(f"/api/v1/addresses/{ids['house']}/plate.svg", headers=headers)
    assert resp.status_code == 200 and resp.headers["content-type"].startswith("image/svg+xml")
    svg = resp.text
    for text in ("临渭区", "朝阳大街", "12号", ids["code"]):
        assert f">{text}</text>" in svg
    url = f"http://testserver/a/{ids['code']}"
    dark = sum(sum(1 for m in row if m) for row in segno.make(url, error="m").matrix)
    path = re.search(r'<path class="qr" fill="#000000" d="([^"]+)"', svg)
    assert path is not None
    runs = list(plates.qr_runs(url))
    assert path.group(1).count("M") == len(runs) and sum(n for _, _, n in runs) == dark


def test_plate_pdfs_single_and_batch(world: tuple[App, dict[str, Any]]) -> None:
    app, ids = world
    headers = app.headers(app.token("plate_cmd", role="commander", division=data.HOME))
    one = app.client.get(f"/api/v1/addresses/{ids['house']}/plate.pdf", headers=headers)
    assert one.status_code == 200 and one.headers["content-type"] == "application/pdf"
    assert one.content.startswith(b"%PDF-") and one.content.rstrip().endswith(b"%%EOF")
    assert page_count(one.content) == 1
    for params, pages in (
        ({"road_id": ids["road"], "per_page": 4}, 5),  # 朝阳大街: 20 numbers
        ({"road_id": ids["road"], "per_page": 1}, 20),
        ({"community": data.HOME, "per_page": 8}, 5),  # 35 numbers in 临渭区
    ):
        resp = app.client.get("/api/v1/addresses/plates.pdf", params=params, headers=headers)
        assert resp.status_code == 200, resp.text
        assert resp.content.startswith(b"%PDF-") and page_count(resp.content) == pages, params
    for params, field in (
        ({"road_id": ids["road"], "per_page": 3}, "per_page"),
        ({}, "road_id"),
        ({"community": "61x"}, "community"),
    ):
        bad = app.client.get("/api/v1/addresses/plates.pdf", params=params, headers=headers)
        assert bad.status_code == 422 and bad.json()["detail"][0]["field"] == field
    other = app.client.get(
        "/api/v1/addresses/plates.pdf", params={"road_id": ids["other_road"]}, headers=headers
    )
    assert other.status_code == 404


def test_plate_page_shows_the_address_or_says_unknown(world: tuple[App, dict[str, Any]]) -> None:
    app, ids = world
    headers = app.headers(app.token("plate_officer", role="officer", division=data.HOME))
    page = app.client.get(f"/a/{ids['code']}", headers=headers)
    assert page.status_code == 200 and "临渭区朝阳大街12号" in page.text
    unknown = app.client.get("/a/610502999999999999", headers=headers)
    assert unknown.status_code == 404 and "未知门牌" in unknown.text
    signed_out = app.client.get(f"/a/{ids['code']}", follow_redirects=False)
    assert signed_out.status_code == 303 and "/login" in signed_out.headers["location"]


def _known_registry(session: Session) -> dict[str, int]:
    """临渭区: 35 numbers at county level and 5 in township 001; 韩城市: 10 at county level."""
    ids = data.build(session)
    session.add(
        Division(
            adcode=data.HOME + "001", name="人民街道", level="township", parent_adcode=data.HOME
        )
    )
    session.flush()
    made = quality_road(session)
    ids["township_house"] = made
    return ids


def quality_road(session: Session) -> int:
    """站南路 1-5 in township 001 of 临渭区: complete standard addresses."""
    road = service.create_road(
        session, actor=SYSTEM, data=RoadCreate(name="站南路", division=data.HOME)
    )
    lon, lat = data.seat(session, data.HOME)
    first = 0
    for n in range(1, 6):
        house = service.create_house(
            session,
            actor=SYSTEM,
            data=HouseCreate(
                road_id=road.id,
                number=n,
                division=data.HOME + "001",
                lon=lon - 0.0002 * n,
                lat=lat + 0.001,
            ),
        )
        first = first or house.id
    return first


def test_quality_figures_on_a_known_registry(session: Session) -> None:
    ids = _known_registry(session)
    officer = Actor(user_id=None, username="q_officer", role="officer", division=data.HOME)
    home = [data.find(session, "朝阳大街", n).id for n in range(1, 6)]
    for house_id, outcome in zip(
        home,
        (
            Outcome.VERIFIED,
            Outcome.VERIFIED,
            Outcome.VERIFIED,
            Outcome.CORRECTED,
            Outcome.NOT_FOUND,
        ),
        strict=True,
    ):
        quality.record_verification(
            session, actor=officer, address_id=house_id, data=VerificationCreate(outcome=outcome)
        )
    # A corrected house checked again and found right counts by its latest check.
    quality.record_verification(
        session, actor=officer, address_id=home[3], data=VerificationCreate(outcome="verified")
    )
    rows = {r.division: r for r in quality.quality(session, actor=SYSTEM)}
    assert len(rows) == 11
    linwei = rows[data.HOME]
    assert (linwei.houses, linwei.collected, linwei.collection_rate) == (40, 5, 0.125)
    assert (linwei.verified, linwei.corrected, linwei.not_found) == (4, 0, 1)
    assert linwei.accuracy_rate == 0.8 and linwei.target == 0.95 and not linwei.meets_target
    hancheng = rows[data.OTHER]
    assert (hancheng.houses, hancheng.collection_rate, hancheng.accuracy_rate) == (10, 0.0, None)
    assert rows["610522"].houses == 0 and rows["610522"].collection_rate is None
    county = Actor(user_id=None, username="q_county", role="leader", division=data.HOME)
    assert [r.division for r in quality.quality(session, actor=county)] == [data.HOME]
    assert ids["township_house"] > 0


def test_verification_and_quality_api(world: tuple[App, dict[str, Any]]) -> None:
    app, ids = world
    officer = app.headers(app.token("v_officer", role="officer", division=data.HOME))
    path = f"/api/v1/addresses/{ids['house']}/verifications"
    made = app.client.post(path, json={"outcome": "verified"}, headers=officer)
    assert made.status_code == 201, made.text
    assert made.json()["verifier"] == "v_officer" and made.json()["address_id"] == ids["house"]
    bad = app.client.post(path, json={"outcome": "maybe"}, headers=officer)
    assert bad.status_code == 422 and "outcome" in bad.text
    disp = app.headers(app.token("v_disp", role="dispatcher", division=data.HOME))
    assert app.client.post(path, json={"outcome": "verified"}, headers=disp).status_code == 403
    other = app.headers(app.token("v_other", role="officer", division=data.OTHER))
    assert app.client.post(path, json={"outcome": "verified"}, headers=other).status_code == 404
    rows = app.client.get("/api/v1/addresses/quality", headers=officer).json()
    assert [r["division"] for r in rows] == [data.HOME]
    assert rows[0]["verified"] == 1 and rows[0]["accuracy_rate"] == 1.0
    assert rows[0]["target"] == 0.95 and rows[0]["meets_target"] is False  # collection is 0
    page = app.client.get("/places/quality", headers=officer)
    assert page.status_code == 200 and "临渭区" in page.text


def _objects(pdf_bytes: bytes) -> dict[int, bytes]:
    return {int(n): body for n, body in re.findall(rb"(?s)(\d+) 0 obj\n(.*?)\nendobj\n", pdf_bytes)}


def _stream(body: bytes) -> bytes:
    raw = re.search(rb"(?s)stream\n(.*)\nendstream", body)
    assert raw is not None
    return zlib.decompress(raw.group(1))


def test_plate_pdf_embeds_a_cjk_font_subset(world: tuple[App, dict[str, Any]]) -> None:
    from fontTools.ttLib import TTFont

    app, ids = world
    headers = app.headers(app.token("font_cmd", role="commander", division=data.HOME))
    resp = app.client.get(f"/api/v1/addresses/{ids['house']}/plate.pdf", headers=headers)
    assert resp.status_code == 200, resp.text
    objects = _objects(resp.content)
    assert b"STSong" not in resp.content
    (cid_font,) = [b for b in objects.values() if b"/Subtype /CIDFontType2" in b]
    assert b"/CIDToGIDMap /Identity" in cid_font
    (descriptor,) = [b for b in objects.values() if b"/FontFile2" in b]
    file_ref = re.search(rb"/FontFile2 (\d+) 0 R", descriptor)
    assert file_ref is not None
    font_obj = objects[int(file_ref.group(1))]
    data_bytes = _stream(font_obj)
    length1 = re.search(rb"/Length1 (\d+)", font_obj)
    assert length1 is not None and int(length1.group(1)) == len(data_bytes)
    font = TTFont(io.BytesIO(data_bytes))
    assert "glyf" in font
    mapped = font.getBestCmap()
    for ch in "临渭区朝阳大街12号" + ids["code"]:
        assert ord(ch) in mapped, ch
    assert len(font.getGlyphOrder()) < 60  # a subset: the source font has ~30,000 glyphs
    # The text drawn, read back through the ToUnicode map, is the plate's text.
    (type0,) = [b for b in objects.values() if b"/Subtype /Type0" in b]
    to_unicode = re.search(rb"/ToUnicode (\d+) 0 R", type0)
    assert to_unicode is not None
    cmap = dict(
        re.findall(
            r"<([0-9A-F]{4})> <([0-9A-F]{4})>", _stream(objects[int(to_unicode.group(1))]).decode()
        )
    )
    page_content = [
        _stream(b) for b in objects.values() if b.startswith(b"<< /Length") and b"/Length1" not in b
    ]
    shown = [
        "".join(chr(int(cmap[h[i : i + 4]], 16)) for i in range(0, len(h), 4))
        for content in page_content
        for h in re.findall(r"<([0-9A-F]+)> Tj", content.decode("latin-1"))
    ]
    assert {"临渭区", "朝阳大街", "12号", ids["code"]} <= set(shown)


def test_plate_pdf_without_a_cjk_font_says_what_to_install(
    world: tuple[App, dict[str, Any]], monkeypatch: pytest.MonkeyPatch
) -> None:
    app, ids = world
    monkeypatch.setattr(pdf, "FONT_PATHS", ("/nonexistent/font.ttc",))
    headers = app.headers(app.token("font_none", role="commander", division=data.HOME))
    resp = app.client.get(f"/api/v1/addresses/{ids['house']}/plate.pdf", headers=headers)
    assert resp.status_code == 503
    assert "fonts-wqy-microhei" in resp.json()["detail"][0]["msg"]

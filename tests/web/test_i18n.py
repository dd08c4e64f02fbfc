"""Languages: Chinese by default, English from the catalog, and the catalog complete."""

from __future__ import annotations

import importlib.util
from pathlib import Path

from tests.helpers import running_app
from zhian.web.i18n import _catalog, translator


def _update_catalog_module():  # type: ignore[no-untyped-def]
    path = Path(__file__).resolve().parents[2] / "scripts" / "update_catalog.py"
    spec = importlib.util.spec_from_file_location("update_catalog", path)
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_every_console_text_has_an_english_translation() -> None:
    english = _catalog("en")
    missing = sorted(t for t in _update_catalog_module().texts() if not english.get(t))
    assert missing == []


def test_translator_falls_back_to_the_chinese_original() -> None:
    assert translator("en")("登录") == "Sign in"
    assert translator("zh_CN")("登录") == "登录"
    assert translator("en")("没有这句") == "没有这句"


def test_language_switch_through_the_form(fresh_url: str) -> None:
    import re

    with running_app(fresh_url) as app:
        page = app.client.get("/login")
        assert "登录" in page.text
        token = re.search(r'name="csrf_token" value="([^"]+)"', page.text).group(1)  # type: ignore[union-attr]
        app.client.post(
            "/lang",
            data={"lang": "en", "csrf_token": token},
            headers={"referer": "http://testserver/login"},
        )
        english = app.client.get("/login")
        assert "Sign in" in english.text and 'lang="en"' in english.text


def test_language_switch_never_redirects_off_site(fresh_url: str) -> None:
    import re

    with running_app(fresh_url) as app:
        page = app.client.get("/login")
        token = re.search(r'name="csrf_token" value="([^"]+)"', page.text).group(1)  # type: ignore[union-attr]
        for referer in (
            "https://evil.example/phish",
            "//evil.example/x",
            "http://testserver/login",
        ):
            resp = app.client.post(
                "/lang",
                data={"lang": "en", "csrf_token": token},
                headers={"referer": referer},
                follow_redirects=False,
            )
            assert resp.headers["location"] in ("/", "/login"), referer

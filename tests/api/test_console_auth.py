"""Signing in to the console: cookies, CSRF, session end, lockout through the form."""

from __future__ import annotations

import re

import pyotp
import pytest

from tests.helpers import PASSWORD, App, running_app


@pytest.fixture()
def app(fresh_url: str):  # type: ignore[no-untyped-def]
    with running_app(fresh_url) as running:
        yield running


def _csrf(html: str) -> str:
    match = re.search(r'name="csrf_token" value="([^"]+)"', html)
    assert match, "form without a CSRF token"
    return match.group(1)


def sign_in(app: App, username: str, password: str = PASSWORD, totp: str = "") -> object:
    page = app.client.get("/login")
    return app.client.post(
        "/login",
        data={
            "username": username,
            "password": password,
            "totp": totp,
            "csrf_token": _csrf(page.text),
            "next": "/",
        },
        follow_redirects=False,
    )


def test_unauthenticated_page_redirects_to_login(app: App) -> None:
    resp = app.client.get("/systems/incidents", follow_redirects=False)
    assert resp.status_code == 303
    assert resp.headers["location"].startswith("/login?next=")


def test_sign_in_sets_a_hardened_cookie_and_shows_the_console(app: App) -> None:
    app.user("console_user", role="dispatcher", division="610502")
    resp = sign_in(app, "console_user")
    assert resp.status_code == 303  # type: ignore[attr-defined]
    cookie = resp.headers["set-cookie"]  # type: ignore[attr-defined]
    assert "zhian_session=" in cookie and "HttpOnly" in cookie and "SameSite=lax" in cookie
    home = app.client.get("/")
    assert home.status_code == 200
    assert "临渭区" in home.text and "接处警员" in home.text
    pending = app.client.get("/systems/mediation")
    assert "建设中" in pending.text


def test_login_without_the_form_token_is_refused(app: App) -> None:
    app.user("no_csrf", division="610502")
    app.client.get("/login")
    resp = app.client.post(
        "/login", data={"username": "no_csrf", "password": PASSWORD, "csrf_token": "forged"}
    )
    assert resp.status_code == 403
    assert "zhian_session" not in resp.headers.get("set-cookie", "")


def test_state_change_with_the_cookie_needs_the_csrf_token(app: App) -> None:
    app.user("csrf_user", division="610502")
    sign_in(app, "csrf_user")
    home = app.client.get("/")
    forged = app.client.post("/logout", data={"csrf_token": "nope"}, follow_redirects=False)
    assert forged.status_code == 403
    assert app.client.get("/", follow_redirects=False).status_code == 200
    ok = app.client.post("/logout", data={"csrf_token": _csrf(home.text)}, follow_redirects=False)
    assert ok.status_code == 303


def test_logout_ends_the_session_server_side(app: App) -> None:
    app.user("leaver", division="610502")
    sign_in(app, "leaver")
    stolen = app.client.cookies.get("zhian_session")
    home = app.client.get("/")
    app.client.post("/logout", data={"csrf_token": _csrf(home.text)})
    app.client.cookies.set("zhian_session", stolen or "")
    assert app.client.get("/", follow_redirects=False).status_code == 303


def test_new_session_token_at_each_sign_in(app: App) -> None:
    app.user("twice", division="610502")
    sign_in(app, "twice")
    first = app.client.cookies.get("zhian_session")
    sign_in(app, "twice")
    assert app.client.cookies.get("zhian_session") not in (None, first)


def test_lockout_through_the_form_survives_the_error_answers(app: App) -> None:
    app.user("guessme", division="610502")
    for _ in range(5):
        resp = sign_in(app, "guessme", "not-the-password")
        assert resp.status_code == 401  # type: ignore[attr-defined]
    locked = sign_in(app, "guessme")
    assert locked.status_code == 401  # type: ignore[attr-defined]
    assert "锁定" in locked.text  # type: ignore[attr-defined]


def test_admin_signs_in_with_totp(app: App) -> None:
    admin = app.user("boss", role="admin", division="610500")
    assert admin.totp_secret
    first = sign_in(app, "boss")
    assert first.status_code == 401 and "动态口令" in first.text  # type: ignore[attr-defined]
    resp = sign_in(app, "boss", totp=pyotp.TOTP(admin.totp_secret).now())
    assert resp.status_code == 303  # type: ignore[attr-defined]
    assert app.client.get("/audit").status_code == 200


def test_no_state_change_on_get(app: App) -> None:
    routes = app.client.get("/openapi.json").json()["paths"]
    for path, methods in routes.items():
        if "get" in methods:
            assert methods["get"].get("requestBody") is None, path
    assert app.client.get("/logout").status_code in (404, 405)

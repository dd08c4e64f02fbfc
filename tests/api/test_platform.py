"""The platform through HTTP: health, OpenAPI, errors that name the field, security headers."""

from __future__ import annotations

import pytest

from tests.helpers import running_app


@pytest.fixture()
def app(fresh_url: str):  # type: ignore[no-untyped-def]
    with running_app(fresh_url) as running:
        yield running


def test_healthz_reports_database_and_bus(app) -> None:  # type: ignore[no-untyped-def]
    resp = app.client.get("/healthz")
    assert resp.status_code == 200
    body = resp.json()
    assert body["status"] == "ok"
    assert body["database"]["ok"] is True
    assert body["bus"]["ok"] is True


def test_openapi_lists_the_contract_paths(app) -> None:  # type: ignore[no-untyped-def]
    paths = app.client.get("/openapi.json").json()["paths"]
    for path in ("/api/v1/divisions", "/api/v1/divisions/locate", "/api/v1/users"):
        assert path in paths


def test_api_needs_credentials(app) -> None:  # type: ignore[no-untyped-def]
    resp = app.client.get("/api/v1/divisions")
    assert resp.status_code == 401
    assert resp.headers["www-authenticate"] == "Bearer"
    bad = app.client.get("/api/v1/divisions", headers={"Authorization": "Bearer zhian_nope"})
    assert bad.status_code == 401


def test_locate_contract(app) -> None:  # type: ignore[no-untyped-def]
    headers = app.headers(app.token("locator_user", role="officer", division="610502"))
    resp = app.client.get(
        "/api/v1/divisions/locate", params={"lon": 110.437, "lat": 35.478}, headers=headers
    )
    assert resp.status_code == 200
    assert resp.json()["adcode"] == "610581" and resp.json()["name"] == "韩城市"
    outside = app.client.get(
        "/api/v1/divisions/locate", params={"lon": 116.4, "lat": 39.9}, headers=headers
    )
    assert outside.status_code == 404


@pytest.mark.parametrize(
    ("params", "field"),
    [
        ({"lon": "east", "lat": 34.5}, "lon"),
        ({"lon": 109.5}, "lat"),
        ({"lon": 109.5, "lat": 95}, "lat"),
    ],
)
def test_bad_input_is_422_naming_the_field(app, params, field) -> None:  # type: ignore[no-untyped-def]
    headers = app.headers(app.token("bad_input_user"))
    resp = app.client.get("/api/v1/divisions/locate", params=params, headers=headers)
    assert resp.status_code == 422
    assert resp.json()["detail"][0]["loc"][-1] == field


def test_domain_errors_are_4xx_json_naming_the_field(app) -> None:  # type: ignore[no-untyped-def]
    headers = app.headers(app.token("city_admin", role="admin", division="610500"))
    weak = app.client.post(
        "/api/v1/users",
        headers=headers,
        json={"username": "newbie", "role": "officer", "division": "610502", "password": "123"},
    )
    assert weak.status_code == 422
    assert weak.json()["detail"][0]["field"] == "password"
    unknown = app.client.post(
        "/api/v1/users",
        headers=headers,
        json={
            "username": "newbie",
            "role": "officer",
            "division": "610599",
            "password": "Good-Pass-42",
        },
    )
    assert unknown.status_code == 422
    assert unknown.json()["detail"][0]["field"] == "division"
    made = app.client.post(
        "/api/v1/users",
        headers=headers,
        json={
            "username": "newbie",
            "role": "officer",
            "division": "610502",
            "password": "Good-Pass-42",
        },
    )
    assert made.status_code == 201
    assert "password" not in made.text and "totp" not in made.text
    again = app.client.post(
        "/api/v1/users",
        headers=headers,
        json={
            "username": "newbie",
            "role": "officer",
            "division": "610502",
            "password": "Good-Pass-42",
        },
    )
    assert again.status_code == 409


def test_role_without_permission_is_403_and_audited(app) -> None:  # type: ignore[no-untyped-def]
    headers = app.headers(app.token("plain_officer", role="officer"))
    resp = app.client.get("/api/v1/users", headers=headers)
    assert resp.status_code == 403
    admin = app.headers(app.token("auditor_admin", role="admin", division="610500"))
    entries = app.client.get("/api/v1/audit", params={"action": "access"}, headers=admin).json()
    assert any(e["actor"] == "plain_officer" and e["outcome"] == "denied" for e in entries["items"])


def test_security_headers_on_pages_and_api(app) -> None:  # type: ignore[no-untyped-def]
    for path in ("/login", "/healthz", "/static/css/app.css"):
        headers = app.client.get(path).headers
        csp = headers["content-security-policy"]
        assert "script-src 'self'" in csp and "unsafe-inline" not in csp
        assert "frame-ancestors 'none'" in csp
        assert headers["x-content-type-options"] == "nosniff"
        assert headers["referrer-policy"] == "same-origin"


def test_pages_have_no_inline_script(app) -> None:  # type: ignore[no-untyped-def]
    import re

    html = app.client.get("/login").text
    assert not re.search(r"<script(?![^>]*\bsrc=)[^>]*>", html)
    assert " onclick=" not in html and "style=" not in html


def test_unknown_path_is_404_in_both_formats(app) -> None:  # type: ignore[no-untyped-def]
    assert app.client.get("/api/v1/nothing").status_code == 404
    page = app.client.get("/nothing")
    assert page.status_code == 404 and "页面不存在" in page.text

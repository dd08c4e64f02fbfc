"""Console pages of identity: sign in, sign out, the user list."""

from __future__ import annotations

import secrets
from typing import Annotated

from fastapi import APIRouter, Depends, Form, Query, Request
from fastapi.responses import RedirectResponse
from sqlalchemy import select
from sqlalchemy.orm import Session
from starlette.responses import Response

from zhian.core.identity import service, sessions
from zhian.core.identity.service import actor_for
from zhian.domains.places.models import Division
from zhian.web.deps import (
    PRE_CSRF_COOKIE,
    SESSION_COOKIE,
    Identity,
    check_pre_session_csrf,
    client_addr,
    db,
    page_identity,
    settings_of,
)
from zhian.web.templating import render

router = APIRouter(include_in_schema=False)

FAILURES = {
    "bad_credentials": "用户名或密码错误",
    "locked": "账户因连续登录失败已被锁定，请联系管理员解锁",
    "disabled": "用户名或密码错误",
    "mfa_required": "请输入动态口令",
    "mfa_invalid": "动态口令错误或已使用",
    "mfa_not_enrolled": "该账户须使用动态口令，但尚未绑定，请联系管理员",
}


def _safe_next(target: str | None) -> str:
    """Only a path on this site: never an open redirect."""
    if target and target.startswith("/") and not target.startswith("//") and "\\" not in target:
        return target
    return "/"


def _secure(request: Request) -> bool:
    forced = settings_of(request).secure_cookies
    return forced if forced is not None else request.url.scheme == "https"


def _login_form(
    request: Request, *, status: int = 200, error: str | None = None, **ctx: object
) -> Response:
    token = secrets.token_urlsafe(24)
    response = render(
        request, "identity/login.html", status_code=status, pre_csrf=token, error=error, **ctx
    )
    response.set_cookie(
        PRE_CSRF_COOKIE, token, httponly=True, samesite="strict", secure=_secure(request), path="/"
    )
    return response


@router.get("/login")
def login_page(request: Request, next: Annotated[str | None, Query()] = None) -> Response:
    """The sign-in form."""
    return _login_form(request, next_url=_safe_next(next))


@router.post("/login", dependencies=[Depends(check_pre_session_csrf)])
def login(
    request: Request,
    session: Annotated[Session, Depends(db)],
    username: Annotated[str, Form(max_length=64)],
    password: Annotated[str, Form(max_length=1024)],
    totp: Annotated[str, Form(max_length=8)] = "",
    next: Annotated[str, Form(max_length=2000)] = "/",
) -> Response:
    """Check credentials; on success open a session with a new token."""
    result = sessions.authenticate(
        session,
        settings_of(request),
        username=username,
        password=password,
        totp_code=totp or None,
        client_addr=client_addr(request),
    )
    if not result.ok or result.user is None:
        # Keep the failure count and its audit entry although the answer is an error.
        request.state.commit = True
        return _login_form(
            request,
            status=401,
            error=FAILURES.get(result.reason or "", "登录失败"),
            username=username,
            next_url=_safe_next(next),
            need_code=result.reason in ("mfa_required", "mfa_invalid"),
        )
    raw, _row = sessions.start(session, user=result.user, client_addr=client_addr(request))
    response = RedirectResponse(_safe_next(next), status_code=303)
    response.set_cookie(
        SESSION_COOKIE, raw, httponly=True, samesite="lax", secure=_secure(request), path="/"
    )
    response.delete_cookie(PRE_CSRF_COOKIE, path="/")
    return response


@router.post("/logout")
def logout(
    ident: Annotated[Identity, Depends(page_identity)],
    session: Annotated[Session, Depends(db)],
) -> Response:
    """End the session server-side and clear the cookie."""
    if ident.auth_session is not None:
        sessions.end(session, row=ident.auth_session, user=ident.user)
    response = RedirectResponse("/login", status_code=303)
    response.delete_cookie(SESSION_COOKIE, path="/")
    return response


@router.get("/users")
def users_page(
    request: Request,
    ident: Annotated[Identity, Depends(page_identity)],
    session: Annotated[Session, Depends(db)],
    page: Annotated[int, Query(ge=1)] = 1,
) -> Response:
    """The users of the signed-in user's jurisdiction."""
    actor = actor_for(ident.user, client_addr=client_addr(request))
    found = service.list_users(session, actor=actor, page=page, per_page=50)
    names = {code: name for code, name in session.execute(select(Division.adcode, Division.name))}
    return render(request, "identity/users.html", page=found, names=names, active="users")

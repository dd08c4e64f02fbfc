"""Request dependencies: the request's database session, who is acting, and CSRF.

The transaction itself is owned by ``TransactionMiddleware``; routes and services never commit,
except through :func:`commit_now` before a request waits on something outside the database.
"""

from __future__ import annotations

import hmac
from dataclasses import dataclass

from fastapi import Request
from sqlalchemy.orm import Session
from starlette.concurrency import run_in_threadpool

from zhian.core.db import begin_read_only, is_read_only
from zhian.core.errors import DomainError, Unauthenticated
from zhian.core.identity import service as identity
from zhian.core.identity import sessions
from zhian.core.identity.models import AuthSession, User
from zhian.core.scope import Actor
from zhian.core.settings import Settings

SESSION_COOKIE = "zhian_session"
PRE_CSRF_COOKIE = "zhian_precsrf"
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})


class CsrfFailed(DomainError):
    """A state-changing request without the session's CSRF token."""

    status_code = 403
    code = "csrf"


class LoginRequired(Unauthenticated):
    """A console page asked for without a valid session: the handler redirects to sign-in."""


@dataclass(frozen=True)
class Identity:
    """Everything a route may need to know about the caller."""

    actor: Actor
    user: User
    auth_session: AuthSession | None


def settings_of(request: Request) -> Settings:
    """The settings the app was started with."""
    settings: Settings = request.app.state.settings
    return settings


def db(request: Request) -> Session:
    """The request's session (opened and committed by the transaction middleware)."""
    session: Session = request.state.db
    return session


def read_only(request: Request) -> None:
    """Route dependency (``dependencies=[Depends(read_only)]``, which FastAPI runs before the
    others) for routes whose work only reads: the request's transaction is read-only, so on
    SQLite it neither queues behind writers nor holds them up. A denied access is still
    audited (in a transaction of its own, ``web.errors``), and so is a caller's due sign-in
    bookkeeping (``_lookup``); any other write fails at once."""
    begin_read_only(db(request))


async def commit_now(session: Session) -> None:
    """Commit the request's work so far, before the request waits on something outside the
    database (a terminal's answer): on SQLite a transaction holds the one write lock from its
    BEGIN, so waiting inside it would stall every other writer. What the request does after
    runs in a new transaction, which the middleware commits or rolls back as usual."""
    await run_in_threadpool(session.commit)


def client_addr(request: Request) -> str | None:
    """The peer address (the deployment's proxy must be trusted before it may rewrite this)."""
    return request.client.host if request.client else None


def _from_bearer(request: Request, session: Session) -> Identity | None:
    header = request.headers.get("authorization", "")
    scheme, _, raw = header.partition(" ")
    if scheme.lower() != "bearer" or not raw:
        return None
    user = identity.user_for_token(session, raw.strip())
    if user is None:
        raise Unauthenticated("令牌无效或已吊销")
    actor = identity.actor_for(user, client_addr=client_addr(request), via="token")
    return Identity(actor=actor, user=user, auth_session=None)


def _from_cookie(request: Request, session: Session, *, touch: bool = True) -> Identity | None:
    raw = request.cookies.get(SESSION_COOKIE)
    if not raw:
        return None
    found = sessions.resolve(session, settings_of(request), raw, touch=touch)
    if found is None:
        return None
    user, row = found
    actor = identity.actor_for(user, client_addr=client_addr(request))
    return Identity(actor=actor, user=user, auth_session=row)


async def _check_csrf(request: Request, expected: str) -> None:
    sent = request.headers.get("x-csrf-token")
    if sent is None and request.headers.get("content-type", "").startswith(
        ("application/x-www-form-urlencoded", "multipart/form-data")
    ):
        form = await request.form()
        value = form.get("csrf_token")
        sent = value if isinstance(value, str) else None
    if not sent or not hmac.compare_digest(sent, expected):
        raise CsrfFailed("表单已过期或来源不明，请刷新页面后重试", field="csrf_token")


def _lookup(request: Request, session: Session, touch: bool) -> Identity | None:
    if not is_read_only(session):
        return _from_bearer(request, session) or _from_cookie(request, session, touch=touch)
    with session.no_autoflush:
        found = _from_bearer(request, session) or _from_cookie(request, session, touch=touch)
    if session.dirty or session.new or session.deleted:
        # The sign-in has bookkeeping to write (a token's last use, once a minute; a session
        # touched or timed out): nothing else has been read yet, so this request simply
        # takes an ordinary transaction from the start and looks the caller up again.
        session.rollback()
        found = _from_bearer(request, session) or _from_cookie(request, session, touch=touch)
    return found


async def _identify(request: Request, *, touch: bool = True) -> Identity | None:
    session = db(request)
    # In a worker thread like every other database call: on SQLite the first query waits
    # (busy_timeout) for the write lock, and waiting on the event loop would stall the very
    # commit that releases the lock, so two concurrent requests deadlocked for the timeout.
    found = await run_in_threadpool(_lookup, request, session, touch)
    if found is not None:
        request.state.actor = found.actor
        request.state.identity = found
        if found.auth_session is not None and request.method not in SAFE_METHODS:
            await _check_csrf(request, found.auth_session.csrf_token)
    return found


async def api_identity(request: Request) -> Identity:
    """The caller of an API route: a bearer token, or the console's session cookie."""
    found = await _identify(request)
    if found is None:
        raise Unauthenticated("需要登录或提供 API 令牌")
    return found


async def api_actor(request: Request) -> Actor:
    """The acting user of an API route."""
    return (await api_identity(request)).actor


async def page_identity(request: Request) -> Identity:
    """The signed-in user of a console page; without one, the handler sends them to sign in."""
    found = await _identify(request)
    if found is None:
        raise LoginRequired("请先登录")
    return found


async def stream_identity(request: Request) -> Identity:
    """The signed-in user of a console stream the browser reopens by itself (server-sent
    events): identified like a page, but a reconnect does not count as activity, so an
    unattended stream never keeps an idle session alive."""
    found = await _identify(request, touch=False)
    if found is None:
        raise LoginRequired("请先登录")
    return found


async def check_pre_session_csrf(request: Request) -> None:
    """The sign-in form has no session yet: its token must match the double-submit cookie."""
    form = await request.form()
    sent = form.get("csrf_token")
    cookie = request.cookies.get(PRE_CSRF_COOKIE)
    if not (isinstance(sent, str) and cookie and hmac.compare_digest(sent, cookie)):
        raise CsrfFailed("表单已过期，请刷新登录页后重试", field="csrf_token")


async def check_form_csrf(request: Request) -> None:
    """A form anyone may post (signed in or not): the session's token, else the pre-session one."""
    found = await _identify(request)
    if found is None:
        await check_pre_session_csrf(request)

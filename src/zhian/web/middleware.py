"""Middleware: one transaction per request, and the security headers on every response."""

from __future__ import annotations

import logging

from sqlalchemy.orm import Session, sessionmaker
from starlette.concurrency import run_in_threadpool
from starlette.middleware.base import BaseHTTPMiddleware, RequestResponseEndpoint
from starlette.requests import Request
from starlette.responses import Response
from starlette.types import ASGIApp

log = logging.getLogger(__name__)

SECURITY_HEADERS = {
    "Content-Security-Policy": (
        "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
        "connect-src 'self'; font-src 'self'; object-src 'none'; base-uri 'self'; "
        "form-action 'self'; frame-ancestors 'none'"
    ),
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
    "Referrer-Policy": "same-origin",
    "Permissions-Policy": "camera=(), microphone=(), geolocation=(self)",
    "Cross-Origin-Opener-Policy": "same-origin",
}


class TransactionMiddleware(BaseHTTPMiddleware):
    """The request owns the transaction: commit when it succeeded, roll back otherwise.

    A route that must keep its writes although it answers with an error (a failed sign-in
    counts towards the lockout) sets ``request.state.commit = True``.
    """

    def __init__(self, app: ASGIApp, factory: sessionmaker[Session]) -> None:
        super().__init__(app)
        self.factory = factory

    async def dispatch(self, request: Request, call_next: RequestResponseEndpoint) -> Response:
        session = self.factory()
        request.state.db = session
        request.state.commit = False
        try:
            response = await call_next(request)
            if response.status_code < 400 or request.state.commit:
                await run_in_threadpool(session.commit)
            else:
                await run_in_threadpool(session.rollback)
            return response
        except BaseException:
            await run_in_threadpool(session.rollback)
            raise
        finally:
            await run_in_threadpool(session.close)


class SecurityHeadersMiddleware(BaseHTTPMiddleware):
    """Adds CSP (no inline script), nosniff, frame-ancestors and a referrer policy."""

    async def dispatch(self, request: Request, call_next: RequestResponseEndpoint) -> Response:
        response = await call_next(request)
        for name, value in SECURITY_HEADERS.items():
            response.headers.setdefault(name, value)
        if request.url.scheme == "https":
            response.headers.setdefault("Strict-Transport-Security", "max-age=31536000")
        if request.url.path.startswith(("/api/", "/login")):
            response.headers.setdefault("Cache-Control", "no-store")
        return response

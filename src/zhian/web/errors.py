"""One handler for domain errors: JSON for the API, a readable page for the console.

Denied accesses (another jurisdiction's record, a role without the permission, a forged
form) are audited here: the request's work is rolled back and the denial alone committed.
"""

from __future__ import annotations

import logging
from urllib.parse import quote

from fastapi import FastAPI, Request
from fastapi.exception_handlers import request_validation_exception_handler
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, RedirectResponse
from starlette.concurrency import run_in_threadpool
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.responses import Response

from zhian.core.audit import service as audit
from zhian.core.errors import DomainError, Forbidden
from zhian.web.deps import CsrfFailed, LoginRequired
from zhian.web.templating import render

log = logging.getLogger(__name__)


def wants_json(request: Request) -> bool:
    """API paths and clients asking for JSON get JSON; browsers get pages."""
    return request.url.path.startswith("/api/") or request.url.path in ("/healthz",)


async def _audit_denial(request: Request, exc: DomainError) -> None:
    actor = getattr(request.state, "actor", None)
    fields: dict[str, object] = {
        "action": "access",
        "outcome": "denied",
        "actor": actor,
        "division": actor.division if actor is not None else None,
        "client_addr": request.client.host if request.client else None,
        "detail": {"path": request.url.path, "method": request.method, "reason": exc.code},
    }
    if isinstance(exc, audit.AccessDenied):
        fields.update(
            actor=exc.actor,
            record_type=exc.record_type,
            record_id=exc.record_id,
            division=exc.division,
        )
    # The request's own work is void; its transaction now carries only the denial, and the
    # middleware commits it (reusing it keeps SQLite's single writer from waiting on itself).
    session = request.state.db
    try:
        await run_in_threadpool(session.rollback)
        await run_in_threadpool(lambda: audit.record(session, **fields))  # type: ignore[arg-type]
        request.state.commit = True
    except Exception:  # the refusal stands even if its audit entry could not be written
        log.exception("could not audit a denied access")


async def domain_error(request: Request, exc: Exception) -> Response:
    """Render a DomainError as 4xx JSON or a page."""
    assert isinstance(exc, DomainError)
    if isinstance(exc, audit.AccessDenied | Forbidden | CsrfFailed):
        await _audit_denial(request, exc)
    if wants_json(request):
        headers = {"WWW-Authenticate": "Bearer"} if exc.status_code == 401 else None
        return JSONResponse(exc.as_dict(), status_code=exc.status_code, headers=headers)
    if isinstance(exc, LoginRequired):
        target = request.url.path + (f"?{request.url.query}" if request.url.query else "")
        return RedirectResponse(f"/login?next={quote(target)}", status_code=303)
    return render(
        request, "error.html", status_code=exc.status_code, message=exc.message, field=exc.field
    )


async def validation_error(request: Request, exc: Exception) -> Response:
    """Bad input names the field: FastAPI's 422 body for the API, a page for the console."""
    assert isinstance(exc, RequestValidationError)
    if wants_json(request):
        return await request_validation_exception_handler(request, exc)
    first = exc.errors()[0] if exc.errors() else {"loc": [], "msg": "输入有误"}
    field = ".".join(str(p) for p in first.get("loc", [])[1:])
    return render(
        request, "error.html", status_code=422, message=str(first.get("msg")), field=field
    )


async def http_error(request: Request, exc: Exception) -> Response:
    """Unknown paths and wrong methods, in the caller's format."""
    assert isinstance(exc, StarletteHTTPException)
    if wants_json(request):
        return JSONResponse(
            {"detail": [{"msg": str(exc.detail), "type": "http"}]}, status_code=exc.status_code
        )
    message = "页面不存在" if exc.status_code == 404 else str(exc.detail)
    return render(request, "error.html", status_code=exc.status_code, message=message, field=None)


def install(app: FastAPI) -> None:
    """Register the handlers on the app."""
    app.add_exception_handler(DomainError, domain_error)
    app.add_exception_handler(RequestValidationError, validation_error)
    app.add_exception_handler(StarletteHTTPException, http_error)

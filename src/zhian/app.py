"""The application factory: settings, database, bus, routers, error handlers, middleware."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse
from fastapi.staticfiles import StaticFiles
from sqlalchemy import text
from sqlalchemy.orm import Session, sessionmaker
from starlette.concurrency import run_in_threadpool

from zhian import __version__
from zhian.core.audit import api as audit_api
from zhian.core.audit import pages as audit_pages
from zhian.core.bus.base import Bus
from zhian.core.bus.factory import make_bus
from zhian.core.db import check_durability, make_engine, make_sessionmaker
from zhian.core.identity import api as identity_api
from zhian.core.identity import pages as identity_pages
from zhian.core.settings import Settings, load_settings
from zhian.domains.places import api as places_api
from zhian.web import errors, pages
from zhian.web.middleware import SecurityHeadersMiddleware, TransactionMiddleware

log = logging.getLogger(__name__)
STATIC = Path(__file__).resolve().parent / "web" / "static"


def create_app(
    settings: Settings | None = None,
    *,
    session_factory: sessionmaker[Session] | None = None,
    bus: Bus | None = None,
) -> FastAPI:
    """Build the app; settings are read now (at start-up), never at import time."""
    settings = settings or load_settings()
    if session_factory is None:
        engine = make_engine(settings.database_url)
        check_durability(engine)
        session_factory = make_sessionmaker(engine)
    the_bus = bus or make_bus(settings.bus)

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        await the_bus.start()
        try:
            yield
        finally:
            await the_bus.close()

    app = FastAPI(
        title="zhian",
        version=__version__,
        description="治安防控平台 API: divisions, identity, audit (more systems as they land).",
        lifespan=lifespan,
        docs_url=None,
        redoc_url=None,
    )
    app.state.settings = settings
    app.state.session_factory = session_factory
    app.state.bus = the_bus

    app.add_middleware(TransactionMiddleware, factory=session_factory)
    app.add_middleware(SecurityHeadersMiddleware)
    errors.install(app)
    app.mount("/static", StaticFiles(directory=str(STATIC)), name="static")
    for router in (
        places_api.router,
        identity_api.router,
        audit_api.router,
        identity_pages.router,
        audit_pages.router,
        pages.router,
    ):
        app.include_router(router)

    @app.get("/healthz", tags=["platform"])
    async def healthz(request: Request) -> JSONResponse:
        """Liveness with the database's and the bus's state."""
        database: dict[str, Any] = {"ok": True}
        try:
            await run_in_threadpool(_ping, request.state.db)
            database["backend"] = request.state.db.get_bind().dialect.name
        except Exception as exc:  # health reports the failure instead of raising it
            database = {"ok": False, "error": type(exc).__name__}
        bus_state = await the_bus.health()
        ok = bool(database["ok"]) and bool(bus_state.get("ok"))
        body = {"status": "ok" if ok else "degraded", "database": database, "bus": bus_state}
        return JSONResponse(body, status_code=200 if ok else 503)

    return app


def _ping(session: Session) -> None:
    session.execute(text("SELECT 1"))

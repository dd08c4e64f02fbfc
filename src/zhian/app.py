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
from zhian.core.bus.base import Bus, Event
from zhian.core.bus.factory import make_bus
from zhian.core.db import check_durability, make_engine, make_sessionmaker
from zhian.core.identity import api as identity_api
from zhian.core.identity import pages as identity_pages
from zhian.core.periodic import Periodic
from zhian.core.settings import Settings, load_settings
from zhian.core.time import utcnow
from zhian.domains.firearms import api as firearms_api
from zhian.domains.firearms import hazards as firearm_hazards
from zhian.domains.firearms import pages as firearms_pages
from zhian.domains.hazmat import api as hazmat_api
from zhian.domains.hazmat import hazards as hazmat_hazards
from zhian.domains.hazmat import pages as hazmat_pages
from zhian.domains.incidents import analysis_api as incident_analysis_api
from zhian.domains.incidents import analysis_pages as incident_analysis_pages
from zhian.domains.incidents import api as incidents_api
from zhian.domains.incidents import consumers as incident_consumers
from zhian.domains.incidents import ops_api as incident_ops_api
from zhian.domains.incidents import pages as incident_pages
from zhian.domains.incidents import scheduler as incident_checks
from zhian.domains.places import api as places_api
from zhian.domains.places.imports import api as imports_api
from zhian.domains.places.imports import pages as imports_pages
from zhian.domains.places.registry import api as registry_api
from zhian.domains.places.registry import pages as registry_pages
from zhian.domains.places.registry import plates_api, quality_api
from zhian.domains.transport import alert_pages as transport_alert_pages
from zhian.domains.transport import api as transport_api
from zhian.domains.transport import consumers as transport_consumers
from zhian.domains.transport import pages as transport_pages
from zhian.domains.transport import retention
from zhian.domains.transport import signal as transport_signal
from zhian.domains.transport.alarm_confirm import TerminalDownlink
from zhian.domains.transport.directory import DbDirectory
from zhian.gateways.jt808.server import Jt808Server
from zhian.web import errors, pages
from zhian.web.middleware import SecurityHeadersMiddleware, TransactionMiddleware

log = logging.getLogger(__name__)
STATIC = Path(__file__).resolve().parent / "web" / "static"


def create_app(
    settings: Settings | None = None,
    *,
    session_factory: sessionmaker[Session] | None = None,
    bus: Bus | None = None,
    jt808_port: int | None = None,
    jt808_host: str = "127.0.0.1",
    purge_positions: bool = False,
) -> FastAPI:
    """Build the app; settings are read now (at start-up), never at import time.

    With ``jt808_port`` the JT/T 808 gateway runs in the same process (0 picks a free port;
    the server is ``app.state.jt808`` while the app runs). With ``purge_positions`` vehicle
    positions past the retention are purged at start and then periodically (``zhian serve``).
    """
    settings = settings or load_settings()
    if session_factory is None:
        engine = make_engine(settings.database_url)
        check_durability(engine)
        session_factory = make_sessionmaker(engine)
    the_bus = bus or make_bus(settings.bus)
    # Premise hazards dispatch learns from the registries (the manual flags are the seam's own).
    hazmat_hazards.register_providers()
    firearm_hazards.register_providers()
    rules = transport_consumers.alert_rules(settings)
    factory = session_factory
    periodic = Periodic()
    periodic.add(
        "transport.signal",
        transport_signal.SIGNAL_CHECK_S,
        lambda: transport_signal.run_check(factory, now=utcnow(), rules=rules),
    )
    targets = settings.response_targets
    if settings.incident_check_seconds > 0:
        periodic.add(
            "incidents.checks",
            settings.incident_check_seconds,
            lambda: incident_checks.run_checks(factory, now=utcnow(), targets=targets),
        )
    if purge_positions:
        periodic.add(
            "transport.retention",
            settings.transport_purge_interval_minutes * 60,
            lambda: retention.purge(
                factory, now=utcnow(), retention_days=settings.transport_retention_days
            ),
        )

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        await the_bus.start()
        gateway: Jt808Server | None = None
        try:
            await transport_consumers.subscribe(the_bus, factory, rules)
            await incident_consumers.subscribe(the_bus, factory)
            if jt808_port is not None:
                gateway = await start_jt808(the_bus, factory, host=jt808_host, port=jt808_port)
            app.state.jt808 = gateway
            # The transport domain confirms terminal alarms through it (0x8203).
            downlink: TerminalDownlink | None = gateway
            app.state.terminal_downlink = downlink
            periodic.start()
            yield
        finally:
            await periodic.stop()
            if gateway is not None:
                await gateway.close()
            app.state.jt808 = None
            app.state.terminal_downlink = None
            await the_bus.close()  # stops the consumers

    app = FastAPI(
        title="zhian",
        version=__version__,
        description="治安防控平台 API: divisions, identity, audit, transport (more as they land).",
        lifespan=lifespan,
        docs_url=None,
        redoc_url=None,
    )
    app.state.settings = settings
    app.state.session_factory = session_factory
    app.state.bus = the_bus
    app.state.jt808 = None
    app.state.terminal_downlink = None
    app.state.periodic = periodic

    app.add_middleware(TransactionMiddleware, factory=session_factory)
    app.add_middleware(SecurityHeadersMiddleware)
    errors.install(app)
    app.mount("/static", StaticFiles(directory=str(STATIC)), name="static")
    for router in (
        places_api.router,
        imports_api.router,
        plates_api.router,
        quality_api.router,
        registry_api.router,
        transport_api.router,
        hazmat_api.router,
        # Before incidents_api: its /incidents/{incident_id} would take /incidents/hotspots.
        incident_analysis_api.router,
        firearms_api.router,
        incidents_api.router,
        incident_ops_api.router,
        identity_api.router,
        audit_api.router,
        identity_pages.router,
        audit_pages.router,
        transport_pages.router,
        transport_alert_pages.router,
        incident_analysis_pages.router,
        hazmat_pages.router,
        firearms_pages.router,
        imports_pages.router,
        incident_pages.router,
        registry_pages.router,
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


async def start_jt808(
    bus: Bus, session_factory: sessionmaker[Session], *, host: str, port: int
) -> Jt808Server:
    """The JT/T 808 gateway: terminals from the vehicle registry, positions onto the bus."""

    async def publish(subject: str, data: dict[str, Any], event_id: str) -> None:
        await bus.publish(Event.new(subject, "gateway.jt808", data, id=event_id))

    server = Jt808Server(DbDirectory(session_factory), publish)
    await server.start(host, port)
    log.info("jt808 gateway listening on %s:%d", host, server.port)
    return server


def _ping(session: Session) -> None:
    session.execute(text("SELECT 1"))

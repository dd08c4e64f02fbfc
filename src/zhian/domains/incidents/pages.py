"""Console pages of the incidents system: the live board and its server-sent event stream,
the call-taker's intake form, and an incident's page where units are assigned.

The page renders the board once; ``board.js`` then follows ``/incidents/board/events``, which
sends the viewer's whole board as one ``board`` event whenever the viewer's change stamp
(``board.stamp``) moves, checked every ``POLL_S``. Each round opens its own short session
(the request's transaction ends when the stream starts) and first checks that the viewer's
sign-in still holds: a signed-out or timed-out viewer gets a ``signed-out`` event and the
stream ends. A stream also ends after ``STREAM_S`` and the browser reconnects; reconnecting
does not count as activity (``stream_identity``), so an unattended board does not keep an
idle session alive.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import RedirectResponse
from pydantic import ValidationError
from sqlalchemy.orm import Session, sessionmaker
from starlette.concurrency import run_in_threadpool
from starlette.responses import Response, StreamingResponse

from zhian.core.db import read_only as db_read_only
from zhian.core.errors import DomainError, InvalidInput
from zhian.core.identity import sessions
from zhian.core.identity.roles import allowed, require
from zhian.core.scope import Actor
from zhian.core.time import utcnow
from zhian.domains.incidents import board, service, units
from zhian.domains.incidents.choices import (
    DEFAULT_PRIORITY,
    INCIDENT_STATUS_LABELS,
    INCIDENT_TYPE_LABELS,
    UNIT_KIND_LABELS,
    IncidentStatus,
    label,
)
from zhian.domains.incidents.schemas import IncidentCreate
from zhian.web.deps import Identity, db, page_identity, read_only, stream_identity
from zhian.web.i18n import pick_locale
from zhian.web.templating import LANG_COOKIE, render

router = APIRouter(include_in_schema=False)

POLL_S = 1.0
HEARTBEAT_S = 15.0
STREAM_S = 300.0


@router.get("/incidents", dependencies=[Depends(read_only)])
def board_page(
    request: Request,
    ident: Annotated[Identity, Depends(page_identity)],
    session: Annotated[Session, Depends(db)],
) -> Response:
    """The live board of the signed-in user's jurisdiction."""
    locale = _locale(request)
    first = board.snapshot(
        session,
        actor=ident.actor,
        now=utcnow(),
        locale=locale,
        targets=request.app.state.settings.response_targets,
    )
    may_take_calls = ident.actor.role == "system" or allowed(ident.actor.role, "incidents.intake")
    return render(
        request,
        "incidents/board.html",
        board=first,
        may_take_calls=may_take_calls,
        active="incidents",
    )


def _locale(request: Request) -> str:
    return pick_locale(request.cookies.get(LANG_COOKIE), request.app.state.settings.locale)


@dataclass(frozen=True)
class Viewer:
    """Who follows the stream: the actor, their console session (None with a token), and
    the language of the labels."""

    actor: Actor
    session_id: int | None
    locale: str


def _round(
    request: Request, viewer: Viewer, last: board.Stamp | None
) -> tuple[board.Stamp | None, dict[str, Any] | None]:
    """The board if it changed since ``last``; (None, None) once the sign-in has ended."""
    factory: sessionmaker[Session] = request.app.state.session_factory
    actor, locale = viewer.actor, viewer.locale
    with db_read_only(factory) as session:
        if viewer.session_id is not None and not sessions.still_valid(
            session, request.app.state.settings, viewer.session_id
        ):
            return None, None
        now_stamp = board.stamp(session, actor=actor)
        if now_stamp == last:
            return now_stamp, None
        return now_stamp, board.snapshot(
            session,
            actor=actor,
            now=utcnow(),
            locale=locale,
            targets=request.app.state.settings.response_targets,
            known=now_stamp,
        )


async def _events(request: Request, viewer: Viewer) -> AsyncIterator[str]:
    last: board.Stamp | None = None
    started = quiet_since = time.monotonic()
    sent = 0
    yield "retry: 3000\n\n"
    while time.monotonic() - started < STREAM_S:
        if await request.is_disconnected():
            return
        last, snap = await run_in_threadpool(_round, request, viewer, last)
        if last is None:
            yield "event: signed-out\ndata: {}\n\n"
            return
        if snap is not None:
            sent += 1
            data = board.to_json(snap)
            yield f"event: board\nid: {sent}\ndata: {data}\n\n"
            quiet_since = time.monotonic()
        elif time.monotonic() - quiet_since >= HEARTBEAT_S:
            yield ": keep-alive\n\n"  # proxies close idle streams
            quiet_since = time.monotonic()
        await asyncio.sleep(POLL_S)


@router.get("/incidents/board/events")
async def board_events(
    request: Request, ident: Annotated[Identity, Depends(stream_identity)]
) -> Response:
    """The viewer's board as server-sent events: a full board whenever it changes."""
    require(ident.actor, "incidents.read")
    # Read now: the request's session is committed and closed when the stream starts.
    session_id = ident.auth_session.id if ident.auth_session is not None else None
    viewer = Viewer(ident.actor, session_id, _locale(request))
    return StreamingResponse(
        _events(request, viewer),
        media_type="text/event-stream",
        headers={"Cache-Control": "no-store", "X-Accel-Buffering": "no"},
    )


FIELD_NAMES = {
    "type": "警情类别",
    "priority": "等级",
    "location_text": "地址",
    "lon": "经度",
    "lat": "纬度",
    "narrative": "警情描述",
    "caller_phone": "报警电话",
}


def _types(locale: str) -> list[dict[str, Any]]:
    return [
        {
            "value": t.value,
            "label": label(INCIDENT_TYPE_LABELS, t.value, locale),
            "priority": DEFAULT_PRIORITY[t],
        }
        for t in INCIDENT_TYPE_LABELS
    ]


def _intake_form(
    request: Request, *, values: dict[str, str], error: DomainError | None = None
) -> Response:
    return render(
        request,
        "incidents/intake.html",
        status_code=error.status_code if error else 200,
        types=_types(_locale(request)),
        values=values,
        error=error,
        active="incidents",
    )


@router.get("/incidents/new")
def intake_page(request: Request, ident: Annotated[Identity, Depends(page_identity)]) -> Response:
    """The call-taker's form: type, priority, where (text or coordinates), what happened."""
    require(ident.actor, "incidents.intake")
    return _intake_form(request, values={})


@router.post("/incidents/new")
def intake_submit(
    request: Request,
    ident: Annotated[Identity, Depends(page_identity)],
    session: Annotated[Session, Depends(db)],
    type: Annotated[str, Form()],
    priority: Annotated[str, Form()] = "",
    location_text: Annotated[str, Form()] = "",
    lon: Annotated[str, Form()] = "",
    lat: Annotated[str, Form()] = "",
    narrative: Annotated[str, Form()] = "",
    caller_phone: Annotated[str, Form()] = "",
) -> Response:
    """Take the call; on success the incident's page, else the form again naming the field."""
    values = {
        "type": type,
        "priority": priority,
        "location_text": location_text,
        "lon": lon,
        "lat": lat,
        "narrative": narrative,
        "caller_phone": caller_phone,
    }
    raw: dict[str, Any] = {k: v.strip() for k, v in values.items() if v.strip()}
    try:
        try:
            data = IncidentCreate.model_validate(raw)
        except ValidationError as exc:
            first = exc.errors()[0]
            field = str(first["loc"][0]) if first["loc"] else "type"
            name = FIELD_NAMES.get(field, field)
            raise InvalidInput(f"{name}填写有误", field=field) from None
        incident, _, _ = service.create_incident(session, actor=ident.actor, data=data)
    except DomainError as exc:
        return _intake_form(request, values=values, error=exc)
    return RedirectResponse(f"/incidents/{incident.id}", status_code=303)


def _detail(
    request: Request, ident: Identity, session: Session, incident_id: int, error: str | None
) -> Response:
    locale = _locale(request)
    incident, shown = service.get_incident(session, actor=ident.actor, incident_id=incident_id)
    may_dispatch = ident.actor.role == "system" or allowed(ident.actor.role, "incidents.dispatch")
    ended = incident.status in (IncidentStatus.CLEARED.value, IncidentStatus.CANCELLED.value)
    ranked = (
        service.recommend(session, actor=ident.actor, incident_id=incident.id)
        if may_dispatch and not ended
        else []
    )
    committed = units.committed_to(session, incident_id=incident.id)
    return render(
        request,
        "incidents/detail.html",
        status_code=409 if error else 200,
        incident=service.incident_out(incident, show_caller=shown),
        type_label=label(INCIDENT_TYPE_LABELS, incident.type, locale),
        status_label=label(INCIDENT_STATUS_LABELS, incident.status, locale),
        hazards=service.hazards_of(session, incident),
        duplicates=service.possible_duplicates(session, actor=ident.actor, incident=incident),
        recommendations=ranked,
        kind_label=lambda kind: label(UNIT_KIND_LABELS, kind, locale),
        committed=committed,
        may_dispatch=may_dispatch and not ended,
        error=error,
        active="incidents",
    )


@router.get("/incidents/{incident_id:int}")
def incident_page(
    request: Request,
    incident_id: int,
    ident: Annotated[Identity, Depends(page_identity)],
    session: Annotated[Session, Depends(db)],
) -> Response:
    """One incident: where, what, hazards, possible duplicates and the units to send."""
    return _detail(request, ident, session, incident_id, None)


@router.post("/incidents/{incident_id:int}/assign")
def assign_submit(
    request: Request,
    incident_id: int,
    ident: Annotated[Identity, Depends(page_identity)],
    session: Annotated[Session, Depends(db)],
    unit_id: Annotated[int, Form()],
    replace: Annotated[str, Form()] = "",
) -> Response:
    """Send the chosen unit (added, or replacing those there with ``replace``)."""
    try:
        with session.begin_nested():
            service.assign(
                session,
                actor=ident.actor,
                incident_id=incident_id,
                unit_ids=[unit_id],
                replace=replace == "1",
            )
    except DomainError as exc:
        if exc.status_code == 404:
            raise
        request.state.commit = True  # keep the audited read; the assignment was rolled back
        return _detail(request, ident, session, incident_id, exc.message)
    return RedirectResponse(f"/incidents/{incident_id}", status_code=303)

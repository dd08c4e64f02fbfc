"""Console pages of the incidents system: the live board and its server-sent event stream.

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
import json
import time
from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Request
from sqlalchemy.orm import Session, sessionmaker
from starlette.concurrency import run_in_threadpool
from starlette.responses import Response, StreamingResponse

from zhian.core.identity import sessions
from zhian.core.scope import Actor
from zhian.core.time import utcnow
from zhian.domains.incidents import board
from zhian.web.deps import Identity, db, page_identity, stream_identity
from zhian.web.i18n import pick_locale
from zhian.web.templating import LANG_COOKIE, render

router = APIRouter(include_in_schema=False)

POLL_S = 1.0
HEARTBEAT_S = 15.0
STREAM_S = 300.0


@router.get("/incidents")
def board_page(
    request: Request,
    ident: Annotated[Identity, Depends(page_identity)],
    session: Annotated[Session, Depends(db)],
) -> Response:
    """The live board of the signed-in user's jurisdiction."""
    locale = _locale(request)
    first = board.snapshot(session, actor=ident.actor, now=utcnow(), locale=locale)
    return render(request, "incidents/board.html", board=first, active="incidents")


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
    with factory() as session:
        if viewer.session_id is not None and not sessions.still_valid(
            session, request.app.state.settings, viewer.session_id
        ):
            return None, None
        now_stamp = board.stamp(session, actor=actor)
        if now_stamp == last:
            return now_stamp, None
        return now_stamp, board.snapshot(session, actor=actor, now=utcnow(), locale=locale)


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
            data = json.dumps(snap, ensure_ascii=False, separators=(",", ":"))
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
    from zhian.core.identity.roles import require

    require(ident.actor, "incidents.read")
    # Read now: the request's session is committed and closed when the stream starts.
    session_id = ident.auth_session.id if ident.auth_session is not None else None
    viewer = Viewer(ident.actor, session_id, _locale(request))
    return StreamingResponse(
        _events(request, viewer),
        media_type="text/event-stream",
        headers={"Cache-Control": "no-store", "X-Accel-Buffering": "no"},
    )

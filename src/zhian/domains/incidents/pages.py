"""Console pages of the incidents system: the live board and its server-sent event stream.

The page renders the board once; ``board.js`` then follows ``/incidents/board/events``, which
sends the viewer's whole board as one ``board`` event whenever the viewer's change stamp
(``board.stamp``) moves, checked every ``POLL_S``. Each round opens its own short session
(the request's transaction ends when the stream starts). A stream ends after
``STREAM_S``; the browser reconnects, so the viewer's sign-in is checked again.
"""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import AsyncIterator
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Request
from sqlalchemy.orm import Session, sessionmaker
from starlette.concurrency import run_in_threadpool
from starlette.responses import Response, StreamingResponse

from zhian.core.scope import Actor
from zhian.core.time import utcnow
from zhian.domains.incidents import board
from zhian.web.deps import Identity, db, page_identity
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


def _round(
    factory: sessionmaker[Session], actor: Actor, last: board.Stamp | None, locale: str
) -> tuple[board.Stamp, dict[str, Any] | None]:
    with factory() as session:
        now_stamp = board.stamp(session, actor=actor)
        if now_stamp == last:
            return now_stamp, None
        return now_stamp, board.snapshot(session, actor=actor, now=utcnow(), locale=locale)


async def _events(request: Request, actor: Actor, locale: str) -> AsyncIterator[str]:
    factory: sessionmaker[Session] = request.app.state.session_factory
    last: board.Stamp | None = None
    started = quiet_since = time.monotonic()
    sent = 0
    yield "retry: 3000\n\n"
    while time.monotonic() - started < STREAM_S:
        if await request.is_disconnected():
            return
        last, snap = await run_in_threadpool(_round, factory, actor, last, locale)
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
    request: Request, ident: Annotated[Identity, Depends(page_identity)]
) -> Response:
    """The viewer's board as server-sent events: a full board whenever it changes."""
    from zhian.core.identity.roles import require

    require(ident.actor, "incidents.read")
    return StreamingResponse(
        _events(request, ident.actor, _locale(request)),
        media_type="text/event-stream",
        headers={"Cache-Control": "no-store", "X-Accel-Buffering": "no"},
    )

"""Console handling of transport alerts from the live page: acknowledge (确认), then resolve
with a note (处置). The same flows as the API (the terminal is told with 0x8203, and no
lock is held while it answers); a refused form shows the page again, naming the field."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import RedirectResponse
from sqlalchemy.orm import Session
from starlette.concurrency import run_in_threadpool
from starlette.responses import Response

from zhian.core.errors import DomainError, InvalidInput
from zhian.domains.transport import alarm_confirm
from zhian.domains.transport.api import terminal_downlink
from zhian.domains.transport.pages import AlertForm, render_transport_page
from zhian.web.deps import Identity, commit_now, db, page_identity

router = APIRouter(include_in_schema=False)

IdentDep = Annotated[Identity, Depends(page_identity)]
DbDep = Annotated[Session, Depends(db)]
DownlinkDep = Annotated[alarm_confirm.TerminalDownlink | None, Depends(terminal_downlink)]
NOTE_MAX = 2000  # as the API's AlertResolve


def _done(alert_id: int) -> Response:
    return RedirectResponse(f"/transport?handled={alert_id}#alerts", status_code=303)


async def _refused(
    request: Request, ident: Identity, session: Session, form: AlertForm
) -> Response:
    if form.error.status_code in (401, 403, 404):
        raise form.error  # not theirs to handle, or gone: the error page (and its audit)
    return await run_in_threadpool(
        lambda: render_transport_page(request, ident, session, alert_form=form)
    )


@router.post("/transport/alerts/{alert_id}/acknowledge")
async def acknowledge_submit(
    request: Request, ident: IdentDep, session: DbDep, downlink: DownlinkDep, alert_id: int
) -> Response:
    """Acknowledge an open alert (an emergency button is confirmed to the terminal)."""
    try:
        await alarm_confirm.acknowledge_and_confirm(
            session,
            actor=ident.actor,
            alert_id=alert_id,
            downlink=downlink,
            commit=lambda: commit_now(session),
        )
    except DomainError as exc:
        return await _refused(request, ident, session, AlertForm(alert_id, exc))
    return _done(alert_id)


@router.post("/transport/alerts/{alert_id}/resolve")
async def resolve_submit(
    request: Request,
    ident: IdentDep,
    session: DbDep,
    downlink: DownlinkDep,
    alert_id: int,
    note: Annotated[str, Form()] = "",
) -> Response:
    """Resolve an open alert with a note on how it was handled."""
    try:
        if len(note.strip()) > NOTE_MAX:
            raise InvalidInput(f"处置说明不超过 {NOTE_MAX} 字", field="note")
        await alarm_confirm.resolve_and_confirm(
            session,
            actor=ident.actor,
            alert_id=alert_id,
            note=note,
            downlink=downlink,
            commit=lambda: commit_now(session),
        )
    except DomainError as exc:
        return await _refused(request, ident, session, AlertForm(alert_id, exc, note))
    return _done(alert_id)

"""Console pages of the transport system: the live map with the vehicles and their open
alerts, and trip playback of one vehicle (a time range) or one permit (its trip)."""

from __future__ import annotations

import json
from datetime import datetime, timedelta
from typing import Annotated
from urllib.parse import urlencode

from fastapi import APIRouter, Depends, Request
from sqlalchemy.orm import Session
from starlette.responses import Response

from zhian.core.errors import InvalidInput
from zhian.core.time import SHANGHAI, as_utc, local, utcnow
from zhian.domains.transport import live, permits, playback, service
from zhian.domains.transport.choices import ALERT_KIND_LABELS
from zhian.web.deps import Identity, db, page_identity
from zhian.web.i18n import pick_locale
from zhian.web.templating import LANG_COOKIE, render

router = APIRouter(include_in_schema=False)


@router.get("/transport")
def transport_page(
    request: Request,
    ident: Annotated[Identity, Depends(page_identity)],
    session: Annotated[Session, Depends(db)],
) -> Response:
    """The signed-in user's vehicles on the map and in a table, with their open alerts."""
    from zhian.domains.places import service as places

    rows = live.live_fleet(session, actor=ident.actor)
    names: dict[str, str] = {}
    for code in {row.vehicle.division for row in rows}:
        found = places.find_division(session, code)
        names[code] = found.name if found else code
    return render(
        request,
        "transport/index.html",
        rows=rows,
        alert_labels=ALERT_KIND_LABELS,
        division_names=names,
        active="transport",
    )


# --- trip playback --------------------------------------------------------------------------

LOCAL_INPUT = "%Y-%m-%dT%H:%M"  # what <input type="datetime-local"> sends, Asia/Shanghai
DEFAULT_SPAN = timedelta(hours=24)


def _local_input(value: datetime) -> str:
    return local(value).strftime(LOCAL_INPUT)


def _parse_local(raw: str, field: str) -> datetime:
    for fmt in (LOCAL_INPUT, LOCAL_INPUT + ":%S"):  # some browsers send seconds
        try:
            return datetime.strptime(raw.strip(), fmt).replace(tzinfo=SHANGHAI)
        except ValueError:
            continue
    raise InvalidInput("时间格式应为 年-月-日T时:分", field=field)


def _kind_labels(request: Request) -> str:
    """The alert kinds' labels in the page's language, as JSON for playback.js."""
    locale = pick_locale(request.cookies.get(LANG_COOKIE), request.app.state.settings.locale)
    pick = 0 if locale.startswith("zh") else 1
    return json.dumps({k: v[pick] for k, v in ALERT_KIND_LABELS.items()}, ensure_ascii=False)


@router.get("/transport/vehicles/{vehicle_id}/playback")
def vehicle_playback_page(
    request: Request,
    ident: Annotated[Identity, Depends(page_identity)],
    session: Annotated[Session, Depends(db)],
    vehicle_id: int,
    since: str | None = None,
    until: str | None = None,
) -> Response:
    """Play back a vehicle's track over a time range (the last day of fixes by default)."""
    vehicle = service.visible_vehicle(session, actor=ident.actor, vehicle_id=vehicle_id)
    end = (
        as_utc(vehicle.last_position_at) + timedelta(minutes=1)
        if vehicle.last_position_at
        else utcnow()
    )
    error: InvalidInput | None = None
    start_at, end_at = end - DEFAULT_SPAN, end
    try:
        if until:
            end_at = _parse_local(until, "until")
        if since:
            start_at = _parse_local(since, "since")
        elif until:
            start_at = end_at - DEFAULT_SPAN
        playback.check_window(start_at, end_at, playback.DEFAULT_POINTS)
    except InvalidInput as exc:
        error = exc
    track_url = None
    if error is None:
        query = urlencode(
            {"since": as_utc(start_at).isoformat(), "until": as_utc(end_at).isoformat()}
        )
        track_url = f"/api/v1/transport/vehicles/{vehicle.id}/track?{query}"
    trips = permits.list_permits(
        session, actor=ident.actor, vehicle_id=vehicle.id, page=1, per_page=20
    ).items
    return render(
        request,
        "transport/playback.html",
        vehicle=vehicle,
        permit=None,
        trips=trips,
        since=since if error and since else _local_input(start_at),
        until=until if error and until else _local_input(end_at),
        error=error,
        track_url=track_url,
        kind_labels=_kind_labels(request),
        active="transport",
    )


@router.get("/transport/permits/{permit_id}/playback")
def permit_playback_page(
    request: Request,
    ident: Annotated[Identity, Depends(page_identity)],
    session: Annotated[Session, Depends(db)],
    permit_id: int,
) -> Response:
    """Play back a permit's trip along its corridor."""
    permit = permits.get_permit(session, actor=ident.actor, permit_id=permit_id)
    vehicle = service.visible_vehicle(session, actor=ident.actor, vehicle_id=permit.vehicle_id)
    start_at, end_at = playback.trip_window(permit)
    return render(
        request,
        "transport/playback.html",
        vehicle=vehicle,
        permit=permit,
        trips=[],
        since=_local_input(start_at),
        until=_local_input(end_at),
        error=None,
        track_url=f"/api/v1/transport/permits/{permit.id}/track",
        kind_labels=_kind_labels(request),
        active="transport",
    )

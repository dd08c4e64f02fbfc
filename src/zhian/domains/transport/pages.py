"""Console pages of the transport system: the live map with the vehicles and their open
alerts and the registered expressways (drawn there by those who manage them), and trip
playback of one vehicle (a time range) or one permit (its trip)."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Annotated
from urllib.parse import urlencode

from fastapi import APIRouter, Depends, Form, Query, Request
from fastapi.responses import JSONResponse, RedirectResponse
from pydantic import ValidationError
from sqlalchemy.orm import Session
from starlette.responses import Response

from zhian.core.errors import DomainError, InvalidInput
from zhian.core.identity.roles import allowed
from zhian.core.time import SHANGHAI, as_utc, local, utcnow
from zhian.domains.transport import live, permits, playback, service, tracking
from zhian.domains.transport.choices import ALERT_KIND_LABELS, TERMINAL_CONFIRMATION_LABELS
from zhian.domains.transport.permit_schemas import ExpresswayCreate
from zhian.web.deps import Identity, db, page_identity, read_only, stream_identity
from zhian.web.i18n import pick_locale
from zhian.web.templating import LANG_COOKIE, render

router = APIRouter(include_in_schema=False)


EXPRESSWAYS_PER_PAGE = 50
# What the expressway form says when a field fails the schema (the service's own checks
# name the field in their message already).
EXPRESSWAY_FIELD_ERRORS = {
    "name": "请填写路段名称（不超过 200 字）",
    "code": "路线编号应为 G 或 S 加 1 至 4 位数字，如 G30、S107",
    "width_m": "每侧带宽应为大于 0、不超过 500 的米数",
    "division": "请选择辖区",
    "centreline": "请在地图上点选至少两个点，或粘贴 GeoJSON LineString",
}


@dataclass(frozen=True)
class AlertForm:
    """An alert handling form that was refused: which alert, why, and the note as typed."""

    alert_id: int
    error: DomainError
    note: str = ""


def render_transport_page(
    request: Request,
    ident: Identity,
    session: Session,
    *,
    page: int = 1,
    values: dict[str, str] | None = None,
    error: DomainError | None = None,
    alert_form: AlertForm | None = None,
    handled_id: int | None = None,
) -> Response:
    """The transport page, with a refused form's error and values, or what was just handled."""
    from zhian.domains.places import service as places

    rows = live.live_fleet(session, actor=ident.actor)
    open_alerts = sorted(
        ((row.vehicle, a) for row in rows for a in row.alerts),
        key=lambda pair: (pair[1].opened_at, pair[1].id),
        reverse=True,
    )
    handled = (
        tracking.find_alert(session, actor=ident.actor, alert_id=handled_id)
        if handled_id is not None
        else None
    )
    roads = permits.list_expressways(
        session, actor=ident.actor, page=page, per_page=EXPRESSWAYS_PER_PAGE
    )
    names: dict[str, str] = {}
    for code in {row.vehicle.division for row in rows} | {r.division for r in roads.items}:
        found = places.find_division(session, code)
        names[code] = found.name if found else code
    may_draw = allowed(ident.actor.role, "transport.manage")
    divisions = (
        places.list_divisions(session, actor=ident.actor, per_page=100).items if may_draw else []
    )
    bands = [
        {
            "id": road.id,
            "name": road.name,
            "code": road.code,
            "centreline": json.loads(road.centreline),
            "area": json.loads(road.area),
        }
        for road in roads.items
    ]
    failed = error or (alert_form.error if alert_form else None)
    return render(
        request,
        "transport/index.html",
        status_code=failed.status_code if failed else 200,
        rows=rows,
        open_alerts=open_alerts,
        newest_alert_id=tracking.newest_alert_id(session, actor=ident.actor),
        may_handle=allowed(ident.actor.role, "transport.alerts.handle"),
        alert_form=alert_form,
        handled=handled,
        confirmation_labels=TERMINAL_CONFIRMATION_LABELS,
        alert_labels=ALERT_KIND_LABELS,
        division_names=names,
        roads=roads,
        page=roads,
        bands=json.dumps(bands, ensure_ascii=False, separators=(",", ":")),
        may_draw=may_draw,
        divisions=divisions,
        values=values or {"width_m": "40", "division": ident.actor.division or ""},
        error=error,
        active="transport",
    )


@router.get("/transport")
def transport_page(
    request: Request,
    ident: Annotated[Identity, Depends(page_identity)],
    session: Annotated[Session, Depends(db)],
    page: Annotated[int, Query(ge=1)] = 1,
    handled: Annotated[int | None, Query(ge=1)] = None,
) -> Response:
    """The signed-in user's vehicles on the map and in a table, their open alerts (to
    acknowledge and resolve), and the expressway stretches of the jurisdiction."""
    return render_transport_page(request, ident, session, page=page, handled_id=handled)


@router.get("/transport/alerts/raised", dependencies=[Depends(read_only)])
def alerts_raised(
    ident: Annotated[Identity, Depends(stream_identity)],
    session: Annotated[Session, Depends(db)],
    after: Annotated[int, Query(ge=0)] = 0,
) -> JSONResponse:
    """For the open page's check every few seconds (``js/alerts-live.js``): how many open
    alerts were raised after the one it knew last. Identified like a stream, so the checks of
    an unattended page never keep its idle session alive."""
    count = tracking.open_alerts_after(session, actor=ident.actor, after_id=after)
    return JSONResponse({"after": after, "count": count}, headers={"Cache-Control": "no-store"})


@router.post("/transport/expressways")
def expressway_submit(
    request: Request,
    ident: Annotated[Identity, Depends(page_identity)],
    session: Annotated[Session, Depends(db)],
    name: Annotated[str, Form()] = "",
    code: Annotated[str, Form()] = "",
    width_m: Annotated[str, Form()] = "",
    division: Annotated[str, Form()] = "",
    centreline: Annotated[str, Form()] = "",
) -> Response:
    """Register an expressway stretch drawn on the map (or pasted as GeoJSON); on a bad
    field the page again, naming it."""
    values = {
        "name": name,
        "code": code,
        "width_m": width_m,
        "division": division,
        "centreline": centreline,
    }
    try:
        try:
            data = ExpresswayCreate.model_validate(
                {
                    "name": name,
                    "code": code.strip().upper(),
                    "width_m": width_m.strip() or None,
                    "division": division.strip(),
                    "centreline": _geojson(centreline),
                }
            )
        except ValidationError as exc:
            first = exc.errors()[0]
            field = str(first["loc"][0]) if first["loc"] else "centreline"
            message = EXPRESSWAY_FIELD_ERRORS.get(field, "填写有误")
            raise InvalidInput(message, field=field) from None
        permits.create_expressway(session, actor=ident.actor, data=data)
    except DomainError as exc:
        if exc.status_code in (401, 403):
            raise
        return render_transport_page(request, ident, session, values=values, error=exc)
    return RedirectResponse("/transport#expressways", status_code=303)


def _geojson(text: str) -> object:
    """The centreline field's JSON, or the text itself for the service to refuse in Chinese."""
    try:
        return json.loads(text) if text.strip() else None
    except ValueError:
        raise InvalidInput("不是有效的 GeoJSON", field="centreline") from None


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

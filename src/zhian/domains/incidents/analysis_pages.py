"""Console page of the incident analyses: the hotspot layer on the map, the response times."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from typing import Annotated
from urllib.parse import urlencode

from fastapi import APIRouter, Depends, Query, Request
from sqlalchemy.orm import Session
from starlette.responses import Response

from zhian.core.time import local, utcnow
from zhian.domains.incidents import analysis
from zhian.domains.incidents.analysis import HotspotMethod
from zhian.domains.incidents.choices import INCIDENT_TYPE_LABELS, IncidentType
from zhian.domains.incidents.schemas import DIVISION_PATTERN
from zhian.web.deps import Identity, db, page_identity, settings_of
from zhian.web.templating import render

router = APIRouter(include_in_schema=False)

DEFAULT_DAYS = 30
CELL_SIZES_M = (250, 500, 1000, 2000, 5000)


def duration(seconds: float | None) -> str:
    """Seconds as m:ss (h:mm:ss from an hour), empty when there is nothing to show."""
    if seconds is None:
        return ""
    whole = round(seconds)
    hours, rest = divmod(whole, 3600)
    minutes, secs = divmod(rest, 60)
    return f"{hours}:{minutes:02d}:{secs:02d}" if hours else f"{minutes}:{secs:02d}"


@router.get("/incidents/analysis")
def analysis_page(
    request: Request,
    ident: Annotated[Identity, Depends(page_identity)],
    session: Annotated[Session, Depends(db)],
    type: IncidentType | None = None,
    since: date | None = None,
    until: date | None = None,
    cell_m: Annotated[int, Query(ge=50, le=20_000)] = 500,
    method: HotspotMethod = HotspotMethod.GI,
    division: Annotated[str | None, Query(pattern=DIVISION_PATTERN)] = None,
) -> Response:
    """Hotspots and response times of a period (whole days, Beijing time, both included)."""
    last = until or local(utcnow()).date()
    first = since or last - timedelta(days=DEFAULT_DAYS - 1)
    start = datetime.combine(first, datetime.min.time())
    end = datetime.combine(last + timedelta(days=1), datetime.min.time())
    report = analysis.response_report(
        session,
        actor=ident.actor,
        since=start,
        until=end,
        division=division,
        targets=settings_of(request).response_targets,
    )
    period = {"since": start.isoformat(), "until": end.isoformat()}
    if division:
        period["division"] = division
    layer = {**period, "cell_m": str(cell_m), "method": method.value}
    if type is not None:
        layer["type"] = type.value
    return render(
        request,
        "incidents/analysis.html",
        report=report,
        first=first,
        last=last,
        chosen_type=type,
        cell_m=cell_m,
        method=method.value,
        division=division or "",
        type_labels=INCIDENT_TYPE_LABELS,
        cell_sizes=CELL_SIZES_M,
        hotspots_url="/api/v1/incidents/hotspots?" + urlencode(layer),
        report_url="/api/v1/incidents/reports/response-times?" + urlencode(period),
        duration=duration,
        active="incidents",
    )

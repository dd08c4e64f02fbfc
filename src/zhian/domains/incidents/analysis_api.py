"""JSON and file routes of the incident analyses: hotspot layers and response-time reports."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query, Request
from sqlalchemy.orm import Session
from starlette.responses import Response

from zhian.core.scope import Actor
from zhian.domains.incidents import analysis, reports
from zhian.domains.incidents.analysis import HotspotMethod
from zhian.domains.incidents.choices import IncidentType
from zhian.domains.incidents.schemas import DIVISION_PATTERN
from zhian.web.deps import api_actor, db, settings_of

router = APIRouter(prefix="/api/v1/incidents", tags=["incidents"])

ActorDep = Annotated[Actor, Depends(api_actor)]
DbDep = Annotated[Session, Depends(db)]
SinceQ = Annotated[datetime | None, Query(description="Start (included); naive is Beijing time")]
UntilQ = Annotated[datetime | None, Query(description="End (excluded); default now")]
DivisionQ = Annotated[str | None, Query(pattern=DIVISION_PATTERN)]

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


class ReportFormat(StrEnum):
    """How a report is answered: JSON, or a file to download."""

    JSON = "json"
    CSV = "csv"
    XLSX = "xlsx"


@router.get("/hotspots")
def hotspots(
    actor: ActorDep,
    session: DbDep,
    type: IncidentType | None = None,
    since: SinceQ = None,
    until: UntilQ = None,
    cell_m: Annotated[float, Query(ge=50, le=20_000)] = 500.0,
    method: HotspotMethod = HotspotMethod.GI,
    bandwidth_m: Annotated[float | None, Query(ge=10, le=50_000)] = None,
    division: DivisionQ = None,
) -> dict[str, Any]:
    """Hotspots of the period as a GeoJSON FeatureCollection of grid cells."""
    return analysis.hotspot_layer(
        session,
        actor=actor,
        method=method,
        incident_type=type,
        since=since,
        until=until,
        cell_m=cell_m,
        bandwidth_m=bandwidth_m,
        division=division,
    )


@router.get("/reports/response-times", response_model=reports.ResponseReport)
def response_times(
    request: Request,
    actor: ActorDep,
    session: DbDep,
    since: SinceQ = None,
    until: UntilQ = None,
    division: DivisionQ = None,
    format: ReportFormat = ReportFormat.JSON,
) -> Any:
    """Counts and response times per division; ``format=csv|xlsx`` downloads a file."""
    export = None if format == ReportFormat.JSON else format.value
    report = analysis.response_report(
        session,
        actor=actor,
        since=since,
        until=until,
        division=division,
        export=export,
        targets=settings_of(request).response_targets,
    )
    if export is None:
        return report
    body, media = (
        (reports.to_csv(report), "text/csv; charset=utf-8")
        if format == ReportFormat.CSV
        else (reports.to_xlsx(report), XLSX)
    )
    stamp = f"{report.since:%Y%m%d}-{report.until:%Y%m%d}"
    name = f"response-times-{report.area or 'all'}-{stamp}.{export}"
    return Response(
        body, media_type=media, headers={"Content-Disposition": f'attachment; filename="{name}"'}
    )

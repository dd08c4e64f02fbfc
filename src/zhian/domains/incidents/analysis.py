"""Analyses of past incidents for leaders: hotspot layers and response-time reports.

Both read the incidents of a period inside the actor's jurisdiction (or of one division of
it), never a single call's details. A period given without a time zone is Beijing time, as
the console shows it; the period includes ``since`` and excludes ``until``.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from enum import StrEnum
from typing import Any

import numpy as np
from sqlalchemy import ColumnElement, select
from sqlalchemy.orm import Session

from zhian.core import scope as scoping
from zhian.core.audit import service as audit
from zhian.core.errors import InvalidInput
from zhian.core.geo import LOCAL_TM, to_local_xy
from zhian.core.identity.roles import require
from zhian.core.scope import Actor
from zhian.core.time import SHANGHAI, as_utc, utcnow
from zhian.domains.incidents import hotspots, reports
from zhian.domains.incidents.choices import IncidentStatus, IncidentType
from zhian.domains.incidents.models import Incident
from zhian.domains.places import service as places

DEFAULT_PERIOD = timedelta(days=30)
MAX_CELLS = 1_000_000
# A density layer leaves out cells under this share of the peak: they would only be noise.
KDE_FLOOR = 0.01
# The kernel costs a pass over the grid per cell of its reach (5 bandwidths each way).
MAX_BANDWIDTH_CELLS = 20


class HotspotMethod(StrEnum):
    """How hotspots are found: Getis-Ord Gi* z-scores, or kernel density."""

    GI = "gi"
    KDE = "kde"


def period(since: datetime | None, until: datetime | None) -> tuple[datetime, datetime]:
    """The period as aware UTC instants: the last 30 days unless given; naive is Beijing time."""

    def aware(value: datetime) -> datetime:
        return as_utc(value.replace(tzinfo=SHANGHAI) if value.tzinfo is None else value)

    end = aware(until) if until is not None else utcnow()
    start = aware(since) if since is not None else end - DEFAULT_PERIOD
    if start >= end:
        raise InvalidInput("起始时间须早于截止时间", field="until")
    return start, end


def _area_prefix(session: Session, actor: Actor, division: str | None) -> str | None:
    """The code prefix of the division asked for (a 404 outside the jurisdiction), if any."""
    if division is None:
        return None
    found = places.get_division(session, actor=actor, adcode=division)
    return scoping.division_prefix(found.adcode)


def _filters(
    actor: Actor, prefix: str | None, since: datetime, until: datetime
) -> list[ColumnElement[bool]]:
    clauses = [
        scoping.scope_clause(actor, Incident.division),
        Incident.received_at >= since,
        Incident.received_at < until,
    ]
    if prefix is not None:
        clauses.append(Incident.division.startswith(prefix, autoescape=True))
    return clauses


def _extent(
    session: Session, actor: Actor, prefix: str | None
) -> tuple[float, float, float, float] | None:
    """The local-projection bounding box of the visible boundaries (under ``prefix``)."""
    features = places.map_features(session, actor=actor)["features"]
    parts = [
        np.asarray(ring, dtype=np.float64)[:, :2]
        for f in features
        if f["geometry"] and (prefix is None or str(f["properties"]["adcode"]).startswith(prefix))
        for ring in _rings(f["geometry"])
    ]
    if not parts:
        return None
    lonlat = np.concatenate(parts)
    x, y = to_local_xy(lonlat[:, 0], lonlat[:, 1])
    return float(x.min()), float(y.min()), float(x.max()), float(y.max())


def _rings(geometry: dict[str, Any]) -> list[Any]:
    """The coordinate rings of a GeoJSON Polygon or MultiPolygon."""
    if geometry["type"] == "Polygon":
        return list(geometry["coordinates"])
    if geometry["type"] == "MultiPolygon":
        return [ring for polygon in geometry["coordinates"] for ring in polygon]
    return []


def hotspot_layer(
    session: Session,
    *,
    actor: Actor,
    method: HotspotMethod = HotspotMethod.GI,
    incident_type: IncidentType | None = None,
    since: datetime | None = None,
    until: datetime | None = None,
    cell_m: float = 500.0,
    bandwidth_m: float | None = None,
    division: str | None = None,
) -> dict[str, Any]:
    """Hotspots of the period's incidents (cancelled ones left out) as a GeoJSON layer.

    The grid covers the jurisdiction's boundaries (or the division's). Gi* gives every cell
    whose 3 x 3 window holds an incident, with ``z``, its two-sided normal ``p`` and a
    confidence ``bin`` (-3..3); kernel density gives cells of at least 1 % of the peak, in
    incidents per square kilometre.
    """
    require(actor, "incidents.read")
    start, end = period(since, until)
    prefix = _area_prefix(session, actor, division)
    bandwidth = bandwidth_m if bandwidth_m is not None else 2.0 * cell_m
    if method == HotspotMethod.KDE and bandwidth > MAX_BANDWIDTH_CELLS * cell_m:
        raise InvalidInput(f"带宽不能超过格网尺寸的 {MAX_BANDWIDTH_CELLS} 倍", field="bandwidth_m")
    stmt = select(Incident.lon, Incident.lat).where(
        *_filters(actor, prefix, start, end),
        Incident.status != IncidentStatus.CANCELLED.value,
    )
    if incident_type is not None:
        stmt = stmt.where(Incident.type == incident_type.value)
    # Plain tuples: numpy reads a list of Row objects one key lookup at a time.
    points = np.array([(r[0], r[1]) for r in session.execute(stmt)], dtype=np.float64)
    points = points.reshape(-1, 2)
    x, y = to_local_xy(points[:, 0], points[:, 1])
    box = _extent(session, actor, prefix)
    if box is None and len(points):
        box = (float(x.min()), float(y.min()), float(x.max()), float(y.max()))
    layer: dict[str, Any] = {
        "type": "FeatureCollection",
        "method": method.value,
        "incident_type": incident_type.value if incident_type else None,
        "division": division,
        "since": start.isoformat(),
        "until": end.isoformat(),
        "cell_m": cell_m,
        "bandwidth_m": bandwidth if method == HotspotMethod.KDE else None,
        "incidents": 0,
        "grid": None,
        "features": [],
    }
    if box is None:
        return layer
    grid = hotspots.Grid.covering(*box, cell_m=cell_m)
    if grid.size > MAX_CELLS:
        raise InvalidInput(
            f"网格过密（{grid.size} 格，上限 {MAX_CELLS}），请加大格网尺寸", field="cell_m"
        )
    counts = grid.counts(x, y)
    layer["incidents"] = int(counts.sum())
    layer["grid"] = {"x0": grid.x0, "y0": grid.y0, "nx": grid.nx, "ny": grid.ny, "crs": LOCAL_TM}
    if not layer["incidents"]:
        return layer
    if method == HotspotMethod.GI:
        z = hotspots.gi_star(counts)
        rows, cols = np.nonzero(hotspots.window_sum(counts) > 0)
        zs = z[rows, cols]
        ps = hotspots.p_two_sided(zs)
        values = {"z": zs, "p": ps, "bin": hotspots.confidence_bin(zs, ps)}
    else:
        density = hotspots.kernel_density(counts, cell_m, bandwidth)
        rows, cols = np.nonzero(density >= KDE_FLOOR * density.max())
        values = {"density": density[rows, cols]}
    rings = np.round(grid.cell_rings(rows, cols), 6).tolist()
    layer["features"] = [
        {
            "type": "Feature",
            "properties": {
                "row": int(r),
                "col": int(c),
                "count": int(counts[r, c]),
                **{k: _json_number(v[i]) for k, v in values.items()},
            },
            "geometry": {"type": "Polygon", "coordinates": [rings[i]]},
        }
        for i, (r, c) in enumerate(zip(rows, cols, strict=True))
    ]
    return layer


def _json_number(value: Any) -> float | int | None:
    if isinstance(value, np.integer):
        return int(value)
    number = float(value)
    return None if not np.isfinite(number) else number


def response_report(
    session: Session,
    *,
    actor: Actor,
    since: datetime | None = None,
    until: datetime | None = None,
    division: str | None = None,
    export: str | None = None,
) -> reports.ResponseReport:
    """Response times of the period per division of the area; audited (as an export if one)."""
    require(actor, "incidents.read")
    start, end = period(since, until)
    prefix = _area_prefix(session, actor, division)
    rows = session.execute(
        select(
            Incident.division,
            Incident.type,
            Incident.priority,
            Incident.received_at,
            Incident.dispatched_at,
            Incident.arrived_at,
        ).where(*_filters(actor, prefix, start, end))
    ).all()
    calls = [reports.CallFacts(*r) for r in rows]
    codes = sorted({c.division for c in calls})
    names = {code: d.name for code in codes if (d := places.find_division(session, code))}
    report = reports.build(
        calls, names=names, area=division or actor.division or None, since=start, until=end
    )
    audit.record(
        session,
        actor=actor,
        action="export" if export else "report",
        record_type="incident_response_report",
        record_id=division or actor.division or None,
        division=division or actor.division or None,
        detail={
            "since": start.isoformat(),
            "until": end.isoformat(),
            "format": export or "json",
            "incidents": len(calls),
        },
    )
    return report

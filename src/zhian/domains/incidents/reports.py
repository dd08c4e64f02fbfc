"""Response-time reports: counts by type and hour, dispatch and arrival times against targets.

Pure: takes the facts of each call and returns the report, and writes it as CSV or XLSX.
Dispatch time is received → first unit dispatched, arrival time received → first unit on
scene. Medians and 90th percentiles interpolate linearly between order statistics (numpy's
default, Excel's PERCENTILE.INC). A call counts against the targets of its own priority;
calls never dispatched (or never reached) are counted, but have no time to measure.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime

import numpy as np
from openpyxl import Workbook
from pydantic import BaseModel

from zhian.core.settings import DEFAULT_TARGETS, PRIORITIES, ResponseTargets
from zhian.core.time import local
from zhian.domains.incidents.choices import INCIDENT_TYPE_LABELS, IncidentType


@dataclass(frozen=True, slots=True)
class CallFacts:
    """What a report needs of one incident."""

    division: str
    type: str
    priority: int
    received_at: datetime
    dispatched_at: datetime | None
    arrived_at: datetime | None


class Timing(BaseModel):
    """Elapsed times of one measure over a group of calls, against the targets."""

    n: int
    median_s: float | None
    p90_s: float | None
    target_s: float | None
    within_target: int
    within_target_pct: float | None


class PriorityRow(BaseModel):
    """The calls of one priority."""

    priority: int
    incidents: int
    dispatch: Timing
    arrival: Timing


class DivisionRow(BaseModel):
    """One division's calls (or all of them: ``division`` is None)."""

    division: str | None
    name: str
    incidents: int
    by_type: dict[str, int]
    by_hour: list[int]
    dispatch: Timing
    arrival: Timing
    by_priority: list[PriorityRow]


class Target(BaseModel):
    """The targets of one priority, in seconds."""

    priority: int
    dispatch_s: float
    arrival_s: float


class ResponseReport(BaseModel):
    """A period's response times per division, with the total over the area."""

    area: str | None
    since: datetime
    until: datetime
    timezone: str = "Asia/Shanghai"
    targets: list[Target]
    divisions: list[DivisionRow]
    total: DivisionRow


def _seconds(start: datetime, end: datetime | None) -> float | None:
    return None if end is None else (end - start).total_seconds()


def _timing(samples: Sequence[tuple[float, float]], target: float | None) -> Timing:
    """Median, p90 and how many met their target, from (elapsed, that call's target) pairs."""
    if not samples:
        return Timing(
            n=0, median_s=None, p90_s=None, target_s=target, within_target=0, within_target_pct=None
        )
    arr = np.array(samples, dtype=np.float64)
    median, p90 = np.percentile(arr[:, 0], [50, 90])
    within = int((arr[:, 0] <= arr[:, 1]).sum())
    return Timing(
        n=len(arr),
        median_s=round(float(median), 1),
        p90_s=round(float(p90), 1),
        target_s=target,
        within_target=within,
        within_target_pct=round(100.0 * within / len(arr), 1),
    )


def _measures(
    calls: Sequence[CallFacts], priority: int | None, targets: ResponseTargets
) -> tuple[Timing, Timing]:
    """Dispatch and arrival timings of the calls; the targets shown are ``priority``'s."""
    dispatch_s, arrival_s = targets.dispatch_s, targets.arrival_s
    dispatch, arrival = [], []
    for c in calls:
        d = _seconds(c.received_at, c.dispatched_at)
        a = _seconds(c.received_at, c.arrived_at)
        if d is not None:
            dispatch.append((d, dispatch_s[c.priority]))
        if a is not None:
            arrival.append((a, arrival_s[c.priority]))
    return (
        _timing(dispatch, None if priority is None else dispatch_s[priority]),
        _timing(arrival, None if priority is None else arrival_s[priority]),
    )


def division_row(
    division: str | None,
    name: str,
    calls: Sequence[CallFacts],
    targets: ResponseTargets = DEFAULT_TARGETS,
) -> DivisionRow:
    """The report row of one group of calls, measured against ``targets``."""
    by_type = {t.value: 0 for t in IncidentType}
    by_hour = [0] * 24
    for c in calls:
        by_type[c.type] = by_type.get(c.type, 0) + 1
        by_hour[local(c.received_at).hour] += 1
    dispatch, arrival = _measures(calls, None, targets)
    by_priority = []
    for p in PRIORITIES:
        group = [c for c in calls if c.priority == p]
        d, a = _measures(group, p, targets)
        by_priority.append(PriorityRow(priority=p, incidents=len(group), dispatch=d, arrival=a))
    return DivisionRow(
        division=division,
        name=name,
        incidents=len(calls),
        by_type=by_type,
        by_hour=by_hour,
        dispatch=dispatch,
        arrival=arrival,
        by_priority=by_priority,
    )


def build(
    calls: Iterable[CallFacts],
    *,
    names: Mapping[str, str],
    area: str | None,
    since: datetime,
    until: datetime,
    targets: ResponseTargets = DEFAULT_TARGETS,
) -> ResponseReport:
    """The report over the calls, one row per division that had any, and the total, against
    ``targets`` (``ZHIAN_DISPATCH_TARGET_MINUTES``, ``ZHIAN_ARRIVAL_TARGET_MINUTES``)."""
    everything = list(calls)
    grouped: dict[str, list[CallFacts]] = {}
    for c in everything:
        grouped.setdefault(c.division, []).append(c)
    return ResponseReport(
        area=area,
        since=since,
        until=until,
        targets=[
            Target(priority=p, dispatch_s=targets.dispatch_s[p], arrival_s=targets.arrival_s[p])
            for p in PRIORITIES
        ],
        divisions=[
            division_row(code, names.get(code, code), grouped[code], targets)
            for code in sorted(grouped)
        ],
        total=division_row(None, "合计", everything, targets),
    )


def _header() -> list[object]:
    types = [f"{INCIDENT_TYPE_LABELS[t][0]}" for t in IncidentType]
    hours = [f"{h:02d}时" for h in range(24)]
    timing = ["样本数", "中位数(秒)", "P90(秒)", "目标(秒)", "达标数", "达标率(%)"]
    return [
        "区划代码",
        "区划",
        "优先级",
        "警情数",
        *types,
        *hours,
        *(f"派警{t}" for t in timing),
        *(f"到场{t}" for t in timing),
    ]


def _timing_cells(t: Timing) -> list[object]:
    return [t.n, t.median_s, t.p90_s, t.target_s, t.within_target, t.within_target_pct]


def table(report: ResponseReport) -> list[list[object]]:
    """The report as rows, header first: each division (all priorities, then each), the total.

    Type and hour counts are given on the all-priorities rows only.
    """
    blanks: list[object] = [None] * (len(IncidentType) + 24)
    rows: list[list[object]] = [list(_header())]
    for row in [*report.divisions, report.total]:
        code = row.division or ""
        rows.append(
            [
                code,
                row.name,
                "全部",
                row.incidents,
                *(row.by_type[t.value] for t in IncidentType),
                *row.by_hour,
                *_timing_cells(row.dispatch),
                *_timing_cells(row.arrival),
            ]
        )
        for p in row.by_priority:
            rows.append(
                [
                    code,
                    row.name,
                    p.priority,
                    p.incidents,
                    *blanks,
                    *_timing_cells(p.dispatch),
                    *_timing_cells(p.arrival),
                ]
            )
    return rows


def to_csv(report: ResponseReport) -> bytes:
    """The table as UTF-8 CSV with a byte-order mark, so spreadsheet programs read the Chinese."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerows(["" if v is None else v for v in r] for r in table(report))
    return ("\ufeff" + out.getvalue()).encode("utf-8")


def to_xlsx(report: ResponseReport) -> bytes:
    """The table as an XLSX workbook: the table, and a sheet saying the period and targets."""
    book = Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.title = "响应时间"
    for r in table(report):
        sheet.append(r)
    sheet.freeze_panes = "E2"
    about = book.create_sheet("说明")
    about.append(["区域", report.area or "全部辖区"])
    about.append(["起", local(report.since).strftime("%Y-%m-%d %H:%M")])
    about.append(["止", local(report.until).strftime("%Y-%m-%d %H:%M")])
    about.append(["时区", report.timezone])
    about.append(["优先级", "派警目标(秒)", "到场目标(秒)"])
    for t in report.targets:
        about.append([t.priority, t.dispatch_s, t.arrival_s])
    buf = io.BytesIO()
    book.save(buf)
    return buf.getvalue()

"""The periodic checks of the incidents domain, one round at a time.

The app runs ``run_checks`` every ``ZHIAN_INCIDENT_CHECK_SECONDS`` as a job of its
``core.periodic.Periodic`` (a worker thread, started and stopped with the lifespan). A round
opens its own unit of work and runs the checks with one clock reading: overdue incidents
(``alerts.check_overdue``) and patrol zones short of units (``zones.check_zones``).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy.orm import Session, sessionmaker

from zhian.core.db import unit_of_work
from zhian.core.settings import DEFAULT_TARGETS, ResponseTargets
from zhian.domains.incidents import alerts, zones


@dataclass(frozen=True)
class Round:
    """What one round of checks did."""

    overdue_raised: int
    zone_alerts_raised: int
    zone_alerts_closed: int


def run_checks(
    factory: sessionmaker[Session], *, now: datetime, targets: ResponseTargets = DEFAULT_TARGETS
) -> Round:
    """One round of checks at ``now`` (overdue against ``targets``), committed as one unit of
    work."""
    with unit_of_work(factory) as session:
        raised = alerts.check_overdue(session, now=now, targets=targets)
        opened, closed = zones.check_zones(session, now=now)
    return Round(len(raised), len(opened), len(closed))

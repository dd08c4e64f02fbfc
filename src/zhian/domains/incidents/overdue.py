"""Which waiting incidents are overdue for dispatch: a pure rule, given an explicit clock.

An incident is overdue when it is still waiting for its first unit (status "received") at or
after ``received_at`` plus its priority's dispatch target. The periodic check
(``alerts.check_overdue``) feeds it the waiting incidents that have no overdue alert yet, so
each incident raises its alert once.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta

from zhian.domains.incidents.choices import DISPATCH_TARGET_S


@dataclass(frozen=True, slots=True)
class Waiting:
    """An incident not yet dispatched: its id, priority and when the call came in."""

    incident_id: int
    priority: int
    received_at: datetime


def deadline(
    priority: int, received_at: datetime, targets: Mapping[int, int] = DISPATCH_TARGET_S
) -> datetime:
    """When an incident of this priority received at ``received_at`` becomes overdue."""
    return received_at + timedelta(seconds=targets[priority])


def overdue(
    waiting: Iterable[Waiting],
    *,
    now: datetime,
    targets: Mapping[int, int] = DISPATCH_TARGET_S,
) -> list[tuple[Waiting, timedelta]]:
    """The incidents past their deadline at ``now`` and by how much, the latest first."""
    late = [(w, now - deadline(w.priority, w.received_at, targets)) for w in waiting]
    found = [(w, by) for w, by in late if by >= timedelta(0)]
    return sorted(found, key=lambda item: (-item[1], item[0].incident_id))


def earliest_overdue_receipt(
    now: datetime, targets: Mapping[int, int] = DISPATCH_TARGET_S
) -> datetime:
    """No incident received after this instant can be overdue at ``now`` (a query bound)."""
    return now - timedelta(seconds=min(targets.values()))

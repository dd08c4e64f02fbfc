"""Which waiting incidents are overdue for dispatch: a pure rule, given an explicit clock.

An incident is overdue when it is still waiting for its first unit (status "received") at or
after ``received_at`` plus its priority's dispatch target (``ZHIAN_DISPATCH_TARGET_MINUTES``,
``core.settings.ResponseTargets.dispatch_s``). The periodic check
(``alerts.check_overdue``) feeds it the waiting incidents that have no overdue alert yet, so
each incident raises its alert once.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta

from zhian.core.settings import DEFAULT_TARGETS

DEFAULT_DISPATCH_S = DEFAULT_TARGETS.dispatch_s


@dataclass(frozen=True, slots=True)
class Waiting:
    """An incident not yet dispatched: its id, priority and when the call came in."""

    incident_id: int
    priority: int
    received_at: datetime


def deadline(
    priority: int, received_at: datetime, targets: Mapping[int, float] = DEFAULT_DISPATCH_S
) -> datetime:
    """When an incident of this priority received at ``received_at`` becomes overdue."""
    return received_at + timedelta(seconds=targets[priority])


def overdue(
    waiting: Iterable[Waiting],
    *,
    now: datetime,
    targets: Mapping[int, float] = DEFAULT_DISPATCH_S,
) -> list[tuple[Waiting, timedelta]]:
    """The incidents past their deadline at ``now`` and by how much, the latest first."""
    late = [(w, now - deadline(w.priority, w.received_at, targets)) for w in waiting]
    found = [(w, by) for w, by in late if by >= timedelta(0)]
    return sorted(found, key=lambda item: (-item[1], item[0].incident_id))


def earliest_overdue_receipt(
    now: datetime, targets: Mapping[int, float] = DEFAULT_DISPATCH_S
) -> datetime:
    """No incident received after this instant can be overdue at ``now`` (a query bound)."""
    return now - timedelta(seconds=min(targets.values()))


def overdue_receipts(
    now: datetime, targets: Mapping[int, float] = DEFAULT_DISPATCH_S
) -> dict[int, datetime]:
    """Per priority, the latest receipt that is overdue at ``now`` if still waiting (the same
    rule as ``deadline``, turned round to compare many incidents against one instant)."""
    return {p: now - timedelta(seconds=s) for p, s in targets.items()}

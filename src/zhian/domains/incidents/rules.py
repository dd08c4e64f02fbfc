"""The status machines of units and incidents: the allowed transitions, in one place each."""

from __future__ import annotations

from zhian.core.errors import Conflict
from zhian.domains.incidents.choices import IncidentStatus as I
from zhian.domains.incidents.choices import UnitStatus as U

UNIT_TRANSITIONS: frozenset[tuple[U, U]] = frozenset(
    {
        (U.OFF_DUTY, U.AVAILABLE),
        (U.AVAILABLE, U.OFF_DUTY),
        (U.AVAILABLE, U.DISPATCHED),
        (U.AVAILABLE, U.BUSY),
        (U.DISPATCHED, U.EN_ROUTE),
        (U.DISPATCHED, U.ON_SCENE),
        (U.DISPATCHED, U.AVAILABLE),
        (U.EN_ROUTE, U.ON_SCENE),
        (U.EN_ROUTE, U.AVAILABLE),
        (U.ON_SCENE, U.TRANSPORTING),
        (U.ON_SCENE, U.BUSY),
        (U.ON_SCENE, U.AVAILABLE),
        (U.TRANSPORTING, U.BUSY),
        (U.TRANSPORTING, U.AVAILABLE),
        (U.BUSY, U.AVAILABLE),
        (U.BUSY, U.OFF_DUTY),
    }
)

INCIDENT_TRANSITIONS: frozenset[tuple[I, I]] = frozenset(
    {
        (I.RECEIVED, I.DISPATCHED),
        (I.RECEIVED, I.CANCELLED),
        (I.DISPATCHED, I.EN_ROUTE),
        (I.DISPATCHED, I.ON_SCENE),
        (I.DISPATCHED, I.CLEARED),
        (I.DISPATCHED, I.CANCELLED),
        (I.EN_ROUTE, I.ON_SCENE),
        (I.EN_ROUTE, I.CLEARED),
        (I.EN_ROUTE, I.CANCELLED),
        (I.ON_SCENE, I.CLEARED),
    }
)

# Statuses in which a unit is committed to an incident.
COMMITTED: frozenset[U] = frozenset({U.DISPATCHED, U.EN_ROUTE, U.ON_SCENE, U.TRANSPORTING})


def unit_may(current: str, new: str) -> bool:
    """Whether a unit may go from ``current`` to ``new``."""
    return (U(current), U(new)) in UNIT_TRANSITIONS


def check_unit(current: str, new: str) -> None:
    """Refuse a unit transition the table does not allow (409)."""
    if not unit_may(current, new):
        raise Conflict(f"警力状态不能从 {current} 变为 {new}", field="status")


def incident_may(current: str, new: str) -> bool:
    """Whether an incident may go from ``current`` to ``new``."""
    return (I(current), I(new)) in INCIDENT_TRANSITIONS


def check_incident(current: str, new: str) -> None:
    """Refuse an incident transition the table does not allow (409)."""
    if not incident_may(current, new):
        raise Conflict(f"警情状态不能从 {current} 变为 {new}", field="status")

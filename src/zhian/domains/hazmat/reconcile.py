"""Pure reconciliation rules: a physical count against the books, custody past its window.

No database and no clock here: the callers pass what the ledger holds and the time it is.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal
from typing import Any

from zhian.core.time import as_utc


@dataclass(frozen=True, slots=True)
class Line:
    """One code of a count: what the books hold at the site and what was found."""

    code: str
    expected: Decimal
    counted: Decimal


@dataclass(frozen=True, slots=True)
class Finding:
    """A count compared with the books: codes short (missing) and codes over (unexpected)."""

    missing: list[Line] = field(default_factory=list)
    unexpected: list[Line] = field(default_factory=list)

    @property
    def clean(self) -> bool:
        """Whether the count matches the books exactly."""
        return not self.missing and not self.unexpected


def compare(expected: Mapping[str, Decimal], counted: Mapping[str, Decimal]) -> Finding:
    """Compare a count with the stock fold at the site, code by code, in code order."""
    missing, unexpected = [], []
    for code in sorted(set(expected) | set(counted)):
        want, found = expected.get(code, Decimal(0)), counted.get(code, Decimal(0))
        if found < want:
            missing.append(Line(code, want, found))
        elif found > want:
            unexpected.append(Line(code, want, found))
    return Finding(missing=missing, unexpected=unexpected)


@dataclass(frozen=True, slots=True)
class OpenCustody:
    """A ship or issue whose item has not moved since: in transit, or out with a crew."""

    entry_id: int
    enterprise_id: int
    item_id: int
    code: str
    event: str
    at: datetime
    due_at: datetime | None


def due_at(payload: Mapping[str, Any]) -> datetime | None:
    """The custody window's end an event carries (``payload.due_at``), if it carries one."""
    value = payload.get("due_at")
    if not isinstance(value, str):
        return None
    try:
        when = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return None
    return as_utc(when) if when.tzinfo is not None else None


def overdue(custody: Iterable[OpenCustody], now: datetime) -> list[OpenCustody]:
    """The open custody whose window has closed by ``now``, oldest window first."""
    late = [c for c in custody if c.due_at is not None and c.due_at < now]
    return sorted(late, key=lambda c: (c.due_at or now, c.entry_id))

"""Reading one record through the jurisdiction scope, the same way in every domain."""

from __future__ import annotations

from typing import Protocol, TypeVar

from zhian.core import scope as scoping
from zhian.core.audit import service as audit
from zhian.core.errors import NotFound
from zhian.core.scope import Actor


class HasDivision(Protocol):
    """A record that belongs to a division."""

    division: str


R = TypeVar("R")


def visible_or_404(
    actor: Actor,
    row: R | None,
    *,
    record_type: str,
    record_id: object,
    label: str,
    division: str | None = None,
) -> R:
    """The record if the actor may see it. A missing record and another jurisdiction's look
    the same to the caller (not found); the second is audited as a denied access.

    ``division`` defaults to the record's own ``division`` attribute.
    """
    if row is None:
        raise NotFound(f"{label}不存在：{record_id}")
    where = division if division is not None else getattr(row, "division", None)
    if not scoping.can_see(actor, where):
        audit.deny(actor, record_type=record_type, record_id=str(record_id), division=where)
    return row

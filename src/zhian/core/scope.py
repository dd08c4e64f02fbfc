"""Jurisdiction scope: a user sees their own division and every division below it.

Division codes nest by prefix (GB/T 2260 county codes, then 9-digit township and 12-digit
village codes), so "below" is a prefix test that both databases index well.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import ColumnElement, or_, true
from sqlalchemy.orm import InstrumentedAttribute


@dataclass(frozen=True, slots=True)
class Actor:
    """Who is acting: the user, their role and home division, and where they came from."""

    user_id: int | None
    username: str
    role: str
    division: str
    client_addr: str | None = None
    via: str = "session"

    @property
    def prefix(self) -> str:
        """The code prefix shared by every division this actor may see."""
        return division_prefix(self.division)


SYSTEM_ROLE = "system"
SYSTEM = Actor(user_id=None, username="system", role=SYSTEM_ROLE, division="", via="system")


def operator(name: str) -> Actor:
    """The server's own operator acting through the command line: unscoped, and audited."""
    return Actor(user_id=None, username=f"cli:{name}", role=SYSTEM_ROLE, division="", via="cli")


def division_prefix(adcode: str) -> str:
    """The prefix shared by a division and all below it: 610000→61, 610500→6105, 610502→610502."""
    if len(adcode) == 6:
        if adcode.endswith("0000"):
            return adcode[:2]
        if adcode.endswith("00"):
            return adcode[:4]
    return adcode


def can_see(actor: Actor, adcode: str | None) -> bool:
    """Whether a record of this division is inside the actor's jurisdiction."""
    if actor.role == SYSTEM_ROLE:
        return True
    if adcode is None:
        return False
    return adcode.startswith(actor.prefix)


def scope_clause(actor: Actor, column: InstrumentedAttribute[str]) -> ColumnElement[bool]:
    """The WHERE clause that limits a query on ``column`` (an adcode) to the actor's scope."""
    if actor.role == SYSTEM_ROLE:
        return true()
    prefix = actor.prefix
    return or_(column == actor.division, column.startswith(prefix, autoescape=True))

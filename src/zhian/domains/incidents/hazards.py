"""Premise hazards: what a responding unit should know about a place before it gets there.

The seam
--------
Any domain can tell dispatch about hazards at a place by registering a *hazard provider*::

    from zhian.domains.incidents import hazards

    def magazines(session, *, address_id, lon, lat, at):
        # e.g. explosives magazines within 500 m of (lon, lat), or at this address
        return [hazards.HazardFlag(kind="explosives_magazine", label="爆炸物品储存库",
                                   source="hazmat", detail="1号库 TNT 2 t")]

    hazards.register("hazmat.magazines", magazines)

A provider is called with the session, the standard address id (``place_house.id``) the
location resolved to (None when the call was given as a point or matched only a road), the
WGS-84 point, and the instant to answer for; it returns ``HazardFlag``s and must not write.
``hazards_at`` asks every provider, in registration order, whenever an incident's location
resolves (intake, the incident's detail, the assignment answer), so the call-taker and the
assigned units see the flags at once. A provider that raises is logged and skipped: a broken
neighbour must never stop a call being taken. Registering the same name again replaces it.

The hazmat domain is expected to register its explosives magazines, dangerous-goods
enterprises and firearm holders this way; alarms its alarm-connected banks.

Hazards added by hand
---------------------
Dispatchers flag a standard address themselves (``create_hazard``: a kind, a note and an
expiry, audited; ``revoke_hazard`` ends one early). The built-in "manual" provider answers
with the unexpired, unrevoked flags on the resolved address and on addresses within
``NEARBY_M`` of the point, so a call given as coordinates still gets them.
"""

from __future__ import annotations

import logging
import math
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Protocol

import numpy as np
from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from zhian.core import scope as scoping
from zhian.core.audit import service as audit
from zhian.core.errors import Conflict, InvalidInput
from zhian.core.identity.roles import require
from zhian.core.pagination import Page, paginate
from zhian.core.records import visible_or_404
from zhian.core.scope import Actor
from zhian.core.time import utcnow
from zhian.domains.incidents.choices import HAZARD_KIND_LABELS, HazardKind
from zhian.domains.incidents.models import PremiseHazard
from zhian.domains.incidents.schemas import HazardCreate

log = logging.getLogger(__name__)

NEARBY_M = 50.0
MAX_EXPIRY = timedelta(days=366)


@dataclass(frozen=True, slots=True)
class HazardFlag:
    """One hazard at a place: what it is, in words, and which provider said so."""

    kind: str
    label: str
    source: str
    detail: str | None = None
    address_id: int | None = None
    expires_at: datetime | None = None


class HazardProvider(Protocol):
    """Hazard flags at a resolved location; read-only."""

    def __call__(
        self, session: Session, *, address_id: int | None, lon: float, lat: float, at: datetime
    ) -> Sequence[HazardFlag]:
        """The flags that hold at ``at`` for this address and point."""
        ...


_providers: dict[str, HazardProvider] = {}


def register(name: str, provider: HazardProvider) -> None:
    """Add (or replace) a provider under ``name``."""
    _providers[name] = provider


def unregister(name: str) -> None:
    """Remove a provider (tests, or a domain switched off)."""
    _providers.pop(name, None)


def providers() -> list[str]:
    """The registered providers' names, in the order they are asked."""
    return list(_providers)


def hazards_at(
    session: Session,
    *,
    address_id: int | None,
    lon: float,
    lat: float,
    at: datetime | None = None,
) -> list[HazardFlag]:
    """Every provider's flags at this location, in registration order."""
    when = at or utcnow()
    found: list[HazardFlag] = []
    for name, provider in list(_providers.items()):
        try:
            found.extend(provider(session, address_id=address_id, lon=lon, lat=lat, at=when))
        except Exception:  # one broken provider must not stop the call being taken
            log.exception("hazard provider %s failed", name)
    return found


def label_of(kind: str, locale: str = "zh_CN") -> str:
    """A hazard kind in words."""
    try:
        zh, en = HAZARD_KIND_LABELS[HazardKind(kind)]
    except ValueError:
        return kind
    return zh if locale.startswith("zh") else en


def manual_hazards(
    session: Session, *, address_id: int | None, lon: float, lat: float, at: datetime
) -> list[HazardFlag]:
    """The dispatchers' own flags on the address and on addresses within ``NEARBY_M``."""
    from zhian.domains.places.registry.models import House

    dlat = NEARBY_M / 111_000.0
    dlon = dlat / max(math.cos(math.radians(lat)), 1e-6)
    near = House.lon.between(lon - dlon, lon + dlon) & House.lat.between(lat - dlat, lat + dlat)
    where = near if address_id is None else or_(near, PremiseHazard.address_id == address_id)
    rows = session.execute(
        select(PremiseHazard, House.lon, House.lat)
        .join(House, House.id == PremiseHazard.address_id)
        .where(where, PremiseHazard.expires_at > at, PremiseHazard.revoked_at.is_(None))
        .order_by(PremiseHazard.id)
    ).all()
    if not rows:
        return []
    from zhian.domains.incidents.dispatch import great_circle_m

    dist = great_circle_m(lon, lat, np.array([r[1] for r in rows]), np.array([r[2] for r in rows]))
    return [
        HazardFlag(
            kind=h.kind,
            label=label_of(h.kind),
            source="manual",
            detail=h.note,
            address_id=h.address_id,
            expires_at=h.expires_at,
        )
        for (h, _, _), d in zip(rows, dist, strict=True)
        if h.address_id == address_id or d <= NEARBY_M
    ]


register("manual", manual_hazards)


def create_hazard(session: Session, *, actor: Actor, data: HazardCreate) -> PremiseHazard:
    """Flag a hazard on a standard address of the actor's jurisdiction until it expires."""
    require(actor, "incidents.dispatch")
    from zhian.domains.places.registry import service as registry

    # Missing and another jurisdiction's address answer alike: not found (the second audited).
    house = registry.visible_house(session, actor=actor, address_id=data.address_id)
    now = utcnow()
    if data.expires_at.tzinfo is None:
        raise InvalidInput("有效期须带时区", field="expires_at")
    if data.expires_at <= now:
        raise InvalidInput("有效期须晚于当前时间", field="expires_at")
    if data.expires_at - now > MAX_EXPIRY:
        raise InvalidInput("有效期不能超过一年", field="expires_at")
    hazard = PremiseHazard(
        address_id=house.id,
        division=house.division,
        kind=data.kind.value,
        note=data.note or None,
        expires_at=data.expires_at,
        created_by=actor.username,
    )
    session.add(hazard)
    session.flush()
    audit.record(
        session,
        actor=actor,
        action="create",
        record_type="incident_premise_hazard",
        record_id=str(hazard.id),
        division=hazard.division,
        detail={"address_id": house.id, "kind": hazard.kind, "expires_at": str(data.expires_at)},
    )
    return hazard


def get_hazard(session: Session, *, actor: Actor, hazard_id: int) -> PremiseHazard:
    """One hand-flagged hazard of the actor's jurisdiction; another's is not found."""
    require(actor, "incidents.read")
    return visible_or_404(
        actor,
        session.get(PremiseHazard, hazard_id),
        record_type="incident_premise_hazard",
        record_id=hazard_id,
        label="危险标记",
    )


def revoke_hazard(session: Session, *, actor: Actor, hazard_id: int) -> PremiseHazard:
    """End a hand-flagged hazard before its expiry (audited)."""
    require(actor, "incidents.dispatch")
    hazard = get_hazard(session, actor=actor, hazard_id=hazard_id)
    if hazard.revoked_at is not None:
        raise Conflict("该危险标记已撤销", field="hazard_id")
    hazard.revoked_at = utcnow()
    session.flush()
    audit.record(
        session,
        actor=actor,
        action="revoke",
        record_type="incident_premise_hazard",
        record_id=str(hazard.id),
        division=hazard.division,
        detail={"address_id": hazard.address_id, "kind": hazard.kind},
    )
    return hazard


def list_hazards(
    session: Session,
    *,
    actor: Actor,
    address_id: int | None = None,
    active_only: bool = True,
    page: int = 1,
    per_page: int = 50,
) -> Page[PremiseHazard]:
    """Hand-flagged hazards of the actor's jurisdiction, newest first."""
    require(actor, "incidents.read")
    stmt = select(PremiseHazard).where(scoping.scope_clause(actor, PremiseHazard.division))
    if address_id is not None:
        stmt = stmt.where(PremiseHazard.address_id == address_id)
    if active_only:
        stmt = stmt.where(PremiseHazard.expires_at > utcnow(), PremiseHazard.revoked_at.is_(None))
    return paginate(session, stmt.order_by(PremiseHazard.id.desc()), page, per_page)

"""Premise hazards from the firearms registry: firearm holders (security companies, shooting
ranges, hunting grounds, armed guard units) and their armouries, for dispatch. Located and
matched like the hazmat premises (:mod:`zhian.domains.hazmat.hazards`), in one query.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy.orm import Session

from zhian.domains.firearms.choices import HOLDER_KINDS
from zhian.domains.hazmat.hazards import capacity_text, premises_at
from zhian.domains.incidents import hazards
from zhian.domains.incidents.choices import HazardKind

NAME = "firearms.holders"


def firearm_holders(
    session: Session, *, address_id: int | None, lon: float, lat: float, at: datetime
) -> list[hazards.HazardFlag]:
    """Firearm holders and their armouries at this location."""
    kind = HazardKind.FIREARM_HOLDER.value
    return [
        hazards.HazardFlag(
            kind=kind,
            label=hazards.label_of(kind),
            source=NAME,
            detail=f"{name} · {owner} · {capacity_text(capacity)}" if what == "site" else name,
            address_id=at_address,
        )
        for what, name, owner, capacity, at_address in premises_at(
            session, kinds=HOLDER_KINDS, address_id=address_id, lon=lon, lat=lat, at=at
        )
    ]


def register_providers() -> None:
    """Tell dispatch about firearm holders (called once at app start-up)."""
    hazards.register(NAME, firearm_holders)

"""Premise hazards from the hazmat registry: explosives magazines, dangerous-goods stores and
enterprises, for dispatch (the seam of :mod:`zhian.domains.incidents.hazards`).

A premise is where its registration put it (:func:`zhian.domains.hazmat.service.locate`): the
standard address its text matched and a point. It flags a call on that address, or within
``NEARBY_M`` of the call's point, from the moment it was registered; registry facts carry no
expiry. Like the hand-made flags, the answer is not cut to the asking dispatcher's
jurisdiction: a unit sent across a county line needs to know about the magazine all the same.
Firearm holders and their armouries are the firearms domain's provider, on the same query.
"""

from __future__ import annotations

import math
from collections.abc import Collection
from datetime import datetime

import numpy as np
from sqlalchemy import ColumnElement, String, literal_column, or_, select, union_all
from sqlalchemy.orm import Session

from zhian.domains.hazmat import ledger
from zhian.domains.hazmat.models import Enterprise, Site
from zhian.domains.incidents import hazards
from zhian.domains.incidents.choices import HazardKind

NAME = "hazmat.premises"
# Enterprises whose premises hold dangerous goods (the firearm holders are the other kinds).
DANGEROUS_GOODS_KINDS = ("producer", "seller", "user", "storage", "transport", "blasting")


def premises_at(
    session: Session,
    *,
    kinds: Collection[str],
    address_id: int | None,
    lon: float,
    lat: float,
    at: datetime,
) -> list[tuple[str, str, str, str, int | None]]:
    """Enterprises of ``kinds`` and their sites on the address or near the point, registered
    by ``at``, in one query: (``"enterprise"`` or ``"site"``, name, enterprise name, site
    capacity, address id) each."""
    dlat = hazards.NEARBY_M / 111_000.0
    dlon = dlat / max(math.cos(math.radians(lat)), 1e-6)

    def here(table: type[Enterprise] | type[Site]) -> ColumnElement[bool]:
        near = table.lat.between(lat - dlat, lat + dlat) & table.lon.between(lon - dlon, lon + dlon)
        return near if address_id is None else or_(near, table.address_id == address_id)

    kind_ok = Enterprise.kind.in_(list(kinds))
    enterprises = select(
        literal_column("'enterprise'", String).label("what"),
        Enterprise.id,
        Enterprise.name,
        Enterprise.name.label("owner"),
        literal_column("''", String).label("capacity"),
        Enterprise.address_id,
        Enterprise.lon,
        Enterprise.lat,
    ).where(kind_ok, here(Enterprise), Enterprise.created_at <= at)
    sites = (
        select(
            literal_column("'site'", String).label("what"),
            Site.id,
            Site.name,
            Enterprise.name.label("owner"),
            Site.capacity,
            Site.address_id,
            Site.lon,
            Site.lat,
        )
        .join(Enterprise, Enterprise.id == Site.enterprise_id)
        .where(kind_ok, here(Site), Site.created_at <= at)
    )
    found = union_all(enterprises, sites).subquery()
    rows = session.execute(select(found).order_by(found.c.what, found.c.id)).all()
    if not rows:
        return []
    from zhian.domains.incidents.dispatch import great_circle_m

    lons = np.array([r.lon if r.lon is not None else np.nan for r in rows], dtype=np.float64)
    lats = np.array([r.lat if r.lat is not None else np.nan for r in rows], dtype=np.float64)
    dist = great_circle_m(lon, lat, lons, lats)  # NaN (no point) is never near
    return [
        (str(r.what), str(r.name), str(r.owner), str(r.capacity), r.address_id)
        for r, d in zip(rows, dist, strict=True)
        if (address_id is not None and r.address_id == address_id) or d <= hazards.NEARBY_M
    ]


def capacity_text(capacity: str) -> str:
    """A site's capacity per class, in short: ``1.1: 1000, 3: 20000``."""
    return ", ".join(f"{c}: {q.normalize():f}" for c, q in sorted(ledger.amounts(capacity).items()))


def _is_magazine(capacity: str) -> bool:
    return any(c == "1" or c.startswith("1.") for c in ledger.amounts(capacity))


def dangerous_goods_premises(
    session: Session, *, address_id: int | None, lon: float, lat: float, at: datetime
) -> list[hazards.HazardFlag]:
    """Explosives magazines (a site licensed for class 1), other dangerous-goods stores and
    the dangerous-goods enterprises themselves at this location."""
    flags = []
    for what, name, owner, capacity, at_address in premises_at(
        session, kinds=DANGEROUS_GOODS_KINDS, address_id=address_id, lon=lon, lat=lat, at=at
    ):
        if what == "site":
            kind = (
                HazardKind.EXPLOSIVES_MAGAZINE
                if _is_magazine(capacity)
                else HazardKind.DANGEROUS_GOODS
            )
            detail = f"{name} · {owner} · {capacity_text(capacity)}"
        else:
            kind, detail = HazardKind.DANGEROUS_GOODS, name
        flags.append(
            hazards.HazardFlag(
                kind=kind.value,
                label=hazards.label_of(kind.value),
                source=NAME,
                detail=detail,
                address_id=at_address,
            )
        )
    return flags


def register_providers() -> None:
    """Tell dispatch about the hazmat registry's premises (called once at app start-up)."""
    hazards.register(NAME, dangerous_goods_premises)

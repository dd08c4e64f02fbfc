"""Data quality of the registry (一标三实): field verification records and, per county, the
collection rate and the accuracy rate against the plan's 95% target.

- **collection rate**: houses with coordinates and a complete standard address ÷ houses. An
  address is complete when it has a road, a number, a full 20-digit code and lies in a known
  township (the code's township digits are not ``000``).
- **accuracy rate**: verified ÷ (verified + corrected + not found), counting each house's
  latest field check; no checks yet gives no rate (and the target is not met).
"""

from __future__ import annotations

from collections import Counter

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from zhian.core import scope as scoping
from zhian.core.audit import service as audit
from zhian.core.identity.roles import require
from zhian.core.scope import Actor
from zhian.core.time import utcnow
from zhian.domains.places.models import Division
from zhian.domains.places.registry import service
from zhian.domains.places.registry.geocoder import COUNTY_LEVELS
from zhian.domains.places.registry.models import House, Road, Verification
from zhian.domains.places.registry.quality_schemas import (
    Outcome,
    QualityRow,
    VerificationCreate,
    VerificationOut,
)

TARGET = 0.95
CODE_LENGTH = 20


def record_verification(
    session: Session, *, actor: Actor, address_id: int, data: VerificationCreate
) -> Verification:
    """Record a field check of a house number of the actor's jurisdiction (audited)."""
    require(actor, "places.verify")
    house = service.visible_house(session, actor=actor, address_id=address_id)
    row = Verification(
        house_id=house.id,
        outcome=data.outcome.value,
        verifier=actor.username,
        verified_at=utcnow(),
        division=house.division,
        note=data.note.strip(),
    )
    session.add(row)
    session.flush()
    audit.record(
        session,
        actor=actor,
        action="create",
        record_type="place_verification",
        record_id=str(row.id),
        division=row.division,
        detail={"address_id": house.id, "outcome": row.outcome},
    )
    return row


def verification_out(row: Verification) -> VerificationOut:
    """The public shape of a field check."""
    return VerificationOut(
        id=row.id,
        address_id=row.house_id,
        outcome=row.outcome,
        verifier=row.verifier,
        verified_at=row.verified_at,
        division=row.division,
        note=row.note,
    )


def _complete(code: str, road: str | None, number: int, lon: float, lat: float) -> bool:
    return (
        bool(road)
        and number >= 1
        and len(code) == CODE_LENGTH
        and code[6:9] != "000"
        and -180 <= lon <= 180
        and -90 <= lat <= 90
        and (lon, lat) != (0.0, 0.0)
    )


def _rate(part: int, whole: int) -> float | None:
    return round(part / whole, 4) if whole else None


def quality(session: Session, *, actor: Actor) -> list[QualityRow]:
    """Collection and accuracy per county of the actor's jurisdiction, against 95%."""
    require(actor, "places.read")
    counties = session.execute(
        select(Division.adcode, Division.name)
        .where(Division.level.in_(COUNTY_LEVELS))
        .where(scoping.scope_clause(actor, Division.adcode))
        .order_by(Division.adcode)
    ).all()
    houses: Counter[str] = Counter()
    collected: Counter[str] = Counter()
    rows = session.execute(
        select(Road.division, House.code, Road.name, House.number, House.lon, House.lat)
        .join(Road, House.road_id == Road.id)
        .where(scoping.scope_clause(actor, House.division))
    )
    for county, code, road, number, lon, lat in rows:
        houses[county] += 1
        if lon is not None and lat is not None and _complete(code, road, number, lon, lat):
            collected[county] += 1
    latest = (
        select(func.max(Verification.id))
        .where(scoping.scope_clause(actor, Verification.division))
        .group_by(Verification.house_id)
    )
    checks: Counter[tuple[str, str]] = Counter()
    for division, outcome in session.execute(
        select(Verification.division, Verification.outcome).where(Verification.id.in_(latest))
    ):
        checks[(division[:6], outcome)] += 1
    out: list[QualityRow] = []
    for code, name in counties:
        good, fixed, gone = (checks[(code, o.value)] for o in Outcome)
        collection = _rate(collected[code], houses[code])
        accuracy = _rate(good, good + fixed + gone)
        out.append(
            QualityRow(
                division=code,
                name=name,
                houses=houses[code],
                collected=collected[code],
                collection_rate=collection,
                verified=good,
                corrected=fixed,
                not_found=gone,
                accuracy_rate=accuracy,
                target=TARGET,
                meets_target=(collection or 0) >= TARGET and (accuracy or 0) >= TARGET,
            )
        )
    return out

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

from sqlalchemy import ColumnElement, and_, case, func, or_, select
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


def _complete() -> ColumnElement[bool]:
    """SQL for a house counted as collected: coordinates and a complete standard address
    (the database counts them: the dashboard must not read every house)."""
    return and_(
        Road.name != "",
        House.number >= 1,
        func.length(House.code) == CODE_LENGTH,
        func.substr(House.code, 7, 3) != "000",
        House.lon.between(-180, 180),
        House.lat.between(-90, 90),
        or_(House.lon != 0, House.lat != 0),
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
        select(
            Road.division,
            func.count(House.id),
            func.coalesce(func.sum(case((_complete(), 1), else_=0)), 0),
        )
        .join(Road, House.road_id == Road.id)
        .where(scoping.scope_clause(actor, House.division))
        .group_by(Road.division)
    )
    for county, count, complete in rows:
        houses[county] = int(count)
        collected[county] = int(complete)
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

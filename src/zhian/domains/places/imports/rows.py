"""One imported row: checked by the registry's own rules and registered through its services.

A row is ``accepted`` (registered now), ``unchanged`` (already on the registry: re-importing
a file creates nothing twice) or rejected with :class:`RowRejected`, whose reasons each name
the field.
"""

from __future__ import annotations

from typing import TypeVar

from pydantic import BaseModel, ValidationError
from sqlalchemy import select
from sqlalchemy.orm import Session

from zhian.core import scope as scoping
from zhian.core.errors import DomainError
from zhian.core.scope import Actor
from zhian.domains.places.registry import organizations, service
from zhian.domains.places.registry.choices import ORG_CATEGORY_LABELS
from zhian.domains.places.registry.models import House, Organization, Road
from zhian.domains.places.registry.schemas import HouseCreate, OrganizationCreate, RoadCreate

M = TypeVar("M", bound=BaseModel)

ACCEPTED = "accepted"
UNCHANGED = "unchanged"


class RowRejected(Exception):
    """A row refused, with (field, reason) pairs."""

    def __init__(self, reasons: list[tuple[str, str]]) -> None:
        super().__init__("; ".join(f"{f}: {r}" for f, r in reasons))
        self.reasons = reasons


def _required(row: dict[str, str], fields: tuple[str, ...]) -> None:
    missing = [(f, "必填") for f in fields if not row.get(f)]
    if missing:
        raise RowRejected(missing)


def _model(model: type[M], values: dict[str, object]) -> M:
    try:
        return model.model_validate(values)
    except ValidationError as exc:
        raise RowRejected(
            [(".".join(str(p) for p in e["loc"]) or "row", e["msg"]) for e in exc.errors()]
        ) from None


def _county(session: Session, value: str) -> str:
    if value.isdigit() and len(value) == 6:
        return value
    for code, name in service.county_names(session).items():
        if value in (name, name[:-1]):
            return code
    raise RowRejected([("county", f"未知区县：{value}")])


def _rejected(exc: DomainError) -> RowRejected:
    return RowRejected([(exc.field or "row", exc.message)])


def apply_house(session: Session, actor: Actor, row: dict[str, str]) -> str:
    """Register one house-number row (and its road when new), or find it already there."""
    _required(row, ("county", "road", "number", "lon", "lat"))
    county = _county(session, row["county"])
    if not scoping.can_see(actor, county):
        raise RowRejected([("county", f"不在本人管辖范围内：{county}")])
    name = row["road"].strip()
    road = session.scalar(select(Road).where(Road.division == county, Road.name == name))
    try:
        if road is None:
            road = service.create_road(
                session, actor=actor, data=_model(RoadCreate, {"name": name, "division": county})
            )
        data = _model(
            HouseCreate,
            {
                "road_id": road.id,
                "number": row["number"],
                "suffix": row.get("suffix", ""),
                "division": row.get("division") or None,
                "lon": row["lon"],
                "lat": row["lat"],
            },
        )
        existing = session.scalar(
            select(House.id).where(
                House.road_id == road.id,
                House.number == data.number,
                House.suffix == data.suffix.strip(),
            )
        )
        if existing is not None:
            return UNCHANGED
        service.create_house(session, actor=actor, data=data)
    except DomainError as exc:
        raise _rejected(exc) from None
    return ACCEPTED


def _category(value: str) -> str:
    for key, (zh, en) in ORG_CATEGORY_LABELS.items():
        if value in (str(key), zh, en):
            return str(key)
    return value


def apply_organization(session: Session, actor: Actor, row: dict[str, str]) -> str:
    """Register one organization row at the house its address code names, or find it there."""
    _required(row, ("name", "category", "address_code"))
    house = session.scalar(select(House).where(House.code == row["address_code"].strip()))
    if house is None or not scoping.can_see(actor, house.division):
        raise RowRejected(
            [("address_code", f"门牌编码不存在或不在管辖范围内：{row['address_code']}")]
        )
    data = _model(
        OrganizationCreate,
        {
            "name": row["name"],
            "category": _category(row["category"]),
            "house_id": house.id,
            "licence_no": row.get("licence_no") or None,
            "contact_name": row.get("contact_name") or None,
            "contact_phone": row.get("contact_phone") or None,
        },
    )
    same = select(Organization.id).where(
        Organization.house_id == house.id, Organization.name == data.name.strip()
    )
    if session.scalar(same) is not None:
        return UNCHANGED
    try:
        organizations.create_organization(session, actor=actor, data=data)
    except DomainError as exc:
        raise _rejected(exc) from None
    return ACCEPTED


APPLY = {"houses": apply_house, "organizations": apply_organization}

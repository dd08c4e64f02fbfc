"""Input and output shapes of transport permits and no-go zones."""

from __future__ import annotations

import re
from datetime import datetime
from typing import Annotated, Any

from pydantic import BaseModel, Field, StringConstraints, field_validator

from zhian.domains.transport.choices import HAZARD_CLASSES, ZoneKind
from zhian.domains.transport.corridor import MAX_WIDTH_M
from zhian.domains.transport.corridor_rules import parse_hours
from zhian.domains.transport.schemas import DIVISION_PATTERN

Text = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=200)]


MAX_NAMED_POINTS = 200


class NamedPoint(BaseModel):
    """A named place on a permit's trip (a waypoint or an approved stop), WGS-84."""

    name: Text
    lon: float = Field(ge=-180, le=180)
    lat: float = Field(ge=-90, le=90)


class PermitCreate(BaseModel):
    """A transport permit as a regulator issues it; exactly one of the corridor forms."""

    vehicle_id: int
    un_number: str = Field(description="UN number, four digits, e.g. 1203 (petrol)")
    hazard_class: str = Field(description="GB 6944 class or division, e.g. 3 or 2.1")
    quantity: float = Field(gt=0)
    unit: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=16)]
    origin: Text
    destination: Text
    valid_from: datetime
    valid_until: datetime
    corridor: dict[str, Any] | None = Field(
        default=None, description="GeoJSON LineString, WGS-84 [lon, lat]"
    )
    corridor_gpx: str | None = Field(default=None, max_length=5_000_000)
    corridor_width_m: float = Field(
        gt=0,
        le=MAX_WIDTH_M,
        description="Allowed distance from the centreline on EACH side, metres",
    )
    hazmat_shipment_ref: str | None = Field(default=None, max_length=64)
    waypoints: list[NamedPoint] = Field(
        default_factory=list,
        max_length=MAX_NAMED_POINTS,
        description="Named points the route passes (checkpoints, junctions), in order",
    )
    approved_stops: list[NamedPoint] = Field(
        default_factory=list,
        max_length=MAX_NAMED_POINTS,
        description="Where the vehicle may halt (rest areas, loading bays) without an alert",
    )

    @field_validator("un_number", mode="before")
    @classmethod
    def _un(cls, value: Any) -> Any:
        text = str(value).strip().upper().removeprefix("UN").strip()
        if not re.fullmatch(r"\d{4}", text):
            raise ValueError("a UN number is four digits, e.g. 1203")
        return text

    @field_validator("hazard_class")
    @classmethod
    def _class(cls, value: str) -> str:
        value = value.strip()
        if value not in HAZARD_CLASSES:
            raise ValueError(f"unknown dangerous-goods class {value!r} (GB 6944: 1.1 … 9)")
        return value

    @field_validator("valid_from", "valid_until")
    @classmethod
    def _aware(cls, value: datetime) -> datetime:
        if value.tzinfo is None:
            raise ValueError("a time with a zone is required, e.g. 2026-11-29T08:00:00+08:00")
        return value


class PermitOut(BaseModel):
    """A permit as the API shows it; the corridor as GeoJSON."""

    id: int
    vehicle_id: int
    un_number: str
    hazard_class: str
    quantity: float
    unit: str
    origin: str
    destination: str
    valid_from: datetime
    valid_until: datetime
    corridor: dict[str, Any]
    corridor_width_m: float
    status: str
    division: str
    hazmat_shipment_ref: str | None
    waypoints: list[NamedPoint]
    approved_stops: list[NamedPoint]
    closed_at: datetime | None
    created_at: datetime


class PermitPage(BaseModel):
    """One page of permits."""

    items: list[PermitOut]
    total: int
    page: int
    per_page: int


class ZoneCreate(BaseModel):
    """A no-go zone as a regulator draws it."""

    name: Text
    kind: ZoneKind
    area: dict[str, Any] = Field(description="GeoJSON Polygon, WGS-84 [lon, lat]")
    restricted_hours: str | None = Field(
        default=None, description='"HH:MM-HH:MM" Asia/Shanghai; none: at all hours'
    )
    division: str = Field(pattern=DIVISION_PATTERN)

    @field_validator("restricted_hours")
    @classmethod
    def _hours(cls, value: str | None) -> str | None:
        if value is None or not value.strip():
            return None
        parse_hours(value)
        return value.strip()


class ZoneOut(BaseModel):
    """A no-go zone as the API shows it."""

    id: int
    name: str
    kind: str
    area: dict[str, Any]
    restricted_hours: str | None
    division: str
    created_at: datetime


class ZonePage(BaseModel):
    """One page of no-go zones."""

    items: list[ZoneOut]
    total: int
    page: int
    per_page: int


class ExpresswayCreate(BaseModel):
    """A stretch of expressway as a regulator draws or imports it."""

    name: Text
    code: Annotated[
        str, StringConstraints(strip_whitespace=True, pattern=r"^[GS]\d{1,4}$", max_length=5)
    ] = Field(description="Route code, e.g. G30 (national) or S107 (provincial)")
    centreline: dict[str, Any] = Field(description="GeoJSON LineString, WGS-84 [lon, lat]")
    width_m: float = Field(
        default=40.0, gt=0, le=500, description="Band on EACH side of the centreline, metres"
    )
    division: str = Field(pattern=DIVISION_PATTERN)


class ExpresswayOut(BaseModel):
    """A stretch of expressway as the API shows it."""

    id: int
    name: str
    code: str
    centreline: dict[str, Any]
    width_m: float
    division: str
    created_at: datetime


class ExpresswayPage(BaseModel):
    """One page of expressway stretches."""

    items: list[ExpresswayOut]
    total: int
    page: int
    per_page: int

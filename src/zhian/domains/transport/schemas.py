"""Input and output shapes of the transport domain."""

from __future__ import annotations

import re
from datetime import datetime
from typing import Annotated, Any, Literal

from pydantic import (
    AwareDatetime,
    BaseModel,
    ConfigDict,
    Field,
    StringConstraints,
    field_validator,
)

from zhian.domains.transport.choices import HAZARD_CLASSES, PLATE_COLORS, BodyType
from zhian.gateways.jt808.directory import terminal_number

# A mainland plate: province character, issuing-office letter, then 5 (or 6, new-energy)
# letters and digits; the last may be 挂 (trailer), 学 (learner) or 警 (police).
PLATE = re.compile(r"^[\u4e00-\u9fff][A-Z][A-Z0-9]{4,5}[A-Z0-9挂学警]$")
DIVISION_PATTERN = r"^\d{6,12}$"

Text = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=128)]


def normalize_classes(value: Any) -> list[str]:
    """A list or a comma-separated string of GB 6944 classes, deduplicated, in table order."""
    if value is None:
        return []
    if isinstance(value, str):
        parts = [p.strip() for p in value.replace("，", ",").split(",")]
    elif isinstance(value, list | tuple):
        parts = [str(p).strip() for p in value]
    else:
        raise ValueError("a list of classes or a comma-separated string is expected")
    parts = [p for p in parts if p]
    unknown = [p for p in parts if p not in HAZARD_CLASSES]
    if unknown:
        raise ValueError(f"unknown dangerous-goods class {unknown[0]!r} (GB 6944: 1.1 … 9)")
    return [c for c in HAZARD_CLASSES if c in parts]


class CarrierCreate(BaseModel):
    """A licensed carrier as a regulator enters it."""

    name: Text
    licence_no: Annotated[
        str, StringConstraints(strip_whitespace=True, pattern=r"^[0-9A-Za-z\u4e00-\u9fff-]{4,40}$")
    ]
    division: str = Field(pattern=DIVISION_PATTERN)


class CarrierOut(BaseModel):
    """A carrier as the API shows it."""

    model_config = ConfigDict(from_attributes=True)

    id: int
    name: str
    licence_no: str
    division: str
    created_at: datetime


class CarrierPage(BaseModel):
    """One page of carriers."""

    items: list[CarrierOut]
    total: int
    page: int
    per_page: int


class VehicleCreate(BaseModel):
    """A vehicle and its terminal, as a regulator provisions them."""

    plate: str = Field(description="Mainland plate, e.g. 陕E12345", examples=["陕E12345"])
    plate_color: int = Field(description="JT/T 808 plate colour: 1 blue, 2 yellow, ... 9 other")
    terminal_phone: str = Field(description="The terminal's number (digits, up to 20)")
    division: str = Field(pattern=DIVISION_PATTERN)
    carrier_id: int | None = None
    hazard_classes: list[str] = Field(default_factory=list, description='e.g. ["2.1", "3"]')
    body_type: BodyType | None = None
    is_police_unit: bool = False

    @field_validator("plate", mode="before")
    @classmethod
    def _plate(cls, value: Any) -> Any:
        if not isinstance(value, str):
            return value
        plate = "".join(value.split()).upper()
        if not PLATE.fullmatch(plate):
            raise ValueError("not a vehicle plate (e.g. 陕E12345)")
        return plate

    @field_validator("plate_color")
    @classmethod
    def _plate_color(cls, value: int) -> int:
        if value not in PLATE_COLORS:
            raise ValueError(f"plate colour must be one of {sorted(PLATE_COLORS)}")
        return value

    @field_validator("terminal_phone", mode="before")
    @classmethod
    def _phone(cls, value: Any) -> Any:
        return terminal_number(value)

    @field_validator("hazard_classes", mode="before")
    @classmethod
    def _classes(cls, value: Any) -> list[str]:
        return normalize_classes(value)


class VehicleOut(BaseModel):
    """A vehicle as the API shows it; never the terminal's auth code."""

    id: int
    plate: str
    plate_color: int
    terminal_phone: str
    division: str
    carrier_id: int | None
    hazard_classes: list[str]
    body_type: str | None
    is_police_unit: bool
    registered: bool
    registered_at: datetime | None
    last_position_at: datetime | None
    created_at: datetime


class VehiclePage(BaseModel):
    """One page of vehicles."""

    items: list[VehicleOut]
    total: int
    page: int
    per_page: int


class PositionOut(BaseModel):
    """One fix of a vehicle's track: WGS-84 degrees, km/h, UTC time."""

    model_config = ConfigDict(from_attributes=True)

    lon: float
    lat: float
    speed_kmh: float
    heading: int
    time: datetime = Field(validation_alias="located_at")
    alarm: int
    status: int


class PositionReport(BaseModel):
    """The normalized ``jt808.position`` event, as far as the transport domain reads it."""

    model_config = ConfigDict(extra="ignore")

    phone: str = Field(min_length=1, max_length=20)
    time: AwareDatetime
    lon: float = Field(ge=-180, le=180)
    lat: float = Field(ge=-90, le=90)
    speed_kmh: float = Field(ge=0)
    heading: int = Field(ge=0, le=360)
    altitude_m: int = 0
    alarm: int = Field(ge=0, le=0xFFFFFFFF)
    status: int = Field(ge=0, le=0xFFFFFFFF)


TerminalConfirmation = Literal["confirmed", "refused", "no_answer", "not_connected"]


class AlertOut(BaseModel):
    """An alert: one episode of a rule on one vehicle, and its handling."""

    id: int
    vehicle_id: int
    plate: str
    kind: str
    status: str
    active: bool
    division: str
    opened_at: datetime
    last_seen_at: datetime
    ended_at: datetime | None
    peak_speed_kmh: float | None
    lon: float | None = Field(description="Where the episode began (WGS-84), if known")
    lat: float | None
    permit_id: int | None
    zone_id: int | None
    acknowledged_at: datetime | None = Field(description="When an operator took it up")
    acknowledged_by: str | None
    resolved_at: datetime | None
    resolved_by: str | None
    note: str | None
    terminal_confirmation: TerminalConfirmation | None = Field(
        description="For an alarm the terminal holds (emergency button): what became of the "
        "platform's latest confirmation to it (JT/T 808 0x8203); null before any, and for "
        "other kinds"
    )


class AlertResolved(AlertOut):
    """An alert an operator acknowledged or resolved, and whether its terminal acknowledged
    the confirmation (0x8203)."""

    terminal_confirmed: bool | None = Field(
        description="For an alarm the terminal holds (emergency button): whether the terminal "
        "acknowledged the platform's confirmation; null when there is nothing to confirm"
    )


class AlertPage(BaseModel):
    """One page of alerts."""

    items: list[AlertOut]
    total: int
    page: int
    per_page: int


class AlertResolve(BaseModel):
    """How an alert was handled."""

    note: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=2000)]

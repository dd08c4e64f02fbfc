"""Input and output shapes of the incidents domain."""

from __future__ import annotations

import re
from datetime import datetime
from typing import Annotated, Any

from pydantic import BaseModel, ConfigDict, Field, StringConstraints, field_validator

from zhian.domains.incidents.choices import (
    AlertKind,
    HazardKind,
    IncidentStatus,
    IncidentType,
    UnitKind,
    UnitStatus,
)
from zhian.gateways.jt808.directory import terminal_number

DIVISION_PATTERN = r"^\d{6,12}$"
CAPABILITY = re.compile(r"^[a-z][a-z0-9_]{0,31}$")

Lon = Annotated[float, Field(ge=-180.0, le=180.0)]
Lat = Annotated[float, Field(ge=-90.0, le=90.0)]
Short = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=200)]


def normalize_capabilities(value: Any) -> list[str]:
    """A list or comma-separated string of capability names, deduplicated and sorted."""
    if value is None:
        return []
    if isinstance(value, str):
        parts = value.replace("，", ",").split(",")
    elif isinstance(value, list | tuple):
        parts = [str(p) for p in value]
    else:
        raise ValueError("a list of capabilities or a comma-separated string is expected")
    names = {p.strip().lower() for p in parts if p.strip()}
    bad = sorted(n for n in names if not CAPABILITY.fullmatch(n))
    if bad:
        raise ValueError(f"capability {bad[0]!r} must be lower-case letters, digits, _")
    return sorted(names)


class IncidentCreate(BaseModel):
    """A call as the call-taker enters it: a location as text or as coordinates."""

    type: IncidentType
    priority: int | None = Field(default=None, ge=1, le=4)
    location_text: Short | None = None
    lon: Lon | None = None
    lat: Lat | None = None
    narrative: Annotated[str, StringConstraints(strip_whitespace=True, max_length=4000)] | None = (
        None
    )
    caller_phone: str | None = Field(default=None, description="Digits, 3 to 20")

    @field_validator("caller_phone", mode="before")
    @classmethod
    def _phone(cls, value: Any) -> Any:
        if value is None or value == "":
            return None
        if not isinstance(value, str):
            raise ValueError("a phone number (digits) is expected")
        digits = re.sub(r"[\s-]", "", value)
        if not re.fullmatch(r"\+?\d{3,20}", digits):
            raise ValueError("3 to 20 digits expected")
        return digits


class HazardOut(BaseModel):
    """One hazard flag at a location, from whichever provider raised it."""

    kind: str
    label: str
    source: str
    detail: str | None = None
    address_id: int | None = None
    expires_at: datetime | None = None


class IncidentOut(BaseModel):
    """An incident as the API shows it; the caller's phone masked unless shown."""

    id: int
    type: IncidentType
    priority: int
    status: IncidentStatus
    division: str
    lon: float
    lat: float
    location_text: str | None
    location_level: str | None
    address_id: int | None = None
    narrative: str | None
    caller_phone: str | None
    caller_masked: bool
    received_at: datetime
    dispatched_at: datetime | None
    arrived_at: datetime | None
    cleared_at: datetime | None
    cancelled_at: datetime | None
    candidates: list[dict[str, Any]] = Field(default_factory=list)
    possible_duplicates: list[int] = Field(default_factory=list)
    # The hazards at the location: given on intake, on the detail and on assignment; null in
    # lists (asking every provider for every row would make a list slow).
    hazards: list[HazardOut] | None = None


class IncidentPage(BaseModel):
    """One page of incidents."""

    items: list[IncidentOut]
    total: int
    page: int
    per_page: int


class IncidentStatusIn(BaseModel):
    """A new status for an incident (on scene, cleared, cancelled)."""

    status: IncidentStatus


class Assign(BaseModel):
    """Units to send to an incident: one (``unit_id``) or several (``unit_ids``). With
    ``replace`` the units now committed to the incident are released (a reassignment);
    without it the units are added to those already there."""

    unit_id: int | None = None
    unit_ids: list[int] = Field(default_factory=list, max_length=20)
    replace: bool = False

    def units(self) -> list[int]:
        """The units asked for, in order, each once."""
        ids = ([self.unit_id] if self.unit_id is not None else []) + self.unit_ids
        return list(dict.fromkeys(ids))


class Recommendation(BaseModel):
    """One available unit and how long it would take to get there."""

    unit_id: int
    callsign: str
    kind: UnitKind
    distance_m: float
    eta_s: float


class DuplicateCandidate(BaseModel):
    """An incident a call being taken may duplicate: same type, near, recent."""

    id: int
    type: IncidentType
    status: IncidentStatus
    division: str
    location_text: str | None
    received_at: datetime
    distance_m: float
    url: str


class UnitCreate(BaseModel):
    """A police unit as a commander registers it."""

    callsign: Annotated[
        str, StringConstraints(strip_whitespace=True, pattern=r"^[0-9A-Za-z\u4e00-\u9fff-]{1,32}$")
    ]
    kind: UnitKind
    division: str = Field(pattern=DIVISION_PATTERN)
    crew_size: int = Field(default=2, ge=1, le=20)
    capabilities: list[str] = Field(default_factory=list, description='e.g. ["first_aid"]')
    home_station: Short | None = None
    lon: Lon | None = None
    lat: Lat | None = None
    terminal_phone: str | None = Field(
        default=None,
        description=(
            "The JT/T 808 terminal in the unit's car (digits); its fixes move the unit once "
            "the terminal is provisioned in transport as a police unit (the gateway admits "
            "provisioned terminals only)"
        ),
    )

    @field_validator("capabilities", mode="before")
    @classmethod
    def _caps(cls, value: Any) -> list[str]:
        return normalize_capabilities(value)

    @field_validator("terminal_phone", mode="before")
    @classmethod
    def _terminal(cls, value: Any) -> str | None:
        return None if value is None or value == "" else terminal_number(value)


class UnitPosition(BaseModel):
    """A unit's position, WGS-84."""

    lon: Lon
    lat: Lat


class UnitStatusIn(BaseModel):
    """A unit's new status."""

    status: UnitStatus


class UnitOut(BaseModel):
    """A unit as the API shows it."""

    model_config = ConfigDict(from_attributes=True)

    id: int
    callsign: str
    kind: UnitKind
    crew_size: int
    capabilities: list[str]
    home_station: str | None
    division: str
    lon: float | None
    lat: float | None
    position_at: datetime | None
    terminal_phone: str | None = None
    status: UnitStatus
    status_at: datetime
    incident_id: int | None

    @field_validator("capabilities", mode="before")
    @classmethod
    def _caps(cls, value: Any) -> list[str]:
        return normalize_capabilities(value)


class UnitPage(BaseModel):
    """One page of units."""

    items: list[UnitOut]
    total: int
    page: int
    per_page: int


LEVEL_UNITS = Annotated[int, Field(ge=0, le=500)]


class PatrolZoneCreate(BaseModel):
    """A patrol zone: a GeoJSON polygon within a division and the units each level needs."""

    name: Short
    division: str = Field(pattern=DIVISION_PATTERN)
    geometry: dict[str, Any] = Field(description="GeoJSON Polygon or MultiPolygon, WGS-84")
    units_per_level: list[LEVEL_UNITS] = Field(
        min_length=4, max_length=4, description="Units needed at levels 1, 2, 3, 4"
    )


class PatrolZoneOut(BaseModel):
    """A patrol zone and, when asked for, how it stands now."""

    id: int
    name: str
    division: str
    geometry: dict[str, Any]
    units_per_level: list[int]
    level: int
    required: int
    available: int
    short: bool


class PatrolZonePage(BaseModel):
    """One page of patrol zones."""

    items: list[PatrolZoneOut]
    total: int
    page: int
    per_page: int


class DutyLevelIn(BaseModel):
    """Switch the city or a county to a duty level (1 highest, 4 everyday)."""

    division: str = Field(pattern=DIVISION_PATTERN)
    level: int = Field(ge=1, le=4)
    reason: Short | None = None


class DutyLevelOut(BaseModel):
    """A division's duty level now, and the switch that set it (none: the default)."""

    division: str
    level: int
    set_on: str | None
    switched_at: datetime | None
    switched_by: str | None


class HazardCreate(BaseModel):
    """A hazard a dispatcher flags on a standard address, until ``expires_at``."""

    address_id: int
    kind: HazardKind
    note: Annotated[str, StringConstraints(strip_whitespace=True, max_length=500)] | None = None
    expires_at: datetime


class PremiseHazardOut(BaseModel):
    """A hazard flagged by hand."""

    model_config = ConfigDict(from_attributes=True)

    id: int
    address_id: int
    division: str
    kind: HazardKind
    note: str | None
    expires_at: datetime
    revoked_at: datetime | None
    created_by: str
    created_at: datetime


class PremiseHazardPage(BaseModel):
    """One page of hazards flagged by hand."""

    items: list[PremiseHazardOut]
    total: int
    page: int
    per_page: int


class AlertOut(BaseModel):
    """An alert on the board."""

    model_config = ConfigDict(from_attributes=True)

    id: int
    kind: AlertKind
    division: str
    incident_id: int | None
    zone_id: int | None
    message: str
    opened_at: datetime
    closed_at: datetime | None


class AlertPage(BaseModel):
    """One page of alerts."""

    items: list[AlertOut]
    total: int
    page: int
    per_page: int

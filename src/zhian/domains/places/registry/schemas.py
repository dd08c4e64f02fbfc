"""Input and output shapes of the address registry and the geocoder."""

from __future__ import annotations

from pydantic import BaseModel, Field

from zhian.domains.places.registry.choices import OrgCategory


class RoadCreate(BaseModel):
    """A road to register in a county."""

    name: str = Field(min_length=2, max_length=40)
    division: str = Field(pattern=r"^[0-9]{6}$")


class HouseCreate(BaseModel):
    """A house number to register on a road, with its WGS-84 position."""

    road_id: int
    number: int = Field(ge=1, le=99_999)
    suffix: str = Field(default="", max_length=8)
    division: str | None = Field(default=None, pattern=r"^[0-9]{6}(?:[0-9]{3}){0,2}$")
    lon: float = Field(ge=-180, le=180)
    lat: float = Field(ge=-90, le=90)


class OrganizationCreate(BaseModel):
    """An organization to register at a house number."""

    name: str = Field(min_length=2, max_length=100)
    category: OrgCategory
    house_id: int
    licence_no: str | None = Field(default=None, max_length=40)
    contact_name: str | None = Field(default=None, max_length=40)
    contact_phone: str | None = Field(default=None, pattern=r"^[0-9+\-]{5,20}$")


class AddressOut(BaseModel):
    """A standard address (house number) as lists show it."""

    id: int
    code: str
    label: str
    road_id: int
    road: str
    number: int
    suffix: str
    division: str
    county_code: str
    lon: float
    lat: float


class BuildingOut(BaseModel):
    """A building at an address, with how many rooms it has on record."""

    id: int
    number: str
    rooms: int


class OrganizationOut(BaseModel):
    """An organization; the contact is masked unless the caller may read it."""

    id: int
    name: str
    category: str
    category_label: str
    licence_no: str | None
    contact_name: str | None
    contact_phone: str | None
    contact_masked: bool
    address_id: int
    address: str
    division: str
    lon: float
    lat: float


class AddressDetail(AddressOut):
    """An address with its buildings and the organizations there (contacts masked)."""

    buildings: list[BuildingOut]
    organizations: list[OrganizationOut]


class AddressPage(BaseModel):
    """One page of addresses."""

    items: list[AddressOut]
    total: int
    page: int
    per_page: int


class OrganizationPage(BaseModel):
    """One page of organizations."""

    items: list[OrganizationOut]
    total: int
    page: int
    per_page: int


class CandidateOut(BaseModel):
    """One possible place offered instead of a guess."""

    label: str
    county_code: str
    road_id: int
    road: str
    address_id: int | None
    level: str
    lon: float
    lat: float
    confidence: float


class GeocodeOut(BaseModel):
    """The parse of a free-text address and, when matched, where the registry puts it."""

    province: str | None
    city: str | None
    county: str | None
    county_code: str | None
    township: str | None
    road: str | None
    house_number: str | None
    building: str | None
    unit: str | None
    room: str | None
    in_jurisdiction: bool
    matched: bool
    division_code: str | None
    zone: str | None
    community: str | None
    intersection: str | None
    floor: str | None
    qualifier: str | None
    poi: str | None
    address_id: int | None = None
    lon: float | None = None
    lat: float | None = None
    level: str | None = None
    confidence: float | None = None
    candidates: list[CandidateOut] = Field(default_factory=list)


class SuggestionOut(BaseModel):
    """A road or house number offered while typing, with the console page it opens."""

    label: str
    level: str
    county_code: str
    road_id: int
    road: str
    address_id: int | None
    code: str | None
    lon: float
    lat: float
    url: str


class SuggestionList(BaseModel):
    """Suggestions for what was typed, best first."""

    items: list[SuggestionOut]

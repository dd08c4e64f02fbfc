"""Input and output shapes of the hazmat domain."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from enum import StrEnum
from typing import Annotated, Any

from pydantic import (
    AfterValidator,
    BaseModel,
    ConfigDict,
    Field,
    StringConstraints,
    ValidationInfo,
    field_validator,
)

from zhian.domains.hazmat.codes import CodeType, check_cas, check_code
from zhian.domains.transport.choices import HAZARD_CLASSES


def _no_nul(value: str) -> str:
    # PostgreSQL's text cannot hold one (the insert would fail): refused on both databases.
    if "\x00" in value:
        raise ValueError("must not contain the NUL character (U+0000)")
    return value


NoNul = AfterValidator(_no_nul)
DIVISION_PATTERN = r"^\d{6,12}$"
BATCH_MAX = 1_000  # events per batch: a request of ~0.5 MB that commits in well under a second
Text = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=128), NoNul]
# At most 15 significant digits: SQLite keeps a fractional quantity as a double, which holds
# no more exactly, and a quantity read back as another number than its hash commits to would be
# an honest entry found altered (the most is 999,999,999,999.999, in any unit).
AMOUNT_DIGITS = 15
Amount = Annotated[Decimal, Field(gt=0, max_digits=AMOUNT_DIGITS, decimal_places=3)]
Counted = Annotated[Decimal, Field(ge=0, max_digits=AMOUNT_DIGITS, decimal_places=3)]
Address = Annotated[str, StringConstraints(strip_whitespace=True, max_length=256), NoNul]
Code = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=64), NoNul]
Lon = Annotated[float, Field(ge=-180.0, le=180.0)]
Lat = Annotated[float, Field(ge=-90.0, le=90.0)]


class Location(BaseModel):
    """Where a premise is: an address (matched against the standard addresses once, when
    registered) and, where no standard address fits (a magazine in a quarry), a point."""

    address: Address = ""
    lon: Lon | None = None
    lat: Lat | None = None


class EnterpriseKind(StrEnum):
    """What an enterprise does with dangerous goods."""

    PRODUCER = "producer"
    SELLER = "seller"
    USER = "user"
    STORAGE = "storage"
    TRANSPORT = "transport"
    BLASTING = "blasting"
    # Firearm holders (持枪单位).
    SECURITY_COMPANY = "security_company"
    SHOOTING_RANGE = "shooting_range"
    HUNTING_GROUND = "hunting_ground"
    ARMED_GUARD = "armed_guard"


class EventType(StrEnum):
    """The typed custody events of the ledger."""

    PRODUCE = "produce"
    # Entry into the ledger of something that already exists (a gun, a lot held before).
    REGISTER = "register"
    RECEIVE = "receive"
    STORE = "store"
    TRANSFER = "transfer"
    SHIP = "ship"
    DELIVER = "deliver"
    ISSUE = "issue"
    USE = "use"
    RETURN = "return"
    DESTROY = "destroy"
    LOSS = "loss"
    COUNT = "count"


class ItemKind(StrEnum):
    """An explosive by unique code, or a chemical lot."""

    EXPLOSIVE = "explosive"
    CHEMICAL = "chemical"
    FIREARM = "firearm"
    AMMUNITION = "ammunition"


# Guns are no dangerous goods: their licences and armoury capacities count them as this class.
FIREARM_CLASS = "firearm"
CLASSES: tuple[str, ...] = (*HAZARD_CLASSES, FIREARM_CLASS)
# One code, one physical thing: the quantity of each event is 1.
UNIQUE_KINDS = frozenset({ItemKind.EXPLOSIVE, ItemKind.FIREARM})


def _check_limits(value: dict[str, Decimal]) -> dict[str, Decimal]:
    unknown = [c for c in value if c not in CLASSES]
    if unknown:
        raise ValueError(f"unknown class {unknown[0]!r} (GB 6944: 1.1 … 9, or firearm)")
    return value


class EnterpriseCreate(Location):
    """An enterprise as a regulator registers it."""

    name: Text
    kind: EnterpriseKind
    division: str = Field(pattern=DIVISION_PATTERN)


class EnterpriseOut(BaseModel):
    """An enterprise as the API shows it."""

    model_config = ConfigDict(from_attributes=True)

    id: int
    name: str
    kind: str
    division: str
    address: str
    address_id: int | None
    lon: float | None
    lat: float | None
    created_at: datetime


class EnterprisePage(BaseModel):
    """One page of enterprises."""

    items: list[EnterpriseOut]
    total: int
    page: int
    per_page: int


class LicenceCreate(BaseModel):
    """A licence: number, the classes it covers with their per-event quantity limits, validity."""

    number: Annotated[str, StringConstraints(strip_whitespace=True, min_length=4, max_length=40)]
    limits: dict[str, Amount] = Field(min_length=1, description='e.g. {"1.1": "500"}')
    valid_from: date
    valid_until: date

    _classes = field_validator("limits")(_check_limits)


class LicenceOut(BaseModel):
    """A licence as the API shows it."""

    id: int
    enterprise_id: int
    number: str
    limits: dict[str, Decimal]
    valid_from: date
    valid_until: date


AlarmAccount = Annotated[
    str, StringConstraints(strip_whitespace=True, to_upper=True, pattern=r"^([0-9A-Fa-f]{3,16})?$")
]
CameraId = Annotated[str, StringConstraints(strip_whitespace=True, pattern=r"^\d{20}$")]


class SiteCreate(Location):
    """A storage site, its capacity per class, and its alarm panel and cameras by reference."""

    name: Text
    capacity: dict[str, Amount] = Field(min_length=1, description='e.g. {"1.1": "1000"}')
    alarm_account: AlarmAccount = Field(default="", description="SIA DC-09 account (hex)")
    camera_ids: list[CameraId] = Field(
        default_factory=list, max_length=64, description="GB/T 28181 device ids (20 digits)"
    )

    _classes = field_validator("capacity")(_check_limits)


class SiteOut(BaseModel):
    """A storage site as the API shows it."""

    id: int
    enterprise_id: int
    name: str
    capacity: dict[str, Decimal]
    address: str = ""
    address_id: int | None = None
    lon: float | None = None
    lat: float | None = None
    alarm_account: str = ""
    camera_ids: list[str] = Field(default_factory=list)


class ItemIn(BaseModel):
    """The item an event concerns; class, UN number and unit are needed when it is produced."""

    kind: ItemKind
    # Before ``code``, whose check depends on it.
    code_type: CodeType | None = Field(
        default=None, description="An explosive's code: detonator (GA 441, 13 chars), box, case"
    )
    code: Code
    hazard_class: str | None = None
    un_number: Annotated[str | None, Field(pattern=r"^UN\d{4}$")] = None
    cas: str | None = Field(default=None, description="A chemical's CAS number, e.g. 7664-93-9")
    unit: Annotated[str, StringConstraints(max_length=16), NoNul] = "kg"

    @field_validator("code_type")
    @classmethod
    def _explosives_only(cls, value: CodeType | None, info: ValidationInfo) -> CodeType | None:
        if value is not None and info.data.get("kind") != ItemKind.EXPLOSIVE:
            raise ValueError("only an explosive's code has a code type")
        return value

    @field_validator("code")
    @classmethod
    def _structure(cls, value: str, info: ValidationInfo) -> str:
        code_type = info.data.get("code_type")
        return value if code_type is None else check_code(value, code_type)

    @field_validator("cas")
    @classmethod
    def _cas(cls, value: str | None, info: ValidationInfo) -> str | None:
        if value is None:
            return None
        if info.data.get("kind") != ItemKind.CHEMICAL:
            raise ValueError("only a chemical has a CAS number")
        return check_cas(value.strip())

    @field_validator("hazard_class")
    @classmethod
    def _known_class(cls, value: str | None) -> str | None:
        if value is not None and value not in CLASSES:
            raise ValueError(f"unknown class {value!r} (GB 6944: 1.1 … 9, or firearm)")
        return value


class EventIn(BaseModel):
    """One typed custody event, recorded on the chain of ``enterprise_id``."""

    event: EventType
    enterprise_id: int
    item: ItemIn
    quantity: Amount
    site_id: int | None = None
    from_enterprise_id: int | None = None
    to_enterprise_id: int | None = None
    reference: Annotated[str, StringConstraints(max_length=256), NoNul] = ""
    payload: dict[str, Any] = Field(default_factory=dict)


class EventBatchIn(BaseModel):
    """Custody events recorded in order, all or nothing."""

    events: list[EventIn] = Field(min_length=1, max_length=BATCH_MAX)


class EntryOut(BaseModel):
    """A ledger entry as the API shows it, with any licence warnings."""

    model_config = ConfigDict(from_attributes=True)

    id: int
    enterprise_id: int
    seq: int
    prev_hash: str
    hash: str
    event: str
    item_id: int
    from_enterprise_id: int | None
    to_enterprise_id: int | None
    site_id: int | None
    quantity: Decimal
    actor_id: int | None
    actor: str
    at: datetime
    reference: str
    warnings: list[str] = Field(default_factory=list)


class StockOut(BaseModel):
    """What an enterprise holds of an item at a site."""

    site_id: int | None
    item_id: int
    code: str
    kind: str
    hazard_class: str
    unit: str
    quantity: Decimal


class CountLine(BaseModel):
    """One code found at a count, with the quantity found (1 for a coded item)."""

    code: Code
    quantity: Counted = Decimal(1)


class CountIn(BaseModel):
    """A physical count at a site: every code found there (codes not listed were not found)."""

    items: list[CountLine] = Field(max_length=100_000)

    @field_validator("items")
    @classmethod
    def _unique_codes(cls, value: list[CountLine]) -> list[CountLine]:
        seen: set[str] = set()
        for line in value:
            if line.code in seen:
                raise ValueError(f"code {line.code!r} listed twice")
            seen.add(line.code)
        return value


class CountLineOut(BaseModel):
    """A code of a count that does not match the books."""

    code: str
    expected: Decimal
    counted: Decimal


class CountOut(BaseModel):
    """A count's outcome: codes missing and unexpected, and the alert it raised."""

    id: int
    site_id: int
    counted_at: datetime
    digest: str
    missing: list[CountLineOut]
    unexpected: list[CountLineOut]
    alert_id: int | None


class AlertOut(BaseModel):
    """A custody alert and its handling; ``detail`` holds the finding (codes, window)."""

    id: int
    kind: str
    status: str
    division: str
    enterprise_id: int
    site_id: int | None
    item_id: int | None
    entry_id: int | None
    count_id: int | None
    detail: dict[str, Any]
    opened_at: datetime
    resolved_at: datetime | None
    resolved_by: str | None
    note: str | None


class AlertPage(BaseModel):
    """One page of alerts."""

    items: list[AlertOut]
    total: int
    page: int
    per_page: int


class AlertResolve(BaseModel):
    """How an alert was handled."""

    note: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=2000)]


class ClassStockOut(BaseModel):
    """What is held of one class (in one unit), summed over items, against a site's capacity.

    ``capacity`` is the site's capacity for the class (none for an enterprise's total, or a
    class the site is not rated for); ``over`` marks stock beyond it.
    """

    hazard_class: str
    unit: str
    quantity: Decimal
    items: int
    capacity: Decimal | None = None
    over: bool = False

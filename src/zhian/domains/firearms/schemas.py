"""Input and output shapes of the firearms registry."""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, StringConstraints

from zhian.domains.firearms.choices import GunType, InspectionResult, LossCause

Serial = Annotated[
    str,
    StringConstraints(strip_whitespace=True, to_upper=True, pattern=r"^[0-9A-Za-z-]{4,32}$"),
]
Text = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=64)]
Rounds = Annotated[int, Field(ge=0, le=1_000_000)]


def _aware(value: datetime) -> datetime:
    if value.tzinfo is None:
        raise ValueError("an aware time is required (with its UTC offset)")
    return value


class GunCreate(BaseModel):
    """A gun as the regulator registers it to a holder, into one of its armouries."""

    serial: Serial
    gun_type: GunType
    calibre: Text = Field(description="e.g. 9mm, 5.8mm, 12 gauge")
    maker: Text
    holder_id: int
    site_id: int


class LotCreate(BaseModel):
    """An ammunition lot registered to a holder, in rounds."""

    lot: Serial
    calibre: Text
    maker: Annotated[str, StringConstraints(strip_whitespace=True, max_length=64)] = ""
    holder_id: int
    site_id: int
    rounds: Annotated[int, Field(gt=0, le=1_000_000)]


class IssueIn(BaseModel):
    """A duty gun issued from its armoury, with rounds of one lot, due back at ``due_at``."""

    serial: Serial
    site_id: int
    due_at: Annotated[datetime, AfterValidator(_aware)]
    lot: Serial | None = None
    rounds: Rounds = 0


class ReturnIn(BaseModel):
    """A duty gun back in its armoury; the issued rounds returned, fired or lost."""

    serial: Serial
    site_id: int
    rounds_returned: Rounds = 0
    rounds_fired: Rounds = 0
    rounds_lost: Rounds = 0


class LossIn(BaseModel):
    """A gun reported stolen or lost."""

    serial: Serial
    cause: LossCause
    note: Annotated[str, StringConstraints(strip_whitespace=True, max_length=2000)] = ""


class InspectionIn(BaseModel):
    """An annual inspection of a gun."""

    inspected_on: date
    result: InspectionResult
    note: Annotated[str, StringConstraints(strip_whitespace=True, max_length=2000)] = ""


class InspectionOut(BaseModel):
    """An inspection as the API shows it."""

    model_config = ConfigDict(from_attributes=True)

    inspected_on: date
    result: str
    inspector: str
    note: str


class HolderOut(BaseModel):
    """The organization a gun is registered to."""

    id: int
    name: str
    kind: str


class GunOut(BaseModel):
    """A gun, its holder, where it is and its flag (``stolen``, ``lost`` or none)."""

    id: int
    serial: str
    gun_type: str
    calibre: str
    maker: str
    division: str
    holder: HolderOut
    status: str  # the ledger item's state: active, lost
    custody: str  # in_armoury, issued, elsewhere, none
    flag: str | None
    reported_at: datetime | None
    last_inspection: InspectionOut | None
    inspection_due: bool


class GunPage(BaseModel):
    """One page of guns."""

    items: list[GunOut]
    total: int
    page: int
    per_page: int


class LotOut(BaseModel):
    """An ammunition lot and the rounds its holder has, in armouries and issued."""

    id: int
    lot: str
    calibre: str
    maker: str
    holder_id: int
    rounds_in_armoury: int
    rounds_issued: int

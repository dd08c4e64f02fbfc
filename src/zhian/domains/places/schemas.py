"""Input and output shapes of the places domain."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict


class DivisionOut(BaseModel):
    """A division without its boundary (the map endpoint carries geometry)."""

    model_config = ConfigDict(from_attributes=True)

    adcode: str
    name: str
    name_en: str | None
    level: str
    parent_adcode: str | None
    seat_lon: float | None
    seat_lat: float | None


class DivisionPage(BaseModel):
    """One page of divisions."""

    items: list[DivisionOut]
    total: int
    page: int
    per_page: int


class LocatedDivision(BaseModel):
    """The division containing a point, and the county it lies in."""

    adcode: str
    name: str
    level: str
    county_adcode: str
    county_name: str

"""Input and output shapes of identity."""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, ConfigDict, Field


class UserCreate(BaseModel):
    """A new user as an administrator enters it."""

    username: str = Field(min_length=2, max_length=64, pattern=r"^[A-Za-z0-9_.\-]+$")
    role: str
    division: str = Field(pattern=r"^\d{6,12}$")
    password: str
    display_name: str = Field(default="", max_length=64)
    mfa_required: bool = False


class UserOut(BaseModel):
    """A user as the API shows it: never the hash or the second-factor secret."""

    model_config = ConfigDict(from_attributes=True)

    id: int
    username: str
    display_name: str
    role: str
    division: str
    is_active: bool
    mfa_required: bool
    mfa_enrolled: bool
    locked: bool
    last_login_at: datetime | None
    created_at: datetime


class UserPage(BaseModel):
    """One page of users."""

    items: list[UserOut]
    total: int
    page: int
    per_page: int


class TokenOut(BaseModel):
    """An API token's public facts; the secret is shown once, at creation."""

    model_config = ConfigDict(from_attributes=True)

    id: int
    name: str
    prefix: str
    created_at: datetime
    last_used_at: datetime | None
    revoked_at: datetime | None

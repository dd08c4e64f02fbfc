"""Tables of identity: users, console sessions and API tokens."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey
from sqlalchemy.orm import Mapped, mapped_column

from zhian.core.db import Base


class User(Base):
    """A person who signs in, with one role and a home division that bounds what they see."""

    __tablename__ = "auth_user"

    username: Mapped[str] = mapped_column(unique=True)
    display_name: Mapped[str] = mapped_column(default="")
    role: Mapped[str] = mapped_column()
    division: Mapped[str] = mapped_column(ForeignKey("place_division.adcode"), index=True)
    password_hash: Mapped[str] = mapped_column()
    is_active: Mapped[bool] = mapped_column(default=True)
    mfa_required: Mapped[bool] = mapped_column(default=False)
    totp_secret: Mapped[str | None] = mapped_column()
    # The last accepted TOTP time step: a code of that step or earlier is a replay.
    totp_last_step: Mapped[int | None] = mapped_column()
    failed_login_count: Mapped[int] = mapped_column(default=0)
    first_failed_login_at: Mapped[datetime | None] = mapped_column()
    locked_at: Mapped[datetime | None] = mapped_column()
    last_login_at: Mapped[datetime | None] = mapped_column()


class AuthSession(Base):
    """A console sign-in; the cookie carries the token, the table only its hash."""

    __tablename__ = "auth_session"

    user_id: Mapped[int] = mapped_column(ForeignKey("auth_user.id"), index=True)
    token_hash: Mapped[str] = mapped_column(unique=True)
    csrf_token: Mapped[str] = mapped_column()
    client_addr: Mapped[str | None] = mapped_column()
    last_seen_at: Mapped[datetime] = mapped_column()
    ended_at: Mapped[datetime | None] = mapped_column()
    end_reason: Mapped[str | None] = mapped_column()


class ApiToken(Base):
    """A bearer token for an integration, acting as its user and scoped like them."""

    __tablename__ = "auth_api_token"

    user_id: Mapped[int] = mapped_column(ForeignKey("auth_user.id"), index=True)
    name: Mapped[str] = mapped_column(default="")
    token_hash: Mapped[str] = mapped_column(unique=True)
    prefix: Mapped[str] = mapped_column()
    last_used_at: Mapped[datetime | None] = mapped_column()
    revoked_at: Mapped[datetime | None] = mapped_column()

"""Typed settings from ``ZHIAN_*`` environment variables, read when the app starts."""

from __future__ import annotations

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict

DEFAULT_DATABASE_URL = "sqlite:///./var/zhian.db"


class Settings(BaseSettings):
    """Everything an operator can set; one instance is built at start-up and passed down."""

    model_config = SettingsConfigDict(env_prefix="ZHIAN_", extra="ignore")

    database_url: str = DEFAULT_DATABASE_URL
    bus: str = Field(default="memory", description="'memory' or a nats:// URL")
    locale: str = "zh_CN"
    session_idle_minutes: int = 30
    session_absolute_hours: int = 12
    lockout_threshold: int = 5
    lockout_window_minutes: int = 15
    totp_roles: str = Field(
        default="admin,commander",
        description="Comma-separated roles that must use a TOTP second factor.",
    )
    secure_cookies: bool | None = Field(
        default=None, description="Force Secure cookies; by default set when served over TLS."
    )
    transport_speed_limit_kmh: float = Field(
        default=80.0, gt=0, description="Overspeed alert: a fix above this speed (km/h)."
    )
    transport_calm_positions: int = Field(
        default=3,
        ge=1,
        description="Overspeed alert: consecutive fixes at or under the limit that end it.",
    )
    incident_check_seconds: float = Field(
        default=15.0,
        ge=0,
        description="Seconds between the overdue and patrol-zone checks; 0 turns them off.",
    )

    @property
    def totp_role_set(self) -> frozenset[str]:
        """The roles for which a second factor is mandatory."""
        return frozenset(r.strip() for r in self.totp_roles.split(",") if r.strip())


def load_settings(**overrides: object) -> Settings:
    """Read the environment now (never at import time) and apply explicit overrides."""
    return Settings(**overrides)  # type: ignore[arg-type]

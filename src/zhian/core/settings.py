"""Typed settings from ``ZHIAN_*`` environment variables, read when the app starts."""

from __future__ import annotations

from pathlib import Path

from pydantic import Field, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

DEFAULT_DATABASE_URL = "sqlite:///./var/zhian.db"
# The road transport regulations require vehicle positions to be kept at least six months.
MIN_TRANSPORT_RETENTION_DAYS = 180


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
        default=80.0, gt=0, description="Overspeed alert on an expressway: above this (km/h)."
    )
    transport_ordinary_speed_limit_kmh: float = Field(
        default=60.0, gt=0, description="Overspeed alert on any other road: above this (km/h)."
    )
    transport_calm_positions: int = Field(
        default=3,
        ge=1,
        description="Overspeed alert: consecutive fixes at or under the limit that end it.",
    )
    transport_retention_days: int = Field(
        default=MIN_TRANSPORT_RETENTION_DAYS,
        description="Vehicle positions older than this many days are purged (at least 180).",
    )
    transport_purge_interval_minutes: float = Field(
        default=60.0, gt=0, description="How often `zhian serve` purges expired positions."
    )

    @field_validator("transport_retention_days")
    @classmethod
    def _six_months_at_least(cls, value: int) -> int:
        if value < MIN_TRANSPORT_RETENTION_DAYS:
            raise ValueError(
                f"{value} days is too short: the transport regulations require vehicle "
                f"positions to be kept at least {MIN_TRANSPORT_RETENTION_DAYS} days (six months)"
            )
        return value

    transport_night_hours: str = Field(
        default="22:00-06:00",
        description='Night restriction for vehicles on a permitted trip, "HH:MM-HH:MM" '
        "Asia/Shanghai; empty: none.",
    )
    transport_driving_limit_hours: float = Field(
        default=4.0, gt=0, description="Fatigue alert: continuous driving longer than this."
    )
    transport_rest_minutes: float = Field(
        default=20.0, gt=0, description="Fatigue: a halt this long is a rest."
    )
    transport_stop_minutes: float = Field(
        default=15.0,
        gt=0,
        description="Unscheduled stop: halted this long away from the approved stops.",
    )
    transport_signal_loss_minutes: float = Field(
        default=10.0, gt=0, description="Signal loss: no fix this long during a permitted trip."
    )
    ledger_checkpoint_dir: Path = Field(
        default=Path("./var/ledger-checkpoints"),
        description="Signed ledger checkpoints (JSON lines, append-only): keep it off the "
        "database host, e.g. a write-once share.",
    )
    ledger_signing_key: Path = Field(
        default=Path("./var/ledger-signing.key"),
        description="Ed25519 key that signs ledger checkpoints (PEM); made on first seal, "
        "its public half beside it as <path>.pub.",
    )
    ledger_verify_key: Path | None = Field(
        default=None,
        description="Public key (PEM) checkpoints are verified with; by default <signing key>.pub.",
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

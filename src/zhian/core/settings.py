"""Typed settings from ``ZHIAN_*`` environment variables, read when the app starts."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from types import MappingProxyType

from pydantic import Field, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

DEFAULT_DATABASE_URL = "sqlite:///./var/zhian.db"
# The road transport regulations require vehicle positions to be kept at least six months.
MIN_TRANSPORT_RETENTION_DAYS = 180
# Incident priorities, 1 the most urgent; every one needs its response targets.
PRIORITIES = (1, 2, 3, 4)
# Minutes per priority from the call to the first unit dispatched, and to the first on scene.
DEFAULT_DISPATCH_TARGET_MINUTES = "1:3,2:5,3:10,4:30"
DEFAULT_ARRIVAL_TARGET_MINUTES = "1:10,2:15,3:30,4:60"


def parse_targets(text: str) -> Mapping[int, float]:
    """Seconds per priority from "PRIORITY:MINUTES,..." (every priority once, minutes > 0)."""
    found: dict[int, float] = {}
    for item in text.split(","):
        if not item.strip():
            continue
        key, sep, value = item.partition(":")
        try:
            priority, minutes = int(key), float(value)
        except ValueError:
            raise ValueError(f'"{item.strip()}" is not PRIORITY:MINUTES') from None
        if not sep or priority not in PRIORITIES or priority in found:
            raise ValueError(f'"{item.strip()}": each priority 1-4 once, as PRIORITY:MINUTES')
        if not minutes > 0 or minutes == float("inf"):
            raise ValueError(f'"{item.strip()}": minutes must be a positive number')
        found[priority] = minutes * 60.0
    missing = [p for p in PRIORITIES if p not in found]
    if missing:
        raise ValueError(f"no target for priority {', '.join(map(str, missing))}")
    return MappingProxyType(dict(sorted(found.items())))


@dataclass(frozen=True)
class ResponseTargets:
    """Per priority, seconds from the call to the first unit dispatched (``dispatch_s``: late
    is an overdue alert on the board) and to the first unit on scene (``arrival_s``); the
    response-time report measures both against them."""

    dispatch_s: Mapping[int, float]
    arrival_s: Mapping[int, float]

    @classmethod
    def parse(cls, dispatch: str, arrival: str) -> ResponseTargets:
        """Targets from the two settings' text."""
        return cls(parse_targets(dispatch), parse_targets(arrival))


DEFAULT_TARGETS = ResponseTargets.parse(
    DEFAULT_DISPATCH_TARGET_MINUTES, DEFAULT_ARRIVAL_TARGET_MINUTES
)


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
    dispatch_target_minutes: str = Field(
        default=DEFAULT_DISPATCH_TARGET_MINUTES,
        description='Minutes per priority an incident may wait for its first unit, "1:3,2:5,'
        '3:10,4:30": later is an overdue alert, and the report measures dispatch against it.',
    )
    arrival_target_minutes: str = Field(
        default=DEFAULT_ARRIVAL_TARGET_MINUTES,
        description='Minutes per priority from the call to the first unit on scene, "1:10,'
        '2:15,3:30,4:60": the report measures arrival against it.',
    )

    @field_validator("dispatch_target_minutes", "arrival_target_minutes")
    @classmethod
    def _targets_parse(cls, value: str) -> str:
        parse_targets(value)
        return value

    @property
    def response_targets(self) -> ResponseTargets:
        """The dispatch and arrival targets per priority, in seconds."""
        return ResponseTargets.parse(self.dispatch_target_minutes, self.arrival_target_minutes)

    @property
    def totp_role_set(self) -> frozenset[str]:
        """The roles for which a second factor is mandatory."""
        return frozenset(r.strip() for r in self.totp_roles.split(",") if r.strip())


def load_settings(**overrides: object) -> Settings:
    """Read the environment now (never at import time) and apply explicit overrides."""
    return Settings(**overrides)  # type: ignore[arg-type]

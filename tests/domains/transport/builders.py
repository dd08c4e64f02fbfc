"""Builders shared by the transport tests: actors, vehicles, position reports."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy.orm import Session

from zhian.core.scope import Actor
from zhian.domains.transport import service, tracking
from zhian.domains.transport.models import Position, Vehicle
from zhian.domains.transport.rules import AlertRules
from zhian.domains.transport.schemas import PositionReport, VehicleCreate

HOME = "610502"  # 临渭区
OTHER = "610581"  # 韩城市
START = datetime(2026, 11, 1, 0, 0, tzinfo=UTC)
RULES = AlertRules(speed_limit_kmh=80.0, calm_positions=3)


def actor(role: str = "regulator", division: str = HOME, name: str = "reg") -> Actor:
    """An acting user without a users row (audit entries only keep the id)."""
    return Actor(user_id=1, username=name, role=role, division=division)


def vehicle_data(n: int = 1, **overrides: Any) -> VehicleCreate:
    """A valid dangerous-goods vehicle; ``n`` varies plate and terminal."""
    data: dict[str, Any] = {
        "plate": f"陕E{n:05d}",
        "plate_color": 2,
        "terminal_phone": f"1380013{n:04d}",
        "division": HOME,
        "hazard_classes": ["2.1", "3"],
        "body_type": "tank",
    }
    data.update(overrides)
    return VehicleCreate.model_validate(data)


def provision(session: Session, n: int = 1, division: str = HOME, **overrides: Any) -> Vehicle:
    """Provision a vehicle as the city's regulator would."""
    city = actor(division="610500", name="city_reg")
    return service.provision_vehicle(
        session, actor=city, data=vehicle_data(n, division=division, **overrides)
    )


def report(
    vehicle: Vehicle, second: int, *, speed: float = 40.0, alarm: int = 0, **extra: Any
) -> PositionReport:
    """A position report of ``vehicle``, ``second`` seconds after START."""
    data: dict[str, Any] = {
        "phone": vehicle.terminal_phone,
        "time": (START + timedelta(seconds=second)).isoformat(),
        "lon": 109.5 + second * 1e-4,
        "lat": 34.5,
        "speed_kmh": speed,
        "heading": 90,
        "altitude_m": 350,
        "alarm": alarm,
        "status": 3,
    }
    data.update(extra)
    return PositionReport.model_validate(data)


def feed(
    session: Session,
    vehicle: Vehicle,
    speeds: list[float],
    *,
    alarms: list[int] | None = None,
    start: int = 0,
    rules: AlertRules = RULES,
) -> list[Position | None]:
    """Record one fix per speed, one second apart, each under its own event id."""
    out = []
    for i, speed in enumerate(speeds):
        alarm = alarms[i] if alarms else 0
        fix = report(vehicle, start + i, speed=speed, alarm=alarm)
        out.append(
            tracking.record_position(
                session, report=fix, event_id=f"ev-{vehicle.id}-{start + i}", rules=rules
            )
        )
    return out

"""The live picture of the fleet: each visible vehicle's latest fix and its open alerts.

Read-only and scoped like the vehicle list. Not audited per request (the console map reloads
it every few seconds); reading a vehicle's track (``service.track``) stays audited.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import and_, select
from sqlalchemy.orm import Session

from zhian.core import scope as scoping
from zhian.core.identity.roles import require
from zhian.core.scope import Actor
from zhian.core.time import as_utc
from zhian.domains.transport.choices import AlertStatus
from zhian.domains.transport.models import Alert, Position, Vehicle

MAX_VEHICLES = 2_000


@dataclass
class LiveVehicle:
    """A vehicle, its newest fix (if any) and its open alerts, newest first."""

    vehicle: Vehicle
    position: Position | None = None
    alerts: list[Alert] = field(default_factory=list)

    @property
    def alarming(self) -> bool:
        """Whether someone still has to handle an alert of this vehicle."""
        return bool(self.alerts)


def live_fleet(session: Session, *, actor: Actor, limit: int = MAX_VEHICLES) -> list[LiveVehicle]:
    """The actor's vehicles (by plate, at most ``limit``) with latest fix and open alerts."""
    require(actor, "transport.read")
    vehicles = session.scalars(
        select(Vehicle)
        .where(scoping.scope_clause(actor, Vehicle.division))
        .order_by(Vehicle.plate, Vehicle.id)
        .limit(limit)
    ).all()
    rows = {v.id: LiveVehicle(v) for v in vehicles}
    if not rows:
        return []
    ids = list(rows)
    latest = session.scalars(
        select(Position)
        .join(
            Vehicle,
            and_(
                Position.vehicle_id == Vehicle.id,
                Position.located_at == Vehicle.last_position_at,
            ),
        )
        .where(Vehicle.id.in_(ids))
        .order_by(Position.id)
    )
    for pos in latest:  # the highest id wins when two fixes share the newest time
        rows[pos.vehicle_id].position = pos
    alerts = session.scalars(
        select(Alert)
        .where(Alert.vehicle_id.in_(ids), Alert.status == AlertStatus.OPEN)
        .order_by(Alert.opened_at.desc(), Alert.id.desc())
    )
    for alert in alerts:
        rows[alert.vehicle_id].alerts.append(alert)
    return list(rows.values())


def latest_geojson(session: Session, *, actor: Actor) -> dict[str, Any]:
    """One Point per visible vehicle at its newest fix, as a GeoJSON FeatureCollection.

    ``kind`` is "alarm" while the vehicle has an open alert, else "vehicle"; vehicles that
    never reported are left out.
    """
    features = [
        {
            "type": "Feature",
            "geometry": {"type": "Point", "coordinates": [row.position.lon, row.position.lat]},
            "properties": {
                "id": row.vehicle.id,
                "plate": row.vehicle.plate,
                "name": row.vehicle.plate,
                "kind": "alarm" if row.alarming else "vehicle",
                "speed_kmh": row.position.speed_kmh,
                "time": as_utc(row.position.located_at).isoformat(),
                "alerts": [a.kind for a in row.alerts],
            },
        }
        for row in live_fleet(session, actor=actor)
        if row.position is not None
    ]
    return {"type": "FeatureCollection", "features": features}

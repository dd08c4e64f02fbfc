"""Choice sets of the incidents domain: incident types and statuses, unit kinds and statuses."""

from __future__ import annotations

from enum import StrEnum


class IncidentType(StrEnum):
    """The 110 intake taxonomy."""

    CRIMINAL = "criminal"
    PUBLIC_ORDER = "public_order"
    TRAFFIC = "traffic"
    FIRE_MEDICAL_TRANSFER = "fire_medical_transfer"
    ASSISTANCE = "assistance"
    DISPUTE = "dispute"
    FRAUD_REPORT = "fraud_report"
    ALARM = "alarm"


# Default priority per type: 1 is the most urgent, 4 the least.
DEFAULT_PRIORITY: dict[IncidentType, int] = {
    IncidentType.CRIMINAL: 1,
    IncidentType.FIRE_MEDICAL_TRANSFER: 1,
    IncidentType.ALARM: 2,
    IncidentType.TRAFFIC: 2,
    IncidentType.PUBLIC_ORDER: 2,
    IncidentType.DISPUTE: 3,
    IncidentType.ASSISTANCE: 3,
    IncidentType.FRAUD_REPORT: 4,
}

INCIDENT_TYPE_LABELS: dict[IncidentType, tuple[str, str]] = {
    IncidentType.CRIMINAL: ("刑事案件", "Criminal"),
    IncidentType.PUBLIC_ORDER: ("治安案件", "Public order"),
    IncidentType.TRAFFIC: ("交通事故", "Traffic"),
    IncidentType.FIRE_MEDICAL_TRANSFER: ("火警医疗转警", "Fire or medical transfer"),
    IncidentType.ASSISTANCE: ("群众求助", "Assistance"),
    IncidentType.DISPUTE: ("纠纷", "Dispute"),
    IncidentType.FRAUD_REPORT: ("电信网络诈骗报案", "Online-fraud report"),
    IncidentType.ALARM: ("报警联网", "Alarm-originated"),
}


class IncidentStatus(StrEnum):
    """Where an incident stands: received → dispatched → en_route → on_scene → cleared."""

    RECEIVED = "received"
    DISPATCHED = "dispatched"
    EN_ROUTE = "en_route"
    ON_SCENE = "on_scene"
    CLEARED = "cleared"
    CANCELLED = "cancelled"


class UnitKind(StrEnum):
    """What a patrol unit moves in (or on)."""

    PATROL_CAR = "patrol_car"
    MOTORCYCLE = "motorcycle"
    FOOT = "foot"
    COMMUNITY = "community"


class UnitStatus(StrEnum):
    """A police unit's availability."""

    OFF_DUTY = "off_duty"
    AVAILABLE = "available"
    DISPATCHED = "dispatched"
    EN_ROUTE = "en_route"
    ON_SCENE = "on_scene"
    TRANSPORTING = "transporting"
    BUSY = "busy"

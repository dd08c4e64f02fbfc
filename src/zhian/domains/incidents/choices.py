"""Choice sets of the incidents domain: incident types and statuses, unit kinds and statuses."""

from __future__ import annotations

from collections.abc import Mapping
from enum import StrEnum
from typing import Any


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


class AlertKind(StrEnum):
    """What an alert on the board says."""

    OVERDUE = "overdue"
    ZONE_SHORT = "zone_short"


ALERT_KIND_LABELS: dict[AlertKind, tuple[str, str]] = {
    AlertKind.OVERDUE: ("超时未派警", "Not dispatched in time"),
    AlertKind.ZONE_SHORT: ("巡区警力不足", "Patrol zone short of units"),
}

# Duty levels (等级勤务): 1 is the highest state of readiness, 4 the everyday one.
DUTY_LEVELS: tuple[int, ...] = (1, 2, 3, 4)
DEFAULT_DUTY_LEVEL = 4


class HazardKind(StrEnum):
    """What a responding unit should know about a premise before it arrives."""

    EXPLOSIVES_MAGAZINE = "explosives_magazine"
    DANGEROUS_GOODS = "dangerous_goods"
    FIREARM_HOLDER = "firearm_holder"
    ALARM_BANK = "alarm_bank"
    DOG = "dog"
    STRUCTURAL = "structural"
    OTHER = "other"


HAZARD_KIND_LABELS: dict[HazardKind, tuple[str, str]] = {
    HazardKind.EXPLOSIVES_MAGAZINE: ("爆炸物品储存库", "Explosives magazine"),
    HazardKind.DANGEROUS_GOODS: ("危险化学品企业", "Dangerous-goods enterprise"),
    HazardKind.FIREARM_HOLDER: ("持枪单位", "Firearm holder"),
    HazardKind.ALARM_BANK: ("联网报警银行", "Alarm-connected bank"),
    HazardKind.DOG: ("烈性犬", "Dangerous dog"),
    HazardKind.STRUCTURAL: ("建筑危险", "Structural danger"),
    HazardKind.OTHER: ("其他危险", "Other hazard"),
}

INCIDENT_STATUS_LABELS: dict[IncidentStatus, tuple[str, str]] = {
    IncidentStatus.RECEIVED: ("待派警", "Waiting"),
    IncidentStatus.DISPATCHED: ("已派警", "Dispatched"),
    IncidentStatus.EN_ROUTE: ("赶赴现场", "En route"),
    IncidentStatus.ON_SCENE: ("到达现场", "On scene"),
    IncidentStatus.CLEARED: ("已处置", "Cleared"),
    IncidentStatus.CANCELLED: ("已撤销", "Cancelled"),
}

UNIT_KIND_LABELS: dict[UnitKind, tuple[str, str]] = {
    UnitKind.PATROL_CAR: ("巡逻车", "Patrol car"),
    UnitKind.MOTORCYCLE: ("摩托车", "Motorcycle"),
    UnitKind.FOOT: ("步巡", "Foot patrol"),
    UnitKind.COMMUNITY: ("社区民警", "Community police"),
}

UNIT_STATUS_LABELS: dict[UnitStatus, tuple[str, str]] = {
    UnitStatus.OFF_DUTY: ("下勤", "Off duty"),
    UnitStatus.AVAILABLE: ("可派", "Available"),
    UnitStatus.DISPATCHED: ("已派", "Dispatched"),
    UnitStatus.EN_ROUTE: ("途中", "En route"),
    UnitStatus.ON_SCENE: ("在现场", "On scene"),
    UnitStatus.TRANSPORTING: ("押送中", "Transporting"),
    UnitStatus.BUSY: ("忙碌", "Busy"),
}


def label(labels: Mapping[Any, tuple[str, str]], value: str, locale: str = "zh_CN") -> str:
    """The Chinese or English label of a choice value (the value itself if unknown)."""
    # Keys are StrEnum members, which hash and compare equal to their values.
    found = labels.get(value)
    if found is None:
        return value
    return found[0] if locale.startswith("zh") else found[1]

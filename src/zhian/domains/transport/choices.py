"""Choice sets of the transport domain: value, Chinese label and English label together."""

from __future__ import annotations

from enum import StrEnum

from zhian.core.alerts import AlertStatus as AlertStatus  # shared by every domain

# Plate colours as JT/T 808 carries them (codes of JT/T 697.7); 0 (unplated) is not
# provisioned: every monitored vehicle has a plate.
PLATE_COLORS: dict[int, tuple[str, str]] = {
    1: ("蓝色", "blue"),
    2: ("黄色", "yellow"),
    3: ("黑色", "black"),
    4: ("白色", "white"),
    5: ("绿色", "green"),
    9: ("其他", "other"),
}

# Dangerous-goods classes and divisions of GB 6944 (the UN model regulations' numbering).
HAZARD_CLASSES: tuple[str, ...] = (
    "1.1",
    "1.2",
    "1.3",
    "1.4",
    "1.5",
    "1.6",
    "2.1",
    "2.2",
    "2.3",
    "3",
    "4.1",
    "4.2",
    "4.3",
    "5.1",
    "5.2",
    "6.1",
    "6.2",
    "7",
    "8",
    "9",
)


class BodyType(StrEnum):
    """The body of a dangerous-goods vehicle."""

    TANK = "tank"
    VAN = "van"


BODY_TYPE_LABELS: dict[str, tuple[str, str]] = {
    BodyType.TANK: ("罐式", "tank"),
    BodyType.VAN: ("厢式", "van"),
}


class AlertKind(StrEnum):
    """What an alert is about."""

    EMERGENCY = "emergency"
    OVERSPEED = "overspeed"
    CORRIDOR_DEVIATION = "corridor_deviation"
    NO_GO_ZONE = "no_go_zone"
    FATIGUE = "fatigue"
    UNSCHEDULED_STOP = "unscheduled_stop"
    NIGHT_DRIVING = "night_driving"
    SIGNAL_LOSS = "signal_loss"


ALERT_KIND_LABELS: dict[str, tuple[str, str]] = {
    AlertKind.EMERGENCY: ("紧急报警", "emergency button"),
    AlertKind.OVERSPEED: ("超速", "overspeed"),
    AlertKind.CORRIDOR_DEVIATION: ("偏离路线", "corridor deviation"),
    AlertKind.NO_GO_ZONE: ("驶入禁行区", "no-go zone entry"),
    AlertKind.FATIGUE: ("疲劳驾驶", "fatigue driving"),
    AlertKind.UNSCHEDULED_STOP: ("异常停车", "unscheduled stop"),
    AlertKind.NIGHT_DRIVING: ("夜间禁行时段行驶", "driving in night hours"),
    AlertKind.SIGNAL_LOSS: ("信号中断", "signal lost"),
}


# What became of the platform's confirmation (0x8203) to a terminal holding an alarm.
TERMINAL_CONFIRMATION_LABELS: dict[str, tuple[str, str]] = {
    "confirmed": ("终端已确认", "terminal confirmed"),
    "not_connected": ("终端未在线", "terminal not connected"),
    "no_answer": ("终端未应答", "terminal did not answer"),
    "refused": ("终端拒绝确认", "terminal refused"),
}


ALERT_STATUS_LABELS: dict[str, tuple[str, str, str]] = {
    AlertStatus.OPEN: ("待处理", "open", "red"),
    AlertStatus.RESOLVED: ("已处理", "resolved", "green"),
}


class PermitStatus(StrEnum):
    """Whether a transport permit's trip is still under way."""

    ACTIVE = "active"
    CLOSED = "closed"


PERMIT_STATUS_LABELS: dict[str, tuple[str, str, str]] = {
    PermitStatus.ACTIVE: ("运输中", "active", "blue"),
    PermitStatus.CLOSED: ("已结束", "closed", "grey"),
}


class ZoneKind(StrEnum):
    """What a no-go zone protects."""

    SCHOOL = "school"
    EVENT = "event"
    CENTRE = "centre"
    OTHER = "other"


ZONE_KIND_LABELS: dict[str, tuple[str, str]] = {
    ZoneKind.SCHOOL: ("学校", "school"),
    ZoneKind.EVENT: ("活动区域", "event zone"),
    ZoneKind.CENTRE: ("城市中心区", "city centre"),
    ZoneKind.OTHER: ("其他", "other"),
}

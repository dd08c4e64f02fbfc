"""Choice sets of the hazmat domain: value, Chinese label and English label together."""

from __future__ import annotations

from enum import StrEnum

from zhian.core.alerts import AlertStatus as AlertStatus  # shared by every domain
from zhian.domains.firearms.choices import HOLDER_KINDS


class AlertKind(StrEnum):
    """What a custody alert is about."""

    DISCREPANCY = "discrepancy"
    UNDELIVERED = "undelivered"
    OVERDUE_RETURN = "overdue_return"
    LOSS_REPORT = "loss_report"


ALERT_KIND_LABELS: dict[str, tuple[str, str]] = {
    AlertKind.DISCREPANCY: ("盘点不符", "count discrepancy"),
    AlertKind.UNDELIVERED: ("运输逾期未送达", "shipment not delivered in time"),
    AlertKind.OVERDUE_RETURN: ("逾期未归还", "not returned in time"),
    AlertKind.LOSS_REPORT: ("丢失被盗报告", "loss or theft report"),
}


ALERT_STATUS_LABELS: dict[str, tuple[str, str]] = {
    AlertStatus.OPEN: ("待处置", "open"),
    AlertStatus.RESOLVED: ("已处置", "resolved"),
}


ENTERPRISE_KIND_LABELS: dict[str, tuple[str, str]] = {
    "producer": ("生产企业", "producer"),
    "seller": ("销售企业", "seller"),
    "user": ("使用单位", "user unit"),
    "storage": ("储存企业", "storage operator"),
    "transport": ("运输企业", "carrier"),
    "blasting": ("爆破作业单位", "blasting operator"),
    **HOLDER_KINDS,
}

EVENT_LABELS: dict[str, tuple[str, str]] = {
    "produce": ("生产", "produce"),
    "register": ("登记入账", "register"),
    "receive": ("接收", "receive"),
    "store": ("入库", "store"),
    "transfer": ("销售/转让", "sell or transfer"),
    "ship": ("发运", "ship"),
    "deliver": ("交付", "deliver"),
    "issue": ("领用出库", "issue"),
    "use": ("使用", "use"),
    "return": ("退库", "return"),
    "destroy": ("销毁", "destroy"),
    "loss": ("丢失被盗", "loss or theft"),
    "count": ("盘点", "count"),
}


class LicenceState(StrEnum):
    """Where a licence stands on a given day (30 days' warning before it ends)."""

    PENDING = "pending"
    VALID = "valid"
    EXPIRING = "expiring"
    EXPIRED = "expired"


LICENCE_STATE_LABELS: dict[str, tuple[str, str, str]] = {
    LicenceState.PENDING: ("未生效", "not yet valid", "grey"),
    LicenceState.VALID: ("有效", "valid", "green"),
    LicenceState.EXPIRING: ("即将到期", "expires soon", "amber"),
    LicenceState.EXPIRED: ("已过期", "expired", "red"),
}

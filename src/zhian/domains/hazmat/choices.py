"""Choice sets of the hazmat domain: value, Chinese label and English label together."""

from __future__ import annotations

from enum import StrEnum

from zhian.core.alerts import AlertStatus as AlertStatus  # shared by every domain


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

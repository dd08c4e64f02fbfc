"""Choice sets of the firearms registry: value, Chinese label and English label together."""

from __future__ import annotations

from enum import StrEnum


class GunType(StrEnum):
    """The kind of gun, as the holder's licence names it."""

    PISTOL = "pistol"
    REVOLVER = "revolver"
    RIFLE = "rifle"
    SHOTGUN = "shotgun"
    SPORTING = "sporting"
    HUNTING = "hunting"


GUN_TYPE_LABELS: dict[str, tuple[str, str]] = {
    GunType.PISTOL: ("手枪", "pistol"),
    GunType.REVOLVER: ("转轮手枪", "revolver"),
    GunType.RIFLE: ("步枪", "rifle"),
    GunType.SHOTGUN: ("霰弹枪", "shotgun"),
    GunType.SPORTING: ("运动枪", "sporting gun"),
    GunType.HUNTING: ("猎枪", "hunting gun"),
}

# The enterprise kinds that may hold guns (持枪单位).
HOLDER_KINDS: dict[str, tuple[str, str]] = {
    "security_company": ("保安服务公司", "security company"),
    "shooting_range": ("射击场", "shooting range"),
    "hunting_ground": ("狩猎场", "hunting ground"),
    "armed_guard": ("武装守护押运单位", "armed guard unit"),
}


class LossCause(StrEnum):
    """Why a gun or rounds are gone."""

    THEFT = "theft"
    LOSS = "loss"


LOSS_CAUSE_LABELS: dict[str, tuple[str, str]] = {
    LossCause.THEFT: ("被盗", "stolen"),
    LossCause.LOSS: ("丢失", "lost"),
}


class InspectionResult(StrEnum):
    """The outcome of an annual inspection."""

    PASSED = "passed"
    FAILED = "failed"


INSPECTION_RESULT_LABELS: dict[str, tuple[str, str]] = {
    InspectionResult.PASSED: ("合格", "passed"),
    InspectionResult.FAILED: ("不合格", "failed"),
}

"""Roles and what each may do. A role is a job in the command structure, not a person."""

from __future__ import annotations

from enum import StrEnum

from zhian.core.errors import Forbidden
from zhian.core.scope import SYSTEM_ROLE, Actor


class Role(StrEnum):
    """The roles of zhian's users."""

    ADMIN = "admin"
    COMMANDER = "commander"
    DISPATCHER = "dispatcher"
    OFFICER = "officer"
    REGULATOR = "regulator"
    UNIT_SECURITY = "unit_security"
    MEDIATOR = "mediator"
    LEADER = "leader"


ROLE_LABELS: dict[str, tuple[str, str]] = {
    Role.ADMIN: ("系统管理员", "Administrator"),
    Role.COMMANDER: ("指挥长", "Commander"),
    Role.DISPATCHER: ("接处警员", "Dispatcher"),
    Role.OFFICER: ("巡逻民警", "Patrol officer"),
    Role.REGULATOR: ("行业监管员", "Regulator"),
    Role.UNIT_SECURITY: ("单位保卫人员", "Unit security"),
    Role.MEDIATOR: ("调解员", "Mediator"),
    Role.LEADER: ("领导", "Leader"),
}

# Permissions are named for the action; a role holds the ones its work needs.
PERMISSIONS: dict[str, frozenset[Role]] = {
    "users.read": frozenset({Role.ADMIN, Role.COMMANDER, Role.LEADER}),
    "users.manage": frozenset({Role.ADMIN}),
    "audit.read": frozenset({Role.ADMIN, Role.LEADER}),
    "divisions.read": frozenset(Role),
    "places.read": frozenset(Role),
    "places.manage": frozenset({Role.ADMIN, Role.COMMANDER}),
    # A field check of a house number (verified, corrected, not found), for data quality.
    "places.verify": frozenset({Role.ADMIN, Role.COMMANDER, Role.OFFICER}),
    # The responsible contact of an organization (实有单位): name and phone, unmasked.
    "places.contact.read": frozenset({Role.ADMIN, Role.COMMANDER, Role.DISPATCHER, Role.REGULATOR}),
    "transport.read": frozenset(
        {
            Role.ADMIN,
            Role.COMMANDER,
            Role.DISPATCHER,
            Role.OFFICER,
            Role.REGULATOR,
            Role.LEADER,
        }
    ),
    "transport.manage": frozenset({Role.ADMIN, Role.COMMANDER, Role.REGULATOR}),
    "transport.alerts.handle": frozenset(
        {Role.ADMIN, Role.COMMANDER, Role.DISPATCHER, Role.REGULATOR}
    ),
    "hazmat.read": frozenset(
        {Role.ADMIN, Role.COMMANDER, Role.REGULATOR, Role.UNIT_SECURITY, Role.LEADER}
    ),
    "hazmat.record": frozenset({Role.ADMIN, Role.REGULATOR, Role.UNIT_SECURITY}),
    "hazmat.manage": frozenset({Role.ADMIN, Role.REGULATOR}),
    "hazmat.alerts.handle": frozenset({Role.ADMIN, Role.COMMANDER, Role.REGULATOR}),
    # A gun's status by serial (stolen, lost), city-wide: what a checkpoint officer asks.
    "firearms.lookup": frozenset(
        {Role.ADMIN, Role.COMMANDER, Role.DISPATCHER, Role.OFFICER, Role.REGULATOR}
    ),
    "incidents.read": frozenset(
        {Role.ADMIN, Role.COMMANDER, Role.DISPATCHER, Role.OFFICER, Role.LEADER}
    ),
    "incidents.intake": frozenset({Role.ADMIN, Role.COMMANDER, Role.DISPATCHER}),
    "incidents.dispatch": frozenset({Role.ADMIN, Role.COMMANDER, Role.DISPATCHER}),
    # The caller's phone number, unmasked on an incident's detail (audited).
    "incidents.caller.read": frozenset({Role.ADMIN, Role.COMMANDER, Role.DISPATCHER}),
    "units.manage": frozenset({Role.ADMIN, Role.COMMANDER, Role.DISPATCHER}),
    # Drawing patrol zones and the units each needs per duty level.
    "incidents.zones.manage": frozenset({Role.ADMIN, Role.COMMANDER}),
    # Switching the city or a county to a duty level (等级勤务), within one's jurisdiction.
    "incidents.duty.switch": frozenset({Role.ADMIN, Role.COMMANDER, Role.LEADER}),
}


def role_label(role: str, locale: str = "zh_CN") -> str:
    """The role's name in the console's language."""
    zh, en = ROLE_LABELS.get(role, (role, role))
    return zh if locale.startswith("zh") else en


def allowed(role: str, permission: str) -> bool:
    """Whether a role holds a permission (unknown permissions are held by nobody)."""
    return role in PERMISSIONS.get(permission, frozenset())


def require(actor: Actor, permission: str) -> None:
    """Refuse an actor whose role lacks the permission."""
    if actor.role == SYSTEM_ROLE or allowed(actor.role, permission):
        return
    raise Forbidden(f"当前角色无权执行此操作（{permission}）")

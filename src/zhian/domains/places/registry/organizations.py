"""Organizations at an address (实有单位): registering and reading them, contacts masked.

A responsible contact's name and phone are masked in every list (张*, 138****0000); the
detail shows them to roles holding ``places.contact.read``. Every detail read is audited,
saying whether the contact was shown.
"""

from __future__ import annotations

from sqlalchemy import Select, select
from sqlalchemy.orm import Session, contains_eager

from zhian.core import scope as scoping
from zhian.core.audit import service as audit
from zhian.core.errors import InvalidInput
from zhian.core.identity.roles import allowed, require
from zhian.core.pagination import Page, paginate
from zhian.core.records import visible_or_404
from zhian.core.scope import Actor
from zhian.domains.places.registry import service as registry
from zhian.domains.places.registry.choices import ORG_CATEGORY_LABELS, OrgCategory
from zhian.domains.places.registry.models import House, Organization
from zhian.domains.places.registry.schemas import OrganizationCreate, OrganizationOut

CONTACT_PERMISSION = "places.contact.read"


def mask_phone(phone: str | None) -> str | None:
    """138****0000: the first three and last four digits of a phone number, at most."""
    if not phone:
        return phone
    if len(phone) < 8:
        return "*" * len(phone)
    return f"{phone[:3]}{'*' * (len(phone) - 7)}{phone[-4:]}"


def mask_name(name: str | None) -> str | None:
    """张*: a person's name with all but its first character hidden."""
    if not name:
        return name
    return name[0] + "*" * max(1, len(name) - 1)


def may_see_contact(actor: Actor) -> bool:
    """Whether the actor's role may read a responsible contact unmasked."""
    return actor.role == scoping.SYSTEM_ROLE or allowed(actor.role, CONTACT_PERMISSION)


def create_organization(
    session: Session, *, actor: Actor, data: OrganizationCreate
) -> Organization:
    """Register an organization at a house number of the actor's jurisdiction."""
    require(actor, "places.manage")
    house = session.get(House, data.house_id)
    if house is None or not scoping.can_see(actor, house.division):
        raise InvalidInput(f"门牌不存在：{data.house_id}", field="house_id")
    org = Organization(
        name=data.name.strip(),
        category=data.category.value,
        licence_no=data.licence_no,
        contact_name=data.contact_name,
        contact_phone=data.contact_phone,
        house_id=house.id,
        division=house.division,
    )
    session.add(org)
    session.flush()
    audit.record(
        session,
        actor=actor,
        action="create",
        record_type="place_organization",
        record_id=str(org.id),
        division=org.division,
        detail={"name": org.name, "category": org.category},
    )
    return org


def organization_out(
    org: Organization, counties: dict[str, str], *, show_contact: bool = False
) -> OrganizationOut:
    """The public shape of an organization, its contact masked unless ``show_contact``."""
    house = org.house
    return OrganizationOut(
        id=org.id,
        name=org.name,
        category=org.category,
        category_label=ORG_CATEGORY_LABELS.get(org.category, (org.category, ""))[0],
        licence_no=org.licence_no,
        contact_name=org.contact_name if show_contact else mask_name(org.contact_name),
        contact_phone=org.contact_phone if show_contact else mask_phone(org.contact_phone),
        contact_masked=not show_contact,
        address_id=house.id,
        address=registry.label(house, counties),
        division=org.division,
        lon=house.lon,
        lat=house.lat,
    )


def _with_address() -> Select[Organization]:
    return (
        select(Organization)
        .join(Organization.house)
        .join(House.road)
        .options(contains_eager(Organization.house).contains_eager(House.road))
    )


def list_organizations(
    session: Session,
    *,
    actor: Actor,
    page: int = 1,
    per_page: int = 50,
    q: str | None = None,
    category: OrgCategory | None = None,
    address_id: int | None = None,
) -> Page[Organization]:
    """Organizations of the actor's jurisdiction, by part of the name, category or address."""
    require(actor, "places.read")
    stmt = _with_address().where(scoping.scope_clause(actor, Organization.division))
    if q and q.strip():
        stmt = stmt.where(Organization.name.contains(q.strip(), autoescape=True))
    if category is not None:
        stmt = stmt.where(Organization.category == category.value)
    if address_id is not None:
        stmt = stmt.where(Organization.house_id == address_id)
    return paginate(session, stmt.order_by(Organization.id), page, per_page)


def get_organization(
    session: Session, *, actor: Actor, organization_id: int
) -> tuple[Organization, bool]:
    """One organization of the actor's jurisdiction and whether its contact may be shown;
    the read is audited, another jurisdiction's is not found (and audited as denied)."""
    require(actor, "places.read")
    org = visible_or_404(
        actor,
        session.scalar(_with_address().where(Organization.id == organization_id)),
        record_type="place_organization",
        record_id=organization_id,
        label="单位",
    )
    shown = may_see_contact(actor)
    audit.record(
        session,
        actor=actor,
        action="read",
        record_type="place_organization",
        record_id=str(org.id),
        division=org.division,
        detail={"contact": "shown" if shown else "masked"},
    )
    return org, shown

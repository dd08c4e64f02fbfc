"""Choice sets of the address registry: value, Chinese label and English label together."""

from __future__ import annotations

from enum import StrEnum


class OrgCategory(StrEnum):
    """What kind of organization (实有单位) is at an address."""

    GOVERNMENT = "government"
    FINANCE = "finance"
    SCHOOL = "school"
    KINDERGARTEN = "kindergarten"
    HOSPITAL = "hospital"
    HOTEL = "hotel"
    ENTERTAINMENT = "entertainment"
    LOGISTICS = "logistics"
    DANGEROUS_GOODS = "dangerous_goods"
    OTHER = "other"


ORG_CATEGORY_LABELS: dict[str, tuple[str, str]] = {
    OrgCategory.GOVERNMENT: ("党政机关", "Government"),
    OrgCategory.FINANCE: ("金融机构", "Finance"),
    OrgCategory.SCHOOL: ("学校", "School"),
    OrgCategory.KINDERGARTEN: ("幼儿园", "Kindergarten"),
    OrgCategory.HOSPITAL: ("医院", "Hospital"),
    OrgCategory.HOTEL: ("旅馆", "Hotel"),
    OrgCategory.ENTERTAINMENT: ("娱乐场所", "Entertainment venue"),
    OrgCategory.LOGISTICS: ("寄递物流网点", "Logistics outlet"),
    OrgCategory.DANGEROUS_GOODS: ("危爆物品企业", "Dangerous-goods enterprise"),
    OrgCategory.OTHER: ("其他", "Other"),
}


class MatchLevel(StrEnum):
    """How deep a geocoding result reaches, coarsest first."""

    COUNTY = "county"
    TOWNSHIP = "township"
    ROAD = "road"
    HOUSE = "house"
    BUILDING = "building"
    ROOM = "room"

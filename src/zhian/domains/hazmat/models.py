"""Tables of the hazmat domain: enterprises, licences, sites, items, the custody ledger.

The ledger (``hazmat_ledger_entry``) is one append-only table for every kind of item, chained
per enterprise (``hazmat_chain_head`` is locked on append); ``hazmat_stock`` is its fold,
kept in the same transaction; ``hazmat_daily_root`` holds each day's RFC 6962 Merkle root.
"""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal

from sqlalchemy import ForeignKey, Index, Numeric, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from zhian.core.db import Base

Quantity = Numeric(18, 3)


class Enterprise(Base):
    """A producer, seller, user unit, storage operator or carrier of dangerous goods."""

    __tablename__ = "hazmat_enterprise"

    name: Mapped[str] = mapped_column()
    kind: Mapped[str] = mapped_column()
    division: Mapped[str] = mapped_column(ForeignKey("place_division.adcode"), index=True)
    address: Mapped[str] = mapped_column(default="")
    # Where it is, for premise hazards (see ``locate``): the standard address the text
    # matched when registered, and the point (the address's, or one given).
    address_id: Mapped[int | None] = mapped_column(ForeignKey("place_house.id"), index=True)
    lon: Mapped[float | None] = mapped_column()
    lat: Mapped[float | None] = mapped_column(index=True)


class Licence(Base):
    """A licence of an enterprise: the classes it covers, each with a quantity limit."""

    __tablename__ = "hazmat_licence"

    enterprise_id: Mapped[int] = mapped_column(ForeignKey("hazmat_enterprise.id"), index=True)
    number: Mapped[str] = mapped_column(unique=True)
    # {"1.1": "500.000", "3": "20000.000"}: class → the most one event may carry.
    limits: Mapped[str] = mapped_column(Text)
    valid_from: Mapped[date] = mapped_column()
    valid_until: Mapped[date] = mapped_column()


class Site(Base):
    """A storage site (magazine, warehouse) of an enterprise with its capacity per class."""

    __tablename__ = "hazmat_site"

    enterprise_id: Mapped[int] = mapped_column(ForeignKey("hazmat_enterprise.id"), index=True)
    name: Mapped[str] = mapped_column()
    # {"1.1": "1000.000"}: class → the most the site may hold.
    capacity: Mapped[str] = mapped_column(Text)
    # A magazine is often far from its enterprise's office: located on its own, like it.
    address: Mapped[str] = mapped_column(default="")
    address_id: Mapped[int | None] = mapped_column(ForeignKey("place_house.id"), index=True)
    lon: Mapped[float | None] = mapped_column()
    lat: Mapped[float | None] = mapped_column(index=True)
    # Its devices by reference (the alarm and camera systems keep them): the SIA DC-09
    # account of its intrusion panel, and the GB/T 28181 ids of the cameras covering it
    # (a JSON list), so whoever opens the site knows which signals and views are its own.
    alarm_account: Mapped[str] = mapped_column(default="")
    camera_ids: Mapped[str] = mapped_column(Text, default="[]")


class Item(Base):
    """An explosive by its unique code (quantity 1) or a chemical lot (UN number, quantity)."""

    __tablename__ = "hazmat_item"

    kind: Mapped[str] = mapped_column()  # "explosive" or "chemical"
    code: Mapped[str] = mapped_column(unique=True)
    hazard_class: Mapped[str] = mapped_column()
    un_number: Mapped[str | None] = mapped_column()
    cas: Mapped[str | None] = mapped_column()  # a chemical's CAS registry number
    # What an explosive's code marks (codes.CodeType: detonator, box, case); None if not said.
    code_type: Mapped[str | None] = mapped_column()
    unit: Mapped[str] = mapped_column()
    # "active", "used", "destroyed", "lost": a fold of the ledger, kept with it.
    state: Mapped[str] = mapped_column(default="active")


class LedgerEntry(Base):
    """One custody event, chained to the enterprise's previous entry and signed by its actor.

    ``hash`` commits (through :mod:`zhian.core.hashchain`) to every column but the id and the
    row times, whose canonical encoding is stored as ``canonical``: verification hashes those
    bytes and has the database check that the columns still say the same (see
    :mod:`zhian.domains.hazmat.verify`). A trigger refuses UPDATE and DELETE on both databases
    (migration 0005).
    """

    __tablename__ = "hazmat_ledger_entry"
    __table_args__ = (
        UniqueConstraint("enterprise_id", "seq"),
        Index("ix_hazmat_ledger_entry_item_at", "item_id", "at"),
    )

    enterprise_id: Mapped[int] = mapped_column(ForeignKey("hazmat_enterprise.id"))
    seq: Mapped[int] = mapped_column()
    prev_hash: Mapped[str] = mapped_column()
    hash: Mapped[str] = mapped_column()
    event: Mapped[str] = mapped_column()
    item_id: Mapped[int] = mapped_column(ForeignKey("hazmat_item.id"))
    from_enterprise_id: Mapped[int | None] = mapped_column(ForeignKey("hazmat_enterprise.id"))
    to_enterprise_id: Mapped[int | None] = mapped_column(ForeignKey("hazmat_enterprise.id"))
    site_id: Mapped[int | None] = mapped_column(ForeignKey("hazmat_site.id"))
    quantity: Mapped[Decimal] = mapped_column(Quantity)
    actor_id: Mapped[int | None] = mapped_column()
    actor: Mapped[str] = mapped_column()
    at: Mapped[datetime] = mapped_column(index=True)
    reference: Mapped[str] = mapped_column(default="")
    payload: Mapped[str] = mapped_column(Text, default="{}")
    canonical: Mapped[str] = mapped_column(Text)


class ChainHead(Base):
    """The last entry of one enterprise's chain: appenders lock it, verification compares."""

    __tablename__ = "hazmat_chain_head"

    enterprise_id: Mapped[int] = mapped_column(ForeignKey("hazmat_enterprise.id"), unique=True)
    seq: Mapped[int] = mapped_column(default=0)
    hash: Mapped[str] = mapped_column()


class Stock(Base):
    """What an enterprise holds of an item at a site (no site: issued or in transit)."""

    __tablename__ = "hazmat_stock"
    __table_args__ = (
        Index("ix_hazmat_stock_position", "enterprise_id", "site_id", "item_id"),
        Index("ix_hazmat_stock_site_id", "site_id"),
    )

    enterprise_id: Mapped[int] = mapped_column(ForeignKey("hazmat_enterprise.id"))
    site_id: Mapped[int | None] = mapped_column(ForeignKey("hazmat_site.id"))
    item_id: Mapped[int] = mapped_column(ForeignKey("hazmat_item.id"), index=True)
    quantity: Mapped[Decimal] = mapped_column(Quantity)


class DailyRoot(Base):
    """The RFC 6962 Merkle root over every enterprise's entries of one day (Asia/Shanghai)."""

    __tablename__ = "hazmat_daily_root"

    day: Mapped[date] = mapped_column(unique=True)
    tree_size: Mapped[int] = mapped_column()
    root: Mapped[str] = mapped_column()


class Count(Base):
    """A physical count at a site: what was found, by code, and how it compared to the books."""

    __tablename__ = "hazmat_count"

    enterprise_id: Mapped[int] = mapped_column(ForeignKey("hazmat_enterprise.id"), index=True)
    site_id: Mapped[int] = mapped_column(ForeignKey("hazmat_site.id"), index=True)
    counted_at: Mapped[datetime] = mapped_column()
    actor: Mapped[str] = mapped_column()
    # {"code": "quantity"} as found; its SHA-256 (canonical JSON) is in the payload of the
    # count entries the findings write to the ledger (a clean count writes none).
    counted: Mapped[str] = mapped_column(Text)
    digest: Mapped[str] = mapped_column()
    missing: Mapped[int] = mapped_column(default=0)
    unexpected: Mapped[int] = mapped_column(default=0)


class Alert(Base):
    """A custody finding someone must handle: a count discrepancy, a shipment not delivered
    or a duty gun not returned in time, a loss or theft report.

    One alert per finding: (kind, entry) is unique, so the periodic check can run any number
    of times; a count's discrepancy points at the count instead of an entry.
    """

    __tablename__ = "hazmat_alert"
    __table_args__ = (UniqueConstraint("kind", "entry_id"),)

    kind: Mapped[str] = mapped_column()
    status: Mapped[str] = mapped_column(index=True)
    division: Mapped[str] = mapped_column(ForeignKey("place_division.adcode"), index=True)
    enterprise_id: Mapped[int] = mapped_column(ForeignKey("hazmat_enterprise.id"), index=True)
    site_id: Mapped[int | None] = mapped_column(ForeignKey("hazmat_site.id"))
    item_id: Mapped[int | None] = mapped_column(ForeignKey("hazmat_item.id"))
    entry_id: Mapped[int | None] = mapped_column(ForeignKey("hazmat_ledger_entry.id"))
    count_id: Mapped[int | None] = mapped_column(ForeignKey("hazmat_count.id"))
    detail: Mapped[str] = mapped_column(Text, default="{}")
    opened_at: Mapped[datetime] = mapped_column()
    resolved_at: Mapped[datetime | None] = mapped_column()
    resolved_by: Mapped[str | None] = mapped_column()
    note: Mapped[str | None] = mapped_column(Text)

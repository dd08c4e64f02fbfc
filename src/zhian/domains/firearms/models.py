"""Tables of the firearms registry. Custody (who holds a gun or a lot, issue and return,
loss) is not here: guns and ammunition lots are items of the hazmat custody ledger, so stock,
reconciliation, alerts and verification are the same code. These tables hold what only
firearms have: a gun's make-up, an ammunition lot's calibre, the annual inspections.
"""

from __future__ import annotations

from datetime import date

from sqlalchemy import ForeignKey, Text
from sqlalchemy.orm import Mapped, mapped_column

from zhian.core.db import Base


class Gun(Base):
    """A gun by its serial (the ledger item's code), with its type, calibre and maker."""

    __tablename__ = "firearm_gun"

    item_id: Mapped[int] = mapped_column(ForeignKey("hazmat_item.id"), unique=True)
    serial: Mapped[str] = mapped_column(unique=True)
    gun_type: Mapped[str] = mapped_column(index=True)
    calibre: Mapped[str] = mapped_column(index=True)
    maker: Mapped[str] = mapped_column()
    # The holder organization it is registered to (an enterprise of the registry).
    holder_id: Mapped[int] = mapped_column(ForeignKey("hazmat_enterprise.id"), index=True)
    division: Mapped[str] = mapped_column(ForeignKey("place_division.adcode"), index=True)


class AmmunitionLot(Base):
    """An ammunition lot (the ledger item's code, counted in rounds) and its calibre."""

    __tablename__ = "firearm_ammunition_lot"

    item_id: Mapped[int] = mapped_column(ForeignKey("hazmat_item.id"), unique=True)
    lot: Mapped[str] = mapped_column(unique=True)
    calibre: Mapped[str] = mapped_column(index=True)
    maker: Mapped[str] = mapped_column(default="")
    holder_id: Mapped[int] = mapped_column(ForeignKey("hazmat_enterprise.id"), index=True)
    division: Mapped[str] = mapped_column(ForeignKey("place_division.adcode"), index=True)


class Inspection(Base):
    """An annual inspection of a gun: when, by whom, whether it passed."""

    __tablename__ = "firearm_inspection"

    gun_id: Mapped[int] = mapped_column(ForeignKey("firearm_gun.id"), index=True)
    inspected_on: Mapped[date] = mapped_column()
    result: Mapped[str] = mapped_column()
    inspector: Mapped[str] = mapped_column()
    note: Mapped[str] = mapped_column(Text, default="")

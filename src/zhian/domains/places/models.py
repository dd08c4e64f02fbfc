"""Tables of the places domain: the divisions that every record belongs to."""

from __future__ import annotations

from sqlalchemy import ForeignKey, Text
from sqlalchemy.orm import Mapped, mapped_column

from zhian.core.db import Base


class Division(Base):
    """An administrative division (GB/T 2260 code) or a development zone, with its boundary.

    Codes are hierarchical by prefix (61 → 6105 → 610502 → 610502001), which is what the
    jurisdiction scope relies on; the zones carry codes below their host county's.
    """

    __tablename__ = "place_division"

    adcode: Mapped[str] = mapped_column(unique=True)
    name: Mapped[str] = mapped_column()
    name_en: Mapped[str | None] = mapped_column()
    level: Mapped[str] = mapped_column()
    parent_adcode: Mapped[str | None] = mapped_column(
        ForeignKey("place_division.adcode"), index=True
    )
    seat_lon: Mapped[float | None] = mapped_column()
    seat_lat: Mapped[float | None] = mapped_column()
    # GeoJSON geometry in WGS-84; text keeps the table the same on SQLite and PostgreSQL.
    boundary: Mapped[str | None] = mapped_column(Text)

"""Pages of a list: every list endpoint and page answers one page at a time."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Generic, TypeVar

from sqlalchemy import Select, func, select
from sqlalchemy.orm import Session

from zhian.core.errors import InvalidInput

T = TypeVar("T")

MAX_PER_PAGE = 500


@dataclass(frozen=True)
class Page(Generic[T]):
    """One page of results and where it sits in the whole."""

    items: Sequence[T]
    total: int
    page: int
    per_page: int

    @property
    def pages(self) -> int:
        """How many pages there are in all (at least one)."""
        return max(1, -(-self.total // self.per_page))


def check_page(page: int, per_page: int) -> None:
    """Refuse page numbers and sizes outside the allowed range, naming the parameter."""
    if page < 1:
        raise InvalidInput("页码必须从 1 开始", field="page")
    if not 1 <= per_page <= MAX_PER_PAGE:
        raise InvalidInput(f"每页条数须在 1 到 {MAX_PER_PAGE} 之间", field="per_page")


def paginate(
    session: Session,
    stmt: Select[*tuple[Any, ...]],
    page: int,
    per_page: int,
    *,
    rows: bool = False,
) -> Page[Any]:
    """Run ``stmt`` for one page of scalars (or of rows, for a statement of several columns),
    with the total count of the unpaged query."""
    check_page(page, per_page)
    total = session.scalar(select(func.count()).select_from(stmt.order_by(None).subquery())) or 0
    paged = stmt.limit(per_page).offset((page - 1) * per_page)
    items = session.execute(paged).all() if rows else session.scalars(paged).all()
    return Page(items=items, total=total, page=page, per_page=per_page)

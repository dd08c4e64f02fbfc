"""QR door plates (门牌): one address or a batch (a road, a community), as SVG or PDF.

The QR code (segno) holds the console URL of the address, ``{base}/a/{address code}``. One
layout, drawn in millimetres, feeds both renderers: SVG keeps the text as SVG text, PDF uses
the small writer in :mod:`~zhian.domains.places.registry.pdf`.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from xml.sax.saxutils import escape

import segno
from sqlalchemy import select
from sqlalchemy.orm import Session, contains_eager

from zhian.core import scope as scoping
from zhian.core.errors import InvalidInput, NotFound
from zhian.core.identity.roles import require
from zhian.core.scope import Actor
from zhian.domains.places.registry import pdf, service
from zhian.domains.places.registry.models import House, Road

MAX_BATCH = 2000
PER_PAGE = (1, 2, 4, 6, 8)
BLUE = "#1d4f91"
WHITE = "#ffffff"
BLACK = "#000000"
PLATE = (180.0, 110.0)  # mm, the drawing's own size; scaled into a page cell


@dataclass(frozen=True)
class Plate:
    """What a door plate shows: county, road, number, the code, and the URL its QR holds."""

    code: str
    county: str
    road: str
    number: str
    url: str


def plate_url(base_url: str, code: str) -> str:
    """The console URL a plate's QR code opens."""
    return f"{base_url.rstrip('/')}/a/{code}"


def _plate(house: House, counties: dict[str, str], base_url: str) -> Plate:
    return Plate(
        code=house.code,
        county=counties.get(house.road.division, ""),
        road=house.road.name,
        number=f"{house.number}号{house.suffix}",
        url=plate_url(base_url, house.code),
    )


def plate_for(session: Session, *, actor: Actor, address_id: int, base_url: str) -> Plate:
    """The plate of one address of the actor's jurisdiction."""
    house = service.visible_house(session, actor=actor, address_id=address_id)
    return _plate(house, service.county_names(session), base_url)


def plates_for(
    session: Session,
    *,
    actor: Actor,
    base_url: str,
    road_id: int | None = None,
    community: str | None = None,
) -> list[Plate]:
    """The plates of a road or of a community (division code), in address-code order."""
    require(actor, "places.read")
    if (road_id is None) == (community is None):
        raise InvalidInput("请指定道路（road_id）或社区（community）之一", field="road_id")
    stmt = (
        select(House)
        .join(House.road)
        .options(contains_eager(House.road))
        .where(scoping.scope_clause(actor, House.division))
    )
    if road_id is not None:
        road = session.get(Road, road_id)
        if road is None or not scoping.can_see(actor, road.division):
            raise NotFound(f"道路不存在：{road_id}")
        stmt = stmt.where(House.road_id == road_id)
    elif community is not None:
        if not community.isdigit() or len(community) not in (6, 9, 12):
            raise InvalidInput("社区代码须为 6、9 或 12 位数字", field="community")
        stmt = stmt.where(House.division.startswith(community))
    houses = session.scalars(stmt.order_by(House.code).limit(MAX_BATCH + 1)).all()
    if not houses:
        raise NotFound("没有可打印的门牌")
    if len(houses) > MAX_BATCH:
        raise InvalidInput(f"一次最多打印 {MAX_BATCH} 块门牌，请缩小范围", field="road_id")
    counties = service.county_names(session)
    return [_plate(h, counties, base_url) for h in houses]


# --- layout ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class Box:
    """A filled rectangle, mm."""

    x: float
    y: float
    w: float
    h: float
    color: str


@dataclass(frozen=True)
class Text:
    """A line of text: baseline start (x, y) and size, mm."""

    x: float
    y: float
    size: float
    text: str
    color: str
    role: str


def qr_runs(url: str) -> Iterator[tuple[int, int, int]]:
    """(row, column, length) of each run of dark modules of the URL's QR code, no border."""
    qr = segno.make(url, error="m", micro=False)
    for r, row in enumerate(qr.matrix):
        c = 0
        while c < len(row):
            if row[c]:
                start = c
                while c < len(row) and row[c]:
                    c += 1
                yield r, start, c - start
            else:
                c += 1


def layout(plate: Plate) -> tuple[list[Box], list[Text]]:
    """The plate drawn in its own PLATE-sized frame: blue ground, white text, a QR at right."""
    w, h = PLATE
    side = 72.0
    qx, qy = w - side - 10, (h - side) / 2
    modules = segno.make(plate.url, error="m", micro=False).symbol_size(border=0)[0]
    cell = (side - 12) / modules
    boxes = [Box(0, 0, w, h, BLUE), Box(3, 3, w - 6, h - 6, WHITE), Box(4, 4, w - 8, h - 8, BLUE)]
    boxes.append(Box(qx, qy, side, side, WHITE))
    boxes.extend(
        Box(qx + 6 + c * cell, qy + 6 + r * cell, n * cell, cell, BLACK)
        for r, c, n in qr_runs(plate.url)
    )
    road_size = min(18.0, (qx - 20) / max(1.0, pdf.text_width(plate.road, 1)))
    texts = [
        Text(12, 20, 9, plate.county, WHITE, "county"),
        Text(12, 52, road_size, plate.road, WHITE, "road"),
        Text(12, 84, 22, plate.number, WHITE, "number"),
        Text(12, h - 9, 4.2, plate.code, WHITE, "code"),
    ]
    return boxes, texts


def render_svg(plate: Plate) -> str:
    """A plate as a standalone SVG document (text kept as text), 180 × 110 mm."""
    w, h = PLATE
    boxes, texts = layout(plate)
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{w}mm" height="{h}mm" '
        f'viewBox="0 0 {w} {h}" data-code="{escape(plate.code)}">',
        f"<title>{escape(plate.county + plate.road + plate.number)}</title>",
    ]
    qr = [b for b in boxes if b.color == BLACK]
    for b in boxes:
        if b.color != BLACK:
            parts.append(
                f'<rect x="{b.x:.2f}" y="{b.y:.2f}" width="{b.w:.2f}" height="{b.h:.2f}" '
                f'fill="{b.color}"/>'
            )
    path = "".join(f"M{b.x:.3f} {b.y:.3f}h{b.w:.3f}v{b.h:.3f}h{-b.w:.3f}z" for b in qr)
    parts.append(f'<path class="qr" fill="{BLACK}" d="{path}"/>')
    for t in texts:
        parts.append(
            f'<text class="{t.role}" x="{t.x}" y="{t.y}" font-size="{t.size:.2f}" '
            f'font-family="Noto Sans CJK SC, SimHei, sans-serif" fill="{t.color}">'
            f"{escape(t.text)}</text>"
        )
    parts.append("</svg>")
    return "\n".join(parts)


def _cells(per_page: int) -> list[tuple[float, float, float]]:
    """(x, y, scale) of each plate on an A4 page, mm."""
    if per_page == 1:
        return [((pdf.A4[0] - PLATE[0]) / 2, 40.0, 1.0)]
    rows = per_page // 2
    scale = min(95.0 / PLATE[0], (pdf.A4[1] - 20) / rows / (PLATE[1] + 6))
    step_y = (pdf.A4[1] - 20) / rows
    return [(8 + col * 99.0, 10 + row * step_y, scale) for row in range(rows) for col in (0, 1)]


def render_pdf(plates: Sequence[Plate], *, per_page: int = 1) -> bytes:
    """Plates as one PDF, ``per_page`` plates on each A4 page (1, 2, 4, 6 or 8)."""
    if per_page not in PER_PAGE:
        raise InvalidInput(f"每页门牌数须为 {PER_PAGE} 之一", field="per_page")
    cells = _cells(per_page)
    pages: list[pdf.Page] = []
    for i, plate in enumerate(plates):
        if i % per_page == 0:
            pages.append(pdf.Page())
        page = pages[-1]
        x0, y0, k = cells[i % per_page]
        boxes, texts = layout(plate)
        for b in boxes:
            page.rect(x0 + b.x * k, y0 + b.y * k, b.w * k, b.h * k, b.color)
        for t in texts:
            page.text(x0 + t.x * k, y0 + t.y * k, t.size * k, t.text, t.color)
    return pdf.render(pages)

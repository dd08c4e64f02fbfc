"""A small PDF writer for printable plates: filled rectangles and Chinese text, nothing more.

Text uses the Adobe-GB1 CID font ``STSong-Light`` with the ``UniGB-UCS2-H`` encoding, one of
the standard Chinese fonts every PDF viewer supplies itself (as ReportLab's CID fonts do), so
nothing is fetched and no font file is shipped; the font is referenced, not embedded. Content
streams are Flate-compressed. Coordinates given to :class:`Page` are millimetres from the top
left; the writer turns them into points from the bottom left.
"""

from __future__ import annotations

import zlib
from dataclasses import dataclass, field

MM = 72 / 25.4
A4 = (210.0, 297.0)

_FONT = (
    b"<< /Type /Font /Subtype /Type0 /BaseFont /STSong-Light /Encoding /UniGB-UCS2-H "
    b"/DescendantFonts [<< /Type /Font /Subtype /CIDFontType0 /BaseFont /STSong-Light "
    b"/CIDSystemInfo << /Registry (Adobe) /Ordering (GB1) /Supplement 2 >> "
    b"/DW 1000 /W [1 95 500] /FontDescriptor << /Type /FontDescriptor /FontName /STSong-Light "
    b"/Flags 6 /FontBBox [-25 -254 1000 880] /ItalicAngle 0 /Ascent 880 /Descent -120 "
    b"/CapHeight 880 /StemV 93 >> >>] >>"
)


def text_width(text: str, size: float) -> float:
    """The advance of ``text`` at ``size`` (same unit): CJK a full em, ASCII half of one."""
    return sum(0.5 if ord(c) < 128 else 1.0 for c in text) * size


def _rgb(color: str) -> bytes:
    r, g, b = (int(color[i : i + 2], 16) / 255 for i in (1, 3, 5))
    return f"{r:.3f} {g:.3f} {b:.3f}".encode()


@dataclass
class Page:
    """One A4 page's drawing operations."""

    height_mm: float = A4[1]
    ops: list[bytes] = field(default_factory=list)

    def rect(self, x: float, y: float, w: float, h: float, color: str) -> None:
        """A filled rectangle, top-left corner at (x, y) mm."""
        bottom = (self.height_mm - y - h) * MM
        self.ops.append(
            _rgb(color) + f" rg {x * MM:.2f} {bottom:.2f} {w * MM:.2f} {h * MM:.2f} re f".encode()
        )

    def text(self, x: float, y: float, size: float, text: str, color: str) -> None:
        """Text whose baseline starts at (x, y) mm, ``size`` in mm."""
        encoded = "".join(f"{ord(c):04X}" for c in text if ord(c) <= 0xFFFF)
        base = (self.height_mm - y) * MM
        self.ops.append(
            _rgb(color)
            + f" rg BT /F1 {size * MM:.2f} Tf {x * MM:.2f} {base:.2f} Td <{encoded}> Tj ET".encode()
        )


def render(pages: list[Page], width_mm: float = A4[0], height_mm: float = A4[1]) -> bytes:
    """The PDF file of these pages."""
    objects: list[bytes] = [b"", b"", _FONT]  # 1 catalog, 2 page tree, 3 font
    kids: list[int] = []
    for page in pages:
        stream = zlib.compress(b"\n".join(page.ops))
        objects.append(
            b"<< /Length %d /Filter /FlateDecode >>\nstream\n" % len(stream)
            + stream
            + b"\nendstream"
        )
        content = len(objects)
        objects.append(
            b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 %.2f %.2f] "
            % (width_mm * MM, height_mm * MM)
            + b"/Resources << /Font << /F1 3 0 R >> >> /Contents %d 0 R >>" % content
        )
        kids.append(len(objects))
    objects[0] = b"<< /Type /Catalog /Pages 2 0 R >>"
    objects[1] = b"<< /Type /Pages /Kids [%s] /Count %d >>" % (
        b" ".join(b"%d 0 R" % k for k in kids),
        len(kids),
    )
    out = bytearray(b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n")
    offsets: list[int] = []
    for number, body in enumerate(objects, start=1):
        offsets.append(len(out))
        out += b"%d 0 obj\n" % number + body + b"\nendobj\n"
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1)
    out += b"".join(b"%010d 00000 n \n" % o for o in offsets)
    out += b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (
        len(objects) + 1,
        xref,
    )
    return bytes(out)

"""A small PDF writer for printable plates: filled rectangles and Chinese text, nothing more.

Text is set in a CJK TrueType font found on this machine (:data:`FONT_PATHS`; Debian's
``fonts-wqy-microhei``, which ``scripts/setup.sh`` installs) and embedded as a subset: only the
glyphs the document uses, as a ``CIDFontType2`` with ``FontFile2``, ``Identity-H`` glyph ids
and a ``ToUnicode`` map, so the PDF prints the same anywhere (a referenced-only font is drawn
with whatever the printer's viewer substitutes, or not at all) and its text can still be
searched and copied. Content streams are Flate-compressed. Coordinates given to :class:`Page`
are millimetres from the top left; the writer turns them into points from the bottom left.
"""

from __future__ import annotations

import hashlib
import io
import zlib
from collections.abc import Iterable
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path

from zhian.core.errors import DomainError

MM = 72 / 25.4
A4 = (210.0, 297.0)

# TrueType (glyf) CJK fonts, in order of preference; OpenType-CFF fonts such as Noto CJK would
# need FontFile3 and are not searched.
FONT_PATHS: tuple[str, ...] = (
    "/usr/share/fonts/truetype/wqy/wqy-microhei.ttc",
    "/usr/share/fonts/truetype/wqy/wqy-zenhei.ttc",
    "/usr/share/fonts/truetype/arphic/uming.ttc",
)


class FontMissing(DomainError):
    """No CJK font to embed: the server lacks the package ``scripts/setup.sh`` installs."""

    status_code = 503
    code = "font_missing"


def font_path() -> Path:
    """The CJK font the PDFs embed, or :class:`FontMissing` naming what to install."""
    for candidate in FONT_PATHS:
        path = Path(candidate)
        if path.is_file():
            return path
    raise FontMissing(
        "服务器未安装中文字体，无法生成 PDF：请安装 fonts-wqy-microhei"
        "（运行 scripts/setup.sh），查找路径：" + "、".join(FONT_PATHS)
    )


@lru_cache(maxsize=2)
def _base_font(path: Path) -> bytes:
    """The first face of the font file, trimmed once to what a PDF subset starts from: no
    shaping tables (a PDF positions every glyph itself, and decoding them alone takes
    seconds for a CJK font), no FontForge stamp, no glyph-name table."""
    from fontTools.ttLib import TTFont

    font = TTFont(io.BytesIO(path.read_bytes()), fontNumber=0)
    for tag in ("GSUB", "GPOS", "GDEF", "BASE", "JSTF", "FFTM"):
        if tag in font:
            del font[tag]
    font["post"].formatType = 3.0
    out = io.BytesIO()
    font.save(out)
    return out.getvalue()


@dataclass(frozen=True)
class EmbeddedFont:
    """A subset of the font holding the document's characters: the file to embed and, per
    character, its glyph id and advance width (1/1000 em)."""

    name: str
    data: bytes
    glyphs: dict[str, int]
    widths: dict[int, int]
    bbox: tuple[int, int, int, int]
    ascent: int
    descent: int
    cap_height: int

    @classmethod
    def subset(cls, chars: Iterable[str], path: Path | None = None) -> EmbeddedFont:
        """Subset the font at ``path`` (default :func:`font_path`) to ``chars``."""
        from fontTools import subset as ft_subset
        from fontTools.ttLib import TTFont

        path = path or font_path()
        wanted = sorted({c for c in chars if c.isprintable()} | {" "})
        font = TTFont(io.BytesIO(_base_font(path)))
        options = ft_subset.Options()
        options.hinting = False  # printers rasterise at 600 dpi and more: hints add bytes
        options.layout_features = []
        options.name_IDs = [1, 2, 4, 6]
        options.notdef_outline = True
        subsetter = ft_subset.Subsetter(options)
        subsetter.populate(unicodes=[ord(c) for c in wanted])
        subsetter.subset(font)
        out = io.BytesIO()
        font.save(out)
        scale = 1000 / font["head"].unitsPerEm
        cmap = font.getBestCmap()
        glyphs: dict[str, int] = {}
        widths: dict[int, int] = {}
        for ch in wanted:
            name = cmap.get(ord(ch))
            if name is None:
                continue
            gid = font.getGlyphID(name)
            glyphs[ch] = gid
            widths[gid] = round(font["hmtx"][name][0] * scale)
        head, hhea = font["head"], font["hhea"]
        os2 = font.get("OS/2")
        family = font["name"].getDebugName(6) or "CJK"
        tag = "".join(chr(65 + b % 26) for b in hashlib.sha1("".join(wanted).encode()).digest()[:6])
        return cls(
            name=f"{tag}+{''.join(c for c in family if c.isalnum() or c == '-')}",
            data=out.getvalue(),
            glyphs=glyphs,
            widths=widths,
            bbox=(
                round(head.xMin * scale),
                round(head.yMin * scale),
                round(head.xMax * scale),
                round(head.yMax * scale),
            ),
            ascent=round(hhea.ascent * scale),
            descent=round(hhea.descent * scale),
            cap_height=round((getattr(os2, "sCapHeight", 0) or hhea.ascent) * scale),
        )

    def encode(self, text: str) -> bytes:
        """The text as Identity-H glyph ids; a character the font lacks becomes .notdef."""
        return "".join(f"{self.glyphs.get(c, 0):04X}" for c in text).encode()

    def objects(self, first: int) -> list[bytes]:
        """The font's PDF objects numbered from ``first``: Type0 font, CIDFont, descriptor,
        font file, ToUnicode map (the Type0 font, object ``first``, is what pages use)."""
        packed = zlib.compress(self.data)
        widths = b" ".join(b"%d [%d]" % (g, w) for g, w in sorted(self.widths.items()))
        name = self.name.encode()
        tounicode = zlib.compress(self._tounicode())
        return [
            b"<< /Type /Font /Subtype /Type0 /BaseFont /%s /Encoding /Identity-H "
            b"/DescendantFonts [%d 0 R] /ToUnicode %d 0 R >>" % (name, first + 1, first + 4),
            b"<< /Type /Font /Subtype /CIDFontType2 /BaseFont /%s "
            b"/CIDSystemInfo << /Registry (Adobe) /Ordering (Identity) /Supplement 0 >> "
            b"/FontDescriptor %d 0 R /DW 1000 /W [%s] /CIDToGIDMap /Identity >>"
            % (name, first + 2, widths),
            b"<< /Type /FontDescriptor /FontName /%s /Flags 4 /FontBBox [%d %d %d %d] "
            b"/ItalicAngle 0 /Ascent %d /Descent %d /CapHeight %d /StemV 80 /FontFile2 %d 0 R >>"
            % (name, *self.bbox, self.ascent, self.descent, self.cap_height, first + 3),
            b"<< /Length %d /Length1 %d /Filter /FlateDecode >>\nstream\n"
            % (len(packed), len(self.data))
            + packed
            + b"\nendstream",
            b"<< /Length %d /Filter /FlateDecode >>\nstream\n" % len(tounicode)
            + tounicode
            + b"\nendstream",
        ]

    def _tounicode(self) -> bytes:
        pairs = sorted((g, c) for c, g in self.glyphs.items())
        blocks = []
        for i in range(0, len(pairs), 100):  # at most 100 entries per bfchar block
            chunk = pairs[i : i + 100]
            body = "\n".join(f"<{g:04X}> <{ord(c):04X}>" for g, c in chunk)
            blocks.append(f"{len(chunk)} beginbfchar\n{body}\nendbfchar")
        return (
            "/CIDInit /ProcSet findresource begin\n12 dict begin\nbegincmap\n"
            "/CIDSystemInfo << /Registry (Adobe) /Ordering (UCS) /Supplement 0 >> def\n"
            "/CMapName /Adobe-Identity-UCS def\n/CMapType 2 def\n"
            "1 begincodespacerange\n<0000> <FFFF>\nendcodespacerange\n"
            + "\n".join(blocks)
            + "\nendcmap\nCMapName currentdict /CMap defineresource pop\nend\nend\n"
        ).encode()


def text_width(text: str, size: float) -> float:
    """The advance of ``text`` at ``size`` (same unit): CJK a full em, ASCII half of one."""
    return sum(0.5 if ord(c) < 128 else 1.0 for c in text) * size


def _rgb(color: str) -> bytes:
    r, g, b = (int(color[i : i + 2], 16) / 255 for i in (1, 3, 5))
    return f"{r:.3f} {g:.3f} {b:.3f}".encode()


@dataclass(frozen=True)
class _Text:
    """A text operation waiting for the document's font subset to give its glyph ids."""

    head: bytes
    text: str
    tail: bytes


@dataclass
class Page:
    """One A4 page's drawing operations."""

    height_mm: float = A4[1]
    ops: list[bytes | _Text] = field(default_factory=list)

    def rect(self, x: float, y: float, w: float, h: float, color: str) -> None:
        """A filled rectangle, top-left corner at (x, y) mm."""
        bottom = (self.height_mm - y - h) * MM
        self.ops.append(
            _rgb(color) + f" rg {x * MM:.2f} {bottom:.2f} {w * MM:.2f} {h * MM:.2f} re f".encode()
        )

    def text(self, x: float, y: float, size: float, text: str, color: str) -> None:
        """Text whose baseline starts at (x, y) mm, ``size`` in mm."""
        base = (self.height_mm - y) * MM
        head = _rgb(color) + f" rg BT /F1 {size * MM:.2f} Tf {x * MM:.2f} {base:.2f} Td <".encode()
        self.ops.append(_Text(head, text, b"> Tj ET"))


def _op(op: bytes | _Text, font: EmbeddedFont) -> bytes:
    return op if isinstance(op, bytes) else op.head + font.encode(op.text) + op.tail


def render(pages: list[Page], width_mm: float = A4[0], height_mm: float = A4[1]) -> bytes:
    """The PDF file of these pages, with the font subset they use embedded."""
    font = EmbeddedFont.subset(
        c for page in pages for op in page.ops if isinstance(op, _Text) for c in op.text
    )
    objects: list[bytes] = [b"", b"", *font.objects(3)]  # 1 catalog, 2 page tree, 3… font
    kids: list[int] = []
    for page in pages:
        stream = zlib.compress(b"\n".join(_op(op, font) for op in page.ops))
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

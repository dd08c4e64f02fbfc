"""Chinese numerals in addresses (十二, 一百零五, 一〇八, 两, 幺) to strings of Arabic digits."""

from __future__ import annotations

# Characters a numeral token may hold; the parser's regexes are built from this string.
NUMERAL_CHARS = "零〇一二两三四五六七八九十百千幺"

_DIGIT = {
    "零": 0,
    "〇": 0,
    "一": 1,
    "幺": 1,
    "二": 2,
    "两": 2,
    "三": 3,
    "四": 4,
    "五": 5,
    "六": 6,
    "七": 7,
    "八": 8,
    "九": 9,
}
_UNIT = {"十": 10, "百": 100, "千": 1000}
_ASCII_DIGITS = frozenset("0123456789")

# Address numbers repeat (units 1-6, floors, rooms): a bounded memo spares the loop.
_CACHE: dict[str, str] = {}
_CACHE_MAX = 4096


def _convert(token: str) -> str:
    if not any(ch in _UNIT for ch in token):
        # 一〇八 and 三零一 are read digit by digit, as door plates and rooms are.
        return "".join(str(_DIGIT.get(ch, 0)) for ch in token)
    total = 0
    digit = -1
    last_unit = 0
    for ch in token:
        unit = _UNIT.get(ch)
        if unit is None:
            digit = _DIGIT.get(ch, 0)
            continue
        # A bare 十 (十二) counts one ten; 零 between units (一百零五) only resets the digit.
        total += (digit if digit > 0 else 1) * unit
        digit = -1
        last_unit = unit
    if digit >= 0:
        # Spoken shorthand: 一百二 is 120 and 三千五 is 3500; 一百零二 (digit after 零) is 102.
        after_zero = token[-2:-1] in ("零", "〇")
        total += digit * (last_unit // 10 if last_unit >= 100 and not after_zero else 1)
    return str(total)


def to_arabic(token: str) -> str:
    """Return the Arabic-digit string for an ASCII-digit or Chinese-numeral token."""
    if token and all(ch in _ASCII_DIGITS for ch in token):
        return token
    hit = _CACHE.get(token)
    if hit is not None:
        return hit
    out = _convert(token)
    if len(_CACHE) < _CACHE_MAX:
        _CACHE[token] = out
    return out

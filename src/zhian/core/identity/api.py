"""JSON routes of identity: users, the caller, API tokens."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query, Request
from pydantic import BaseModel
from sqlalchemy.orm import Session

from zhian.core.identity import service
from zhian.core.identity.models import User
from zhian.core.identity.schemas import UserCreate, UserOut, UserPage
from zhian.core.scope import Actor
from zhian.web.deps import Identity, api_actor, api_identity, db, settings_of

router = APIRouter(prefix="/api/v1", tags=["identity"])

ActorDep = Annotated[Actor, Depends(api_actor)]
DbDep = Annotated[Session, Depends(db)]


def user_out(user: User) -> UserOut:
    """The public shape of a user."""
    return UserOut(
        id=user.id,
        username=user.username,
        display_name=user.display_name,
        role=user.role,
        division=user.division,
        is_active=user.is_active,
        mfa_required=user.mfa_required,
        mfa_enrolled=user.totp_secret is not None,
        locked=user.locked_at is not None,
        last_login_at=user.last_login_at,
        created_at=user.created_at,
    )


@router.get("/me", response_model=UserOut)
def me(ident: Annotated[Identity, Depends(api_identity)]) -> Any:
    """The caller."""
    return user_out(ident.user)


@router.get("/users", response_model=UserPage)
def list_users(
    actor: ActorDep,
    session: DbDep,
    page: Annotated[int, Query(ge=1)] = 1,
    per_page: Annotated[int, Query(ge=1, le=500)] = 50,
) -> Any:
    """Users of the caller's jurisdiction."""
    found = service.list_users(session, actor=actor, page=page, per_page=per_page)
    return UserPage(
        items=[user_out(u) for u in found.items],
        total=found.total,
        page=found.page,
        per_page=found.per_page,
    )


@router.post("/users", response_model=UserOut, status_code=201)
def create_user(actor: ActorDep, session: DbDep, request: Request, data: UserCreate) -> Any:
    """Create a user inside the caller's jurisdiction (administrators only)."""
    user = service.create_user(
        session, actor=actor, data=data, totp_roles=settings_of(request).totp_role_set
    )
    return user_out(user)


@router.get("/users/{user_id}", response_model=UserOut)
def get_user(actor: ActorDep, session: DbDep, user_id: int) -> Any:
    """One user; another jurisdiction's is a 404."""
    return user_out(service.get_user(session, actor=actor, user_id=user_id))


class TokenCreate(BaseModel):
    """A token request: for whom, and a name to recognise it by."""

    username: str
    name: str = ""


class TokenCreated(BaseModel):
    """The new token's secret, shown this once."""

    token: str


@router.post("/tokens", response_model=TokenCreated, status_code=201)
def create_token(actor: ActorDep, session: DbDep, data: TokenCreate) -> Any:
    """Issue an API token (for oneself, or by an administrator for a user in scope)."""
    return TokenCreated(
        token=service.create_token(session, actor=actor, username=data.username, name=data.name)
    )


@router.delete("/tokens/{token_id}", status_code=204)
def revoke_token(actor: ActorDep, session: DbDep, token_id: int) -> None:
    """Revoke an API token."""
    service.revoke_token(session, actor=actor, token_id=token_id)

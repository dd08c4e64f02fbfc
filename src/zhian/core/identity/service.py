"""Users and API tokens: create, find within scope, disable, unlock, issue and revoke tokens."""

from __future__ import annotations

import hashlib
import secrets

from sqlalchemy import Select, select, update
from sqlalchemy.orm import Session

from zhian.core import scope as scoping
from zhian.core.audit import service as audit
from zhian.core.errors import Conflict, InvalidInput, NotFound
from zhian.core.identity import passwords, totp
from zhian.core.identity.models import ApiToken, AuthSession, User
from zhian.core.identity.roles import Role, require
from zhian.core.identity.schemas import UserCreate
from zhian.core.pagination import Page, paginate
from zhian.core.records import visible_or_404
from zhian.core.scope import Actor
from zhian.core.time import utcnow

TOKEN_PREFIX = "zhian_"


def actor_for(user: User, *, client_addr: str | None = None, via: str = "session") -> Actor:
    """The acting identity of a signed-in user."""
    return Actor(
        user_id=user.id,
        username=user.username,
        role=user.role,
        division=user.division,
        client_addr=client_addr,
        via=via,
    )


def create_user(
    session: Session, *, actor: Actor, data: UserCreate, totp_roles: frozenset[str]
) -> User:
    """Create a user; roles that must use a second factor are enrolled at once."""
    require(actor, "users.manage")
    if data.role not in Role.__members__.values():
        raise InvalidInput(f"未知角色：{data.role}", field="role")
    if not scoping.can_see(actor, data.division):
        raise InvalidInput("只能在本人管辖范围内创建用户", field="division")
    from zhian.domains.places import service as places

    if places.find_division(session, data.division) is None:
        raise InvalidInput(f"行政区划代码不存在：{data.division}", field="division")
    passwords.check_policy(data.password, username=data.username)
    if session.scalar(select(User.id).where(User.username == data.username)) is not None:
        raise Conflict(f"用户名已存在：{data.username}", field="username")
    mandatory = data.role in totp_roles
    user = User(
        username=data.username,
        display_name=data.display_name,
        role=data.role,
        division=data.division,
        password_hash=passwords.hash_password(data.password),
        mfa_required=mandatory or data.mfa_required,
        totp_secret=totp.new_secret() if (mandatory or data.mfa_required) else None,
    )
    session.add(user)
    session.flush()
    _audit_user(
        session, actor, "create", user, detail={"username": user.username, "role": user.role}
    )
    return user


def _audit_user(
    session: Session,
    actor: Actor,
    action: str,
    user: User,
    detail: dict[str, str] | None = None,
) -> None:
    audit.record(
        session,
        actor=actor,
        action=action,
        record_type="user",
        record_id=str(user.id),
        division=user.division,
        detail=detail,
    )


def _visible_users(actor: Actor) -> Select[User]:
    return select(User).where(scoping.scope_clause(actor, User.division))


def list_users(session: Session, *, actor: Actor, page: int = 1, per_page: int = 50) -> Page[User]:
    """The users of the actor's jurisdiction, one page at a time."""
    require(actor, "users.read")
    return paginate(session, _visible_users(actor).order_by(User.id), page, per_page)


def get_user(session: Session, *, actor: Actor, user_id: int) -> User:
    """One user of the actor's jurisdiction; anyone else's is as if it did not exist."""
    require(actor, "users.read")
    user = visible_or_404(
        actor, session.get(User, user_id), record_type="user", record_id=user_id, label="用户"
    )
    _audit_user(session, actor, "read", user)
    return user


def find_by_username(session: Session, username: str) -> User | None:
    """The user with this exact username, unscoped (for sign-in and the CLI)."""
    return session.scalar(select(User).where(User.username == username))


def _by_username_for(session: Session, actor: Actor, username: str) -> User:
    user = find_by_username(session, username)
    if user is None or not scoping.can_see(actor, user.division):
        raise NotFound(f"用户不存在：{username}", field="username")
    return user


def unlock_user(session: Session, *, actor: Actor, username: str) -> User:
    """Release an account locked by failed sign-ins."""
    require(actor, "users.manage")
    user = _by_username_for(session, actor, username)
    user.locked_at = None
    user.failed_login_count = 0
    user.first_failed_login_at = None
    _audit_user(session, actor, "unlock", user)
    return user


def set_active(session: Session, *, actor: Actor, username: str, active: bool) -> User:
    """Enable or disable a user; disabling ends their sessions and revokes their tokens."""
    require(actor, "users.manage")
    user = _by_username_for(session, actor, username)
    user.is_active = active
    if not active:
        now = utcnow()
        session.execute(
            update(AuthSession)
            .where(AuthSession.user_id == user.id, AuthSession.ended_at.is_(None))
            .values(ended_at=now, end_reason="user_disabled")
        )
        session.execute(
            update(ApiToken)
            .where(ApiToken.user_id == user.id, ApiToken.revoked_at.is_(None))
            .values(revoked_at=now)
        )
    _audit_user(session, actor, "enable" if active else "disable", user)
    return user


def set_password(session: Session, *, actor: Actor, username: str, password: str) -> User:
    """Set a new password (policy-checked) and end the user's sessions."""
    require(actor, "users.manage")
    user = _by_username_for(session, actor, username)
    passwords.check_policy(password, username=user.username)
    user.password_hash = passwords.hash_password(password)
    session.execute(
        update(AuthSession)
        .where(AuthSession.user_id == user.id, AuthSession.ended_at.is_(None))
        .values(ended_at=utcnow(), end_reason="password_changed")
    )
    _audit_user(session, actor, "set_password", user)
    return user


def enroll_totp(session: Session, *, actor: Actor, username: str) -> str:
    """Give a user a new second-factor secret and return it for their authenticator app."""
    require(actor, "users.manage")
    user = _by_username_for(session, actor, username)
    user.totp_secret = totp.new_secret()
    user.totp_last_step = None
    user.mfa_required = True
    _audit_user(session, actor, "enroll_totp", user)
    return user.totp_secret


def token_digest(raw: str) -> str:
    """Tokens are long random strings, so a plain SHA-256 is a sufficient hash at rest."""
    return hashlib.sha256(raw.encode("utf-8")).hexdigest()


def create_token(session: Session, *, actor: Actor, username: str, name: str = "") -> str:
    """Issue an API token for a user; the secret is returned once and stored only hashed."""
    user = find_by_username(session, username)
    is_self = user is not None and user.id == actor.user_id
    if not is_self:
        require(actor, "users.manage")
    if user is None or not scoping.can_see(actor, user.division):
        raise NotFound(f"用户不存在：{username}", field="username")
    if not user.is_active:
        raise Conflict("该用户已停用，不能签发令牌", field="username")
    raw = TOKEN_PREFIX + secrets.token_urlsafe(32)
    token = ApiToken(
        user_id=user.id,
        name=name,
        token_hash=token_digest(raw),
        prefix=raw[: len(TOKEN_PREFIX) + 6],
    )
    session.add(token)
    session.flush()
    audit.record(
        session,
        actor=actor,
        action="create",
        record_type="api_token",
        record_id=str(token.id),
        division=user.division,
        detail={"username": user.username, "name": name},
    )
    return raw


def revoke_token(session: Session, *, actor: Actor, token_id: int) -> ApiToken:
    """Revoke an API token: it stops working at once."""
    token = session.get(ApiToken, token_id)
    owner = session.get(User, token.user_id) if token is not None else None
    if token is None or owner is None or not scoping.can_see(actor, owner.division):
        raise NotFound(f"令牌不存在：{token_id}")
    if owner.id != actor.user_id:
        require(actor, "users.manage")
    token.revoked_at = token.revoked_at or utcnow()
    audit.record(
        session,
        actor=actor,
        action="revoke",
        record_type="api_token",
        record_id=str(token.id),
        division=owner.division,
    )
    return token


def user_for_token(session: Session, raw: str) -> User | None:
    """The active user a bearer token acts for, or None if it is unknown or revoked."""
    if not raw.startswith(TOKEN_PREFIX):
        return None
    row = session.execute(
        select(ApiToken, User)
        .join(User, User.id == ApiToken.user_id)
        .where(ApiToken.token_hash == token_digest(raw))
    ).first()
    if row is None:
        return None
    token, user = row
    if token.revoked_at is not None or not user.is_active:
        return None
    now = utcnow()
    if token.last_used_at is None or (now - token.last_used_at).total_seconds() > 60:
        token.last_used_at = now
    return user

"""Signing in and console sessions: lockout, second factor, idle and absolute timeouts.

The figures are the FBI CJIS Security Policy's (which also meet MLPS level 3): 5 consecutive
failures within 15 minutes lock the account until an administrator releases it; a session
ends after 30 idle minutes and in any case 12 hours after sign-in.
"""

from __future__ import annotations

import secrets
import time
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from zhian.core import scope as scoping
from zhian.core.audit import service as audit
from zhian.core.identity import passwords, totp
from zhian.core.identity.models import AuthSession, User
from zhian.core.identity.service import actor_for, find_by_username, token_digest
from zhian.core.settings import Settings
from zhian.core.time import utcnow

# Sessions are touched at most this often, so a busy page does not write on every request.
TOUCH_EVERY = timedelta(seconds=30)


@dataclass(frozen=True)
class LoginResult:
    """What a sign-in attempt came to; ``reason`` is set when it failed."""

    user: User | None
    reason: str | None = None

    @property
    def ok(self) -> bool:
        """Whether the user is now signed in."""
        return self.reason is None and self.user is not None


def _anonymous(username: str, client_addr: str | None) -> scoping.Actor:
    return scoping.Actor(
        user_id=None, username=username[:64], role="", division="", client_addr=client_addr
    )


def _audit_sign_in(
    session: Session,
    user: User,
    client_addr: str | None,
    *,
    action: str = "login",
    outcome: str = "success",
    detail: dict[str, object] | None = None,
) -> None:
    audit.record(
        session,
        actor=actor_for(user, client_addr=client_addr),
        action=action,
        outcome=outcome,
        record_type="user",
        record_id=str(user.id),
        division=user.division,
        detail=detail,
    )


def _fail(
    session: Session, settings: Settings, user: User, reason: str, client_addr: str | None
) -> LoginResult:
    now = utcnow()
    window = timedelta(minutes=settings.lockout_window_minutes)
    if user.first_failed_login_at is None or now - user.first_failed_login_at > window:
        user.first_failed_login_at = now
        user.failed_login_count = 1
    else:
        user.failed_login_count += 1
    locked_now = user.locked_at is None and user.failed_login_count >= settings.lockout_threshold
    if locked_now:
        user.locked_at = now
    _audit_sign_in(
        session,
        user,
        client_addr,
        outcome="failure",
        detail={"reason": reason, "locked": locked_now},
    )
    return LoginResult(user=None, reason="locked" if locked_now else reason)


def authenticate(
    session: Session,
    settings: Settings,
    *,
    username: str,
    password: str,
    totp_code: str | None,
    client_addr: str | None,
    now: float | None = None,
) -> LoginResult:
    """Check a sign-in; count failures, lock after too many, and audit every attempt."""
    user = find_by_username(session, username)
    if user is None:
        passwords.verify_password(passwords.DUMMY_HASH, password)
        audit.record(
            session,
            actor=_anonymous(username, client_addr),
            action="login",
            outcome="failure",
            record_type="user",
            detail={"reason": "unknown_user"},
        )
        return LoginResult(user=None, reason="bad_credentials")
    if user.locked_at is not None:
        _audit_sign_in(session, user, client_addr, outcome="failure", detail={"reason": "locked"})
        return LoginResult(user=None, reason="locked")
    if not passwords.verify_password(user.password_hash, password):
        return _fail(session, settings, user, "bad_credentials", client_addr)
    if not user.is_active:
        return _fail(session, settings, user, "disabled", client_addr)
    needs_mfa = user.mfa_required or user.role in settings.totp_role_set
    if needs_mfa:
        if user.totp_secret is None:
            return _fail(session, settings, user, "mfa_not_enrolled", client_addr)
        if not totp_code:
            # Not a failure: the form asks for the code next.
            return LoginResult(user=None, reason="mfa_required")
        step = totp.accept(user.totp_secret, totp_code, user.totp_last_step, now or time.time())
        if step is None:
            return _fail(session, settings, user, "mfa_invalid", client_addr)
        user.totp_last_step = step
    if passwords.needs_rehash(user.password_hash):
        user.password_hash = passwords.hash_password(password)
    user.failed_login_count = 0
    user.first_failed_login_at = None
    user.last_login_at = utcnow()
    _audit_sign_in(session, user, client_addr)
    return LoginResult(user=user)


def start(session: Session, *, user: User, client_addr: str | None) -> tuple[str, AuthSession]:
    """Open a console session with a fresh token (never reusing one from before sign-in)."""
    raw = secrets.token_urlsafe(32)
    now = utcnow()
    row = AuthSession(
        user_id=user.id,
        token_hash=token_digest(raw),
        csrf_token=secrets.token_urlsafe(24),
        client_addr=client_addr,
        last_seen_at=now,
    )
    session.add(row)
    session.flush()
    return raw, row


def _expired(settings: Settings, row: AuthSession, now: datetime) -> str | None:
    if now - row.created_at > timedelta(hours=settings.session_absolute_hours):
        return "absolute_timeout"
    if now - row.last_seen_at > timedelta(minutes=settings.session_idle_minutes):
        return "idle_timeout"
    return None


def resolve(
    session: Session,
    settings: Settings,
    raw: str,
    *,
    now: datetime | None = None,
    touch: bool = True,
) -> tuple[User, AuthSession] | None:
    """The user and session behind a cookie token, ending it if it has timed out.

    ``touch=False`` for requests the browser makes on its own (a live stream reconnecting),
    which must not keep an idle session alive."""
    now = now or utcnow()
    found = session.execute(
        select(AuthSession, User)
        .join(User, User.id == AuthSession.user_id)
        .where(AuthSession.token_hash == token_digest(raw))
    ).first()
    if found is None:
        return None
    row, user = found
    if row.ended_at is not None:
        return None
    reason = _expired(settings, row, now)
    if reason is None and not user.is_active:
        reason = "user_disabled"
    if reason is not None:
        row.ended_at = now
        row.end_reason = reason
        return None
    if touch and now - row.last_seen_at >= TOUCH_EVERY:
        row.last_seen_at = now
    return user, row


def still_valid(
    session: Session, settings: Settings, session_id: int, *, now: datetime | None = None
) -> bool:
    """Whether a console session is neither ended nor timed out (read-only)."""
    row = session.get(AuthSession, session_id)
    if row is None or row.ended_at is not None:
        return False
    return _expired(settings, row, now or utcnow()) is None


def end(session: Session, *, row: AuthSession, user: User, reason: str = "logout") -> None:
    """End a session server-side (its cookie stops working at once)."""
    if row.ended_at is None:
        row.ended_at = utcnow()
        row.end_reason = reason
    _audit_sign_in(session, user, row.client_addr, action="logout")

"""Identity rules: password policy, lockout, second factor, sessions, tokens (both databases)."""

from __future__ import annotations

import time
from datetime import timedelta

import pyotp
import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from tests.helpers import PASSWORD, make_user
from zhian.core.audit.models import AuditEntry
from zhian.core.errors import Conflict, Forbidden, InvalidInput, NotFound
from zhian.core.identity import service, sessions
from zhian.core.identity.models import User
from zhian.core.identity.passwords import check_policy
from zhian.core.scope import SYSTEM, Actor
from zhian.core.settings import Settings

SETTINGS = Settings(database_url="sqlite://")


def login(
    session: Session,
    username: str,
    password: str = PASSWORD,
    code: str | None = None,
    now: float | None = None,
) -> sessions.LoginResult:
    return sessions.authenticate(
        session,
        SETTINGS,
        username=username,
        password=password,
        totp_code=code,
        client_addr="10.0.0.1",
        now=now,
    )


@pytest.mark.parametrize(
    ("password", "reason"),
    [("short7!", "至少"), ("password123", "常见"), ("12345678", "常见"), ("zhangsan1", "用户名")],
)
def test_password_policy_names_the_rule(password: str, reason: str) -> None:
    with pytest.raises(InvalidInput) as err:
        check_policy(password, username="zhangsan1")
    assert err.value.field == "password"
    assert reason in err.value.message


def test_long_password_is_not_truncated(session: Session) -> None:
    long = "x" * 100 + "-Tail-1"
    make_user(session, "longpw", password=long)
    assert login(session, "longpw", long).ok
    assert not login(session, "longpw", long[:-1]).ok
    assert not login(session, "longpw", "x" * 72).ok


def test_create_user_refuses_bad_input(session: Session) -> None:
    from zhian.core.identity.schemas import UserCreate

    with pytest.raises(InvalidInput) as err:
        make_user(session, "u1", role="emperor")
    assert err.value.field == "role"
    with pytest.raises(InvalidInput) as err:
        make_user(session, "u2", division="999999")
    assert err.value.field == "division"
    make_user(session, "dup")
    with pytest.raises(Conflict):
        make_user(session, "dup")
    county_admin = make_user(session, "cadmin", role="admin", division="610502")
    actor = service.actor_for(county_admin)
    with pytest.raises(InvalidInput) as err:
        service.create_user(
            session,
            actor=actor,
            totp_roles=frozenset(),
            data=UserCreate(
                username="elsewhere", role="officer", division="610581", password=PASSWORD
            ),
        )
    assert err.value.field == "division"


def test_five_failures_in_fifteen_minutes_lock_until_unlocked(session: Session) -> None:
    make_user(session, "alice")
    for _ in range(4):
        assert login(session, "alice", "wrong-password").reason == "bad_credentials"
    assert login(session, "alice", "wrong-password").reason == "locked"
    # Even the right password is refused now, until an administrator releases the account.
    assert login(session, "alice").reason == "locked"
    service.unlock_user(session, actor=SYSTEM, username="alice")
    assert login(session, "alice").ok


def test_failures_spread_over_more_than_fifteen_minutes_do_not_lock(session: Session) -> None:
    user = make_user(session, "bob")
    for _ in range(4):
        login(session, "bob", "wrong-password")
    assert user.first_failed_login_at is not None
    user.first_failed_login_at -= timedelta(minutes=16)
    assert login(session, "bob", "wrong-password").reason == "bad_credentials"
    assert user.failed_login_count == 1
    assert login(session, "bob").ok


def test_success_resets_the_count(session: Session) -> None:
    make_user(session, "carol")
    for _ in range(4):
        login(session, "carol", "wrong-password")
    assert login(session, "carol").ok
    for _ in range(4):
        assert login(session, "carol", "wrong-password").reason == "bad_credentials"


def test_admin_needs_totp_and_a_code_is_used_once(session: Session) -> None:
    admin = make_user(session, "root1", role="admin", division="610500")
    assert admin.totp_secret is not None
    assert login(session, "root1").reason == "mfa_required"
    now = time.time()
    code = pyotp.TOTP(admin.totp_secret).at(now)
    assert login(session, "root1", code=code, now=now).ok
    assert login(session, "root1", code=code, now=now).reason == "mfa_invalid"
    assert login(session, "root1", code="000000", now=now + 60).reason in ("mfa_invalid",)
    later = now + 60
    assert login(session, "root1", code=pyotp.TOTP(admin.totp_secret).at(later), now=later).ok


def test_totp_optional_role_can_be_required(session: Session) -> None:
    make_user(session, "disp", role="dispatcher")
    assert login(session, "disp").ok
    opted = make_user(session, "disp2", role="dispatcher", mfa=True)
    assert opted.totp_secret is not None
    assert login(session, "disp2").reason == "mfa_required"


def test_every_login_attempt_is_audited(session: Session) -> None:
    make_user(session, "dave")
    login(session, "dave", "wrong-password")
    login(session, "dave")
    login(session, "nobody-here", "whatever-1")
    rows = session.scalars(select(AuditEntry).where(AuditEntry.action == "login")).all()
    outcomes = [(r.actor, r.outcome) for r in rows]
    assert ("dave", "failure") in outcomes
    assert ("dave", "success") in outcomes
    assert ("nobody-here", "failure") in outcomes
    assert all("wrong-password" not in (r.detail or "") for r in rows)


def test_session_idle_and_absolute_timeouts(session: Session) -> None:
    user = make_user(session, "erin")
    raw, row = sessions.start(session, user=user, client_addr=None)
    assert sessions.resolve(session, SETTINGS, raw) is not None
    at = row.last_seen_at
    assert sessions.resolve(session, SETTINGS, raw, now=at + timedelta(minutes=29)) is not None
    assert sessions.resolve(session, SETTINGS, raw, now=at + timedelta(minutes=60)) is None
    assert row.end_reason == "idle_timeout"
    assert sessions.resolve(session, SETTINGS, raw) is None

    raw2, row2 = sessions.start(session, user=user, client_addr=None)
    t = row2.created_at
    for minutes in range(20, 12 * 60, 20):  # active all day long
        assert sessions.resolve(session, SETTINGS, raw2, now=t + timedelta(minutes=minutes))
    assert sessions.resolve(session, SETTINGS, raw2, now=t + timedelta(hours=12, minutes=1)) is None
    assert row2.end_reason == "absolute_timeout"


def test_disabling_a_user_ends_sessions_and_tokens(session: Session) -> None:
    user = make_user(session, "frank")
    raw, _ = sessions.start(session, user=user, client_addr=None)
    token = service.create_token(session, actor=SYSTEM, username="frank")
    assert service.user_for_token(session, token) is not None
    service.set_active(session, actor=SYSTEM, username="frank", active=False)
    session.flush()
    assert sessions.resolve(session, SETTINGS, raw) is None
    assert service.user_for_token(session, token) is None
    assert not login(session, "frank").ok


def test_tokens_are_hashed_at_rest_and_revocable(session: Session) -> None:
    make_user(session, "gina")
    token = service.create_token(session, actor=SYSTEM, username="gina", name="cad")
    from zhian.core.identity.models import ApiToken

    stored = session.scalars(select(ApiToken)).all()
    assert stored and all(token not in (t.token_hash + t.prefix) for t in stored)
    assert service.user_for_token(session, token).username == "gina"  # type: ignore[union-attr]
    service.revoke_token(session, actor=SYSTEM, token_id=stored[-1].id)
    assert service.user_for_token(session, token) is None
    assert service.user_for_token(session, "zhian_forged") is None


def test_roles_and_scope_guard_user_reads(session: Session) -> None:
    officer = make_user(session, "o1", role="officer")
    with pytest.raises(Forbidden):
        service.list_users(session, actor=service.actor_for(officer))
    other = make_user(session, "hc", division="610581")
    leader = make_user(session, "ld", role="leader", division="610502")
    actor: Actor = service.actor_for(leader)
    names = {u.username for u in service.list_users(session, actor=actor, per_page=500).items}
    assert "o1" in names and "hc" not in names
    with pytest.raises(NotFound):
        service.get_user(session, actor=actor, user_id=other.id)
    assert session.get(User, other.id) is not None

"""Small builders shared by the tests: users, tokens, an app client on a fresh database."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from fastapi.testclient import TestClient
from sqlalchemy.orm import Session, sessionmaker

from zhian.core.db import make_engine, make_sessionmaker, unit_of_work
from zhian.core.identity import service as identity
from zhian.core.identity.models import User
from zhian.core.identity.schemas import UserCreate
from zhian.core.scope import SYSTEM
from zhian.core.settings import Settings

PASSWORD = "Correct-Horse-9"
TOTP_ROLES = frozenset({"admin", "commander"})


def make_user(
    session: Session,
    username: str,
    *,
    role: str = "dispatcher",
    division: str = "610502",
    password: str = PASSWORD,
    mfa: bool = False,
) -> User:
    """A user created through the service, as an administrator would."""
    return identity.create_user(
        session,
        actor=SYSTEM,
        data=UserCreate(
            username=username, role=role, division=division, password=password, mfa_required=mfa
        ),
        totp_roles=TOTP_ROLES,
    )


class App:
    """A running app on its own database, with helpers to act as different users."""

    def __init__(self, client: TestClient, factory: sessionmaker[Session]) -> None:
        self.client = client
        self.factory = factory

    def user(self, username: str, **kwargs: object) -> User:
        """Create a user (committed) and return it."""
        with unit_of_work(self.factory) as session:
            return make_user(session, username, **kwargs)  # type: ignore[arg-type]

    def token(self, username: str, **kwargs: object) -> str:
        """Create a user with an API token; returns the token."""
        with unit_of_work(self.factory) as session:
            make_user(session, username, **kwargs)  # type: ignore[arg-type]
            return identity.create_token(session, actor=SYSTEM, username=username)

    def headers(self, token: str) -> dict[str, str]:
        """The Authorization header for a token."""
        return {"Authorization": f"Bearer {token}"}


@contextmanager
def running_app(url: str, **settings: object) -> Iterator[App]:
    """The real app on ``url`` with the in-process bus, through Starlette's test client."""
    from zhian.app import create_app

    engine = make_engine(url)
    factory = make_sessionmaker(engine)
    config = Settings(database_url=url, bus="memory", **settings)  # type: ignore[arg-type]
    app = create_app(config, session_factory=factory)
    try:
        with TestClient(app, base_url="http://testserver") as client:
            yield App(client, factory)
    finally:
        engine.dispose()

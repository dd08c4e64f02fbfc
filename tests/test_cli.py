"""The command-line contracts: db upgrade, user create/unlock, token create, serve refusal."""

from __future__ import annotations

import pytest
from sqlalchemy import text
from sqlalchemy.engine import make_url
from typer.testing import CliRunner

from tests.conftest import PG_ADMIN_URL
from zhian.cli import app
from zhian.core.db import UnsafeDatabase, check_durability, make_engine, make_sessionmaker
from zhian.core.identity import service as identity
from zhian.core.identity import sessions
from zhian.core.settings import Settings


@pytest.fixture()
def env(fresh_url: str, monkeypatch: pytest.MonkeyPatch) -> str:
    monkeypatch.setenv("ZHIAN_DATABASE_URL", fresh_url)
    return fresh_url


def run(*args: str, stdin: str | None = None):  # type: ignore[no-untyped-def]
    return CliRunner().invoke(app, list(args), input=stdin)


def test_db_upgrade_on_an_empty_database(tmp_path, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    url = f"sqlite:///{tmp_path / 'new.db'}"
    monkeypatch.setenv("ZHIAN_DATABASE_URL", url)
    first = run("db", "upgrade")
    assert first.exit_code == 0, first.output
    assert "15 divisions" in first.output
    again = run("db", "upgrade")
    assert again.exit_code == 0 and "0 divisions" in again.output


def test_user_create_then_token_create_prints_the_token_alone(env: str) -> None:
    made = run(
        "user",
        "create",
        "cli_disp",
        "--role",
        "dispatcher",
        "--division",
        "610502",
        "--password-stdin",
        stdin="Long-Enough-1\n",
    )
    assert made.exit_code == 0, made.output
    result = CliRunner().invoke(app, ["token", "create", "cli_disp"])
    lines = result.stdout.strip().splitlines()
    assert result.exit_code == 0 and len(lines) == 1 and lines[0].startswith("zhian_")
    with make_sessionmaker(make_engine(env))() as session:
        user = identity.user_for_token(session, lines[0])
        assert user is not None and user.username == "cli_disp"


def test_user_create_refuses_and_names_the_field(env: str) -> None:
    weak = run(
        "user",
        "create",
        "weak",
        "--role",
        "officer",
        "--division",
        "610502",
        "--password-stdin",
        stdin="password\n",
    )
    assert weak.exit_code == 1 and "(password)" in weak.output
    role = run(
        "user",
        "create",
        "rex",
        "--role",
        "king",
        "--division",
        "610502",
        "--password-stdin",
        stdin="Long-Enough-1\n",
    )
    assert role.exit_code == 1 and "(role)" in role.output


def test_admin_creation_prints_a_totp_enrolment(env: str) -> None:
    made = run(
        "user",
        "create",
        "cli_admin",
        "--role",
        "admin",
        "--division",
        "610500",
        "--password-stdin",
        stdin="Long-Enough-1\n",
    )
    assert made.exit_code == 0 and "otpauth://totp/" in made.output


def test_unlock_releases_a_locked_account(env: str) -> None:
    run(
        "user",
        "create",
        "locked1",
        "--role",
        "officer",
        "--division",
        "610502",
        "--password-stdin",
        stdin="Long-Enough-1\n",
    )
    factory = make_sessionmaker(make_engine(env))
    settings = Settings(database_url=env)
    for _ in range(5):
        with factory.begin() as session:
            sessions.authenticate(
                session,
                settings,
                username="locked1",
                password="nope-nope",
                totp_code=None,
                client_addr=None,
            )
    with factory.begin() as session:
        assert (
            sessions.authenticate(
                session,
                settings,
                username="locked1",
                password="Long-Enough-1",
                totp_code=None,
                client_addr=None,
            ).reason
            == "locked"
        )
    assert run("user", "unlock", "locked1").exit_code == 0
    with factory.begin() as session:
        assert sessions.authenticate(
            session,
            settings,
            username="locked1",
            password="Long-Enough-1",
            totp_code=None,
            client_addr=None,
        ).ok


def test_serve_refuses_an_unmigrated_database(tmp_path, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    monkeypatch.setenv("ZHIAN_DATABASE_URL", f"sqlite:///{tmp_path / 'empty.db'}")
    result = run("serve", "--port", "1")
    assert result.exit_code == 2
    assert "zhian db upgrade" in result.output


@pytest.mark.postgres
def test_postgres_with_synchronous_commit_off_is_refused(backend: str, fresh_url: str) -> None:
    if backend != "postgresql":
        pytest.skip("a PostgreSQL setting")
    admin = make_engine(PG_ADMIN_URL, isolation_level="AUTOCOMMIT")
    name = make_url(fresh_url).database
    with admin.connect() as conn:
        conn.execute(text(f'ALTER DATABASE "{name}" SET synchronous_commit = off'))
    admin.dispose()
    engine = make_engine(fresh_url)
    with pytest.raises(UnsafeDatabase, match="synchronous_commit"):
        check_durability(engine)
    engine.dispose()


def test_sqlite_runs_in_wal_with_full_sync(tmp_path) -> None:  # type: ignore[no-untyped-def]
    engine = make_engine(f"sqlite:///{tmp_path / 'wal.db'}")
    with engine.connect() as conn:
        assert conn.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
        assert conn.exec_driver_sql("PRAGMA synchronous").scalar() == 2  # FULL
    engine.dispose()


def test_address_parse_answers_every_line_in_order() -> None:
    import json

    lines = ["陕西省渭南市临渭区朝阳大街十二号3号楼2单元401室", "", "@@@###", "华县东关村"]
    result = CliRunner().invoke(app, ["address", "parse"], input="\n".join(lines) + "\n")
    assert result.exit_code == 0
    out = [json.loads(x) for x in result.stdout.splitlines()]
    assert len(out) == 4
    first = out[0]
    assert first["county_code"] == "610502" and first["in_jurisdiction"] is True
    assert (first["house_number"], first["building"], first["unit"], first["room"]) == (
        "12",
        "3",
        "2",
        "401",
    )
    for key in ("province", "city", "county", "township", "road"):
        assert key in out[1] and key in out[2]
    assert out[2]["county_code"] is None
    assert out[3]["county_code"] == "610503"

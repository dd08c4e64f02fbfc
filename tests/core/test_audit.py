"""The audit trail: chained, append-only in the database, and verification that names the
first altered, removed or reordered entry (both databases)."""

from __future__ import annotations

import threading
from collections.abc import Iterator

import pytest
from sqlalchemy import Engine, select, text
from sqlalchemy.exc import DBAPIError
from sqlalchemy.orm import Session, sessionmaker
from typer.testing import CliRunner

from zhian.core.audit import service as audit
from zhian.core.audit.models import AuditEntry
from zhian.core.db import make_engine, make_sessionmaker, unit_of_work
from zhian.core.scope import Actor

ACTOR = Actor(user_id=7, username="auditor", role="admin", division="610500", client_addr="::1")


def write(factory: sessionmaker[Session], n: int, start: int = 0) -> None:
    with unit_of_work(factory) as session:
        for i in range(start, start + n):
            audit.record(
                session,
                actor=ACTOR,
                action="update",
                record_type="thing",
                record_id=str(i),
                division="610502",
                detail={"i": i, "名": "值"},
            )


@pytest.fixture()
def engine(fresh_url: str) -> Iterator[Engine]:
    eng = make_engine(fresh_url)
    yield eng
    eng.dispose()


def tamper(engine: Engine, *statements: str) -> None:
    """What someone with database rights could do: lift the guard, then change rows."""
    with engine.begin() as conn:
        if engine.dialect.name == "postgresql":
            conn.execute(text("ALTER TABLE audit_entry DISABLE TRIGGER USER"))
        else:
            conn.execute(text("DROP TRIGGER audit_entry_no_update"))
            conn.execute(text("DROP TRIGGER audit_entry_no_delete"))
        for stmt in statements:
            conn.execute(text(stmt))


def verify(engine: Engine) -> audit.hashchain.ChainReport:
    with make_sessionmaker(engine)() as session:
        return audit.verify(session)


def test_entries_chain_and_verify(session: Session) -> None:
    first = audit.record(session, actor=ACTOR, action="create", record_type="x", record_id="1")
    second = audit.record(session, action="login", outcome="failure")
    assert second.seq == first.seq + 1
    assert second.prev_hash == first.hash
    assert audit.verify(session).ok


def test_database_refuses_update_and_delete(engine: Engine) -> None:
    write(make_sessionmaker(engine), 3)
    for stmt in ("UPDATE audit_entry SET outcome = 'success'", "DELETE FROM audit_entry"):
        with pytest.raises(DBAPIError), engine.begin() as conn:
            conn.execute(text(stmt))
    assert verify(engine).ok


@pytest.mark.parametrize(
    ("statements", "bad_seq"),
    [
        (["UPDATE audit_entry SET record_id = '999' WHERE seq = 3"], 3),
        (["UPDATE audit_entry SET outcome = 'failure' WHERE seq = 5"], 5),
        (["DELETE FROM audit_entry WHERE seq = 4"], 5),
        (
            [
                "UPDATE audit_entry SET seq = 100 WHERE seq = 2",
                "UPDATE audit_entry SET seq = 2 WHERE seq = 3",
                "UPDATE audit_entry SET seq = 3 WHERE seq = 100",
            ],
            2,
        ),
        (["DELETE FROM audit_entry WHERE seq = 6"], 6),
    ],
    ids=["altered", "altered-outcome", "removed", "reordered", "tail-cut"],
)
def test_tampering_is_found_and_named(engine: Engine, statements: list[str], bad_seq: int) -> None:
    write(make_sessionmaker(engine), 6)
    assert verify(engine).ok
    tamper(engine, *statements)
    report = verify(engine)
    assert not report.ok
    assert report.first_bad_seq == bad_seq


def test_cli_verify_exits_nonzero_and_names_the_entry(
    engine: Engine, fresh_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    from zhian.cli import app

    write(make_sessionmaker(engine), 4)
    monkeypatch.setenv("ZHIAN_DATABASE_URL", fresh_url)
    ok = CliRunner().invoke(app, ["audit", "verify"])
    assert ok.exit_code == 0, ok.output
    tamper(engine, "UPDATE audit_entry SET actor = 'someone-else' WHERE seq = 2")
    bad = CliRunner().invoke(app, ["audit", "verify"])
    assert bad.exit_code == 1
    assert "seq=2" in bad.output


def test_concurrent_appenders_never_fork_the_chain(engine: Engine) -> None:
    factory = make_sessionmaker(engine)
    errors: list[BaseException] = []

    def worker(k: int) -> None:
        try:
            for j in range(10):
                write(factory, 1, start=k * 100 + j)
        except BaseException as exc:  # collected and asserted below
            errors.append(exc)

    threads = [threading.Thread(target=worker, args=(k,)) for k in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=120)
    assert not errors
    with factory() as session:
        seqs = session.scalars(select(AuditEntry.seq).order_by(AuditEntry.seq)).all()
    assert seqs == list(range(1, 41))
    assert verify(engine).ok

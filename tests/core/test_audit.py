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
    for stmt in (
        "UPDATE audit_entry SET canonical = canonical",
        "UPDATE audit_entry SET hash = hash",
        "UPDATE audit_entry SET seq = seq",
        "UPDATE audit_entry SET outcome = 'success'",
        "DELETE FROM audit_entry",
    ):
        with pytest.raises(DBAPIError), engine.begin() as conn:
            conn.execute(text(stmt))
    assert verify(engine).ok


@pytest.mark.parametrize(
    ("statements", "bad_seq"),
    [
        # The queryable columns are generated from ``canonical``: editing an entry means
        # editing its canonical text (or its hash, or deleting or renumbering rows).
        (
            [
                "UPDATE audit_entry SET canonical = "
                "replace(canonical, '\"2\",', '\"999\",') WHERE seq = 3"
            ],
            3,
        ),
        (
            [
                "UPDATE audit_entry SET canonical = "
                "replace(canonical, 'success', 'failure') WHERE seq = 5"
            ],
            5,
        ),
        ([f"UPDATE audit_entry SET hash = '{'0' * 64}' WHERE seq = 4"], 4),
        (["UPDATE audit_entry SET seq = 60 WHERE seq = 6"], 60),
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
    ids=[
        "altered",
        "altered-outcome",
        "altered-hash",
        "renumbered",
        "removed",
        "reordered",
        "tail-cut",
    ],
)
def test_tampering_is_found_and_named(engine: Engine, statements: list[str], bad_seq: int) -> None:
    write(make_sessionmaker(engine), 6)
    assert verify(engine).ok
    tamper(engine, *statements)
    report = verify(engine)
    assert not report.ok
    assert report.first_bad_seq == bad_seq


def test_entry_rehashed_after_an_edit_breaks_the_next_link(engine: Engine) -> None:
    write(make_sessionmaker(engine), 6)
    with make_sessionmaker(engine)() as session:
        row = session.execute(
            select(AuditEntry.prev_hash, AuditEntry.canonical).where(AuditEntry.seq == 3)
        ).one()
    edited = row.canonical.replace("update", "read")
    digest = audit.hashchain.entry_hash_encoded(row.prev_hash, edited.encode("utf-8"))
    tamper(
        engine,
        f"UPDATE audit_entry SET canonical = '{edited}', hash = '{digest}' WHERE seq = 3",
    )
    with make_sessionmaker(engine)() as session:
        assert session.scalar(select(AuditEntry.action).where(AuditEntry.seq == 3)) == "read"
    report = verify(engine)
    assert not report.ok
    assert (report.first_bad_seq, report.reason) == (4, "broken link")


def test_a_queryable_column_cannot_be_set_apart_from_the_hashed_text(engine: Engine) -> None:
    """The queryable columns are generated from ``canonical``: even with the append-only
    guard lifted, the database refuses to set one directly."""
    write(make_sessionmaker(engine), 3)
    for column in ("actor", "action", "outcome", "division", "at", "detail"):
        value = "CURRENT_TIMESTAMP" if column == "at" else "'someone-else'"
        with pytest.raises(DBAPIError):
            tamper(engine, f"UPDATE audit_entry SET {column} = {value} WHERE seq = 2")
    assert verify(engine).ok


def test_a_queryable_column_made_editable_by_ddl_is_found(engine: Engine) -> None:
    """Someone with DDL rights turns a generated column into a plain one and edits it."""
    write(make_sessionmaker(engine), 4)
    if engine.dialect.name == "postgresql":
        # The column keeps its stored values; verification re-derives them from canonical.
        tamper(
            engine,
            "ALTER TABLE audit_entry ALTER COLUMN actor DROP EXPRESSION",
            "UPDATE audit_entry SET actor = 'someone-else' WHERE seq = 2",
        )
        expected = (2, "altered")
    else:
        # SQLite cannot alter a column: the table is rebuilt with a plain copy of it.
        with engine.begin() as conn:
            ddl = conn.execute(
                text("SELECT sql FROM sqlite_master WHERE name = 'audit_entry'")
            ).scalar_one()
        plain = ddl.replace(
            "actor VARCHAR GENERATED ALWAYS AS (json_extract(canonical, '$[2]')) VIRTUAL",
            "actor VARCHAR",
        )
        assert plain != ddl
        tamper(
            engine,
            "ALTER TABLE audit_entry RENAME TO audit_entry_old",
            plain,
            "INSERT INTO audit_entry (id, seq, canonical, prev_hash, hash, created_at, "
            "updated_at, actor) SELECT id, seq, canonical, prev_hash, hash, created_at, "
            "updated_at, 'someone-else' FROM audit_entry_old",
            "DROP TABLE audit_entry_old",
        )
        expected = (1, audit.SCHEMA_ALTERED)
    with make_sessionmaker(engine)() as session:
        assert session.scalar(select(AuditEntry.actor).where(AuditEntry.seq == 2)) == (
            "someone-else"
        )
    report = verify(engine)
    assert not report.ok
    assert (report.first_bad_seq, report.reason) == expected


def test_cli_verify_exits_nonzero_and_names_the_entry(
    engine: Engine, fresh_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    from zhian.cli import app

    write(make_sessionmaker(engine), 4)
    monkeypatch.setenv("ZHIAN_DATABASE_URL", fresh_url)
    ok = CliRunner().invoke(app, ["audit", "verify"])
    assert ok.exit_code == 0, ok.output
    tamper(
        engine,
        "UPDATE audit_entry SET canonical = replace(canonical, 'auditor', 'someone-else') "
        "WHERE seq = 2",
    )
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

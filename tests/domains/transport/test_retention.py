"""Retention: expired positions are purged in audited batches; unhandled alerts keep theirs."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

import pytest
from pydantic import ValidationError
from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker
from typer.testing import CliRunner

from tests.domains.transport.builders import RULES, START, actor, feed, provision, report
from tests.domains.transport.test_end_to_end import wait_for
from tests.helpers import running_app
from zhian.cli import app as cli
from zhian.core.audit.models import AuditEntry
from zhian.core.db import make_engine, make_sessionmaker, unit_of_work
from zhian.core.errors import InvalidInput
from zhian.core.settings import Settings
from zhian.domains.transport import retention, tracking
from zhian.domains.transport.models import Alert, Position, Vehicle

DAY = 86_400
NOW = START + timedelta(days=181)  # the explicit clock: fixes of START's day have expired


def _count(factory: sessionmaker[Session], vehicle_id: int | None = None) -> int:
    with factory() as session:
        stmt = select(func.count(Position.id))
        if vehicle_id is not None:
            stmt = stmt.where(Position.vehicle_id == vehicle_id)
        return session.scalar(stmt) or 0


def _ancient(session: Session, vehicle: Vehicle, n: int) -> None:
    """``n`` fixes of 2020: expired whatever day the test runs on."""
    old = datetime(2020, 1, 1, tzinfo=UTC)
    for i in range(n):
        fix = report(vehicle, i, time=(old + timedelta(seconds=i)).isoformat(), lon=109.5)
        tracking.record_position(session, report=fix, event_id=f"old-{vehicle.id}-{i}", rules=RULES)


def _purge_audits(factory: sessionmaker[Session]) -> list[dict[str, object]]:
    with factory() as session:
        rows = session.scalars(
            select(AuditEntry).where(AuditEntry.action == "purge").order_by(AuditEntry.seq)
        ).all()
        return [json.loads(r.detail or "{}") for r in rows]


def test_purge_removes_only_expired_fixes_in_audited_batches(
    session_factory: sessionmaker[Session],
) -> None:
    with unit_of_work(session_factory) as session:
        vehicle = provision(session)
        feed(session, vehicle, [40.0] * 7)  # START: expired at NOW
        feed(session, vehicle, [40.0] * 3, start=2 * DAY)  # a day inside the retention
        vehicle_id = vehicle.id

    dry = retention.purge(session_factory, now=NOW, retention_days=180, batch=3, dry_run=True)
    assert (dry.purged, dry.batches, dry.held, dry.dry_run) == (7, 0, 0, True)
    assert dry.cutoff == NOW - timedelta(days=180)
    assert _count(session_factory) == 10 and _purge_audits(session_factory) == []

    done = retention.purge(session_factory, now=NOW, retention_days=180, batch=3)
    assert (done.purged, done.batches) == (7, 3)
    assert _count(session_factory, vehicle_id) == 3
    audits = _purge_audits(session_factory)
    assert [a["count"] for a in audits] == [3, 3, 1]
    assert {a["retention_days"] for a in audits} == {180}

    again = retention.purge(session_factory, now=NOW, retention_days=180)
    assert (again.purged, again.batches) == (0, 0)
    # A longer retention keeps what a shorter one would purge.
    later = START + timedelta(days=2 * 181)
    assert retention.purge(session_factory, now=later, retention_days=400, dry_run=True).purged == 0


def test_fixes_of_an_unhandled_alert_are_kept_until_it_is_resolved(
    session_factory: sessionmaker[Session],
) -> None:
    with unit_of_work(session_factory) as session:
        speeder, other = provision(session, 1), provision(session, 2)
        feed(session, speeder, [40.0], start=-3600)  # an hour before: outside the hold
        feed(session, speeder, [40.0] * 5 + [95.0] * 2 + [40.0] * 5, rules=RULES)
        feed(session, other, [40.0] * 4)
        ids = (speeder.id, other.id)
    with session_factory() as session:
        alert = session.scalars(select(Alert).where(Alert.vehicle_id == ids[0])).one()
        assert alert.status == "open" and alert.active is False  # ended, never handled

    report = retention.purge(session_factory, now=NOW, retention_days=180)
    assert (report.purged, report.held) == (5, 12)
    assert _count(session_factory, ids[0]) == 12 and _count(session_factory, ids[1]) == 0

    with unit_of_work(session_factory) as session:
        tracking.resolve_alert(
            session, actor=actor(role="dispatcher"), alert_id=alert.id, note="司机已说明，已处理"
        )
    assert retention.purge(session_factory, now=NOW, retention_days=180).purged == 12
    assert _count(session_factory) == 0


def test_a_retention_under_six_months_is_refused() -> None:
    with pytest.raises(ValidationError, match="at least 180 days"):
        Settings(transport_retention_days=179)
    assert Settings().transport_retention_days == 180
    with pytest.raises(InvalidInput) as caught:
        retention.cutoff_for(NOW, 90)
    assert caught.value.field == "retention_days"


def test_purge_command_prints_counts(fresh_url: str, monkeypatch: pytest.MonkeyPatch) -> None:
    engine = make_engine(fresh_url)
    factory = make_sessionmaker(engine)
    try:
        with unit_of_work(factory) as session:
            _ancient(session, provision(session), 4)
        monkeypatch.setenv("ZHIAN_DATABASE_URL", fresh_url)
        runner = CliRunner()
        dry = runner.invoke(cli, ["transport", "purge", "--dry-run"])
        assert dry.exit_code == 0, dry.output
        assert dry.output.startswith("would purge 4 positions older than ")
        assert _count(factory) == 4
        done = runner.invoke(cli, ["transport", "purge", "--batch", "3"])
        assert done.exit_code == 0, done.output
        assert done.output.startswith("purged 4 positions") and "in 2 batches" in done.output
        assert _count(factory) == 0
        monkeypatch.setenv("ZHIAN_TRANSPORT_RETENTION_DAYS", "30")
        refused = runner.invoke(cli, ["transport", "purge"])
        assert refused.exit_code == 2 and "at least 180 days" in refused.output
    finally:
        engine.dispose()


def test_the_server_purges_on_its_own(fresh_url: str) -> None:
    with running_app(fresh_url) as app:  # the plain app (tests, tools) never purges
        with unit_of_work(app.factory) as session:
            _ancient(session, provision(session), 3)
        periodic = app.client.app.state.periodic  # type: ignore[attr-defined]
        assert "transport.retention" not in periodic.names()
    from fastapi.testclient import TestClient

    from zhian.app import create_app

    engine = make_engine(fresh_url)
    factory = make_sessionmaker(engine)
    try:
        web = create_app(
            Settings(database_url=fresh_url, bus="memory"),
            session_factory=factory,
            purge_positions=True,
        )
        with TestClient(web):
            assert wait_for(lambda: _count(factory) == 0)
            assert "transport.retention" in web.state.periodic.running()
        assert [a["count"] for a in _purge_audits(factory)] == [3]
    finally:
        engine.dispose()

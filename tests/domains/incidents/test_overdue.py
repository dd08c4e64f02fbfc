"""Overdue alerts: the pure rule with explicit clocks, the check that raises each alert once,
closing on dispatch or cancellation, and the periodic task run with the app."""

from __future__ import annotations

import time
from datetime import UTC, datetime, timedelta

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from tests.domains.incidents.builders import (
    CITY_DISPATCHER,
    HOME,
    OTHER,
    actor,
    make_incident,
    make_unit,
    seat,
)
from tests.helpers import running_app
from zhian.core.audit.models import AuditEntry
from zhian.core.db import unit_of_work
from zhian.domains.incidents import alerts, scheduler, service
from zhian.domains.incidents.choices import IncidentStatus
from zhian.domains.incidents.models import Alert, Incident
from zhian.domains.incidents.overdue import Waiting, deadline, overdue

T0 = datetime(2026, 11, 29, 8, 0, tzinfo=UTC)


def test_rule_uses_each_priority_target_and_orders_by_lateness() -> None:
    waiting = [
        Waiting(1, 1, T0),  # target 3 min
        Waiting(2, 4, T0),  # target 30 min
        Waiting(3, 2, T0 - timedelta(minutes=10)),  # target 5 min
        Waiting(4, 3, T0 + timedelta(minutes=1)),  # target 10 min
    ]
    assert overdue(waiting, now=T0 + timedelta(seconds=179)) == [
        (waiting[2], timedelta(minutes=8, seconds=-1))
    ]
    at = T0 + timedelta(minutes=3)
    assert [(w.incident_id, by) for w, by in overdue(waiting, now=at)] == [
        (3, timedelta(minutes=8)),
        (1, timedelta(0)),
    ]
    late = overdue(waiting, now=T0 + timedelta(hours=1))
    assert [w.incident_id for w, _ in late] == [3, 1, 4, 2]
    assert deadline(4, T0) == T0 + timedelta(minutes=30)


def test_rule_with_other_targets() -> None:
    targets = {1: 60, 2: 60, 3: 60, 4: 60}
    assert overdue([Waiting(9, 4, T0)], now=T0 + timedelta(seconds=59), targets=targets) == []
    assert len(overdue([Waiting(9, 4, T0)], now=T0 + timedelta(seconds=60), targets=targets)) == 1


def _open_alerts(session: Session, incident_id: int) -> list[Alert]:
    return list(
        session.scalars(
            select(Alert).where(Alert.incident_id == incident_id, Alert.closed_at.is_(None))
        )
    )


def test_check_raises_once_and_dispatch_closes(session: Session) -> None:
    incident = make_incident(session, type="criminal")  # priority 1: 3 minutes
    t = incident.received_at
    assert alerts.check_overdue(session, now=t + timedelta(seconds=179)) == []
    raised = alerts.check_overdue(session, now=t + timedelta(seconds=181))
    assert [a.incident_id for a in raised] == [incident.id]
    assert raised[0].kind == "overdue" and raised[0].division == HOME
    assert alerts.check_overdue(session, now=t + timedelta(minutes=30)) == []
    count = select(func.count()).select_from(Alert).where(Alert.incident_id == incident.id)
    assert session.scalar(count) == 1
    unit = make_unit(session, 1, at=seat(session))
    service.assign(session, actor=CITY_DISPATCHER, incident_id=incident.id, unit_ids=[unit.id])
    assert _open_alerts(session, incident.id) == []
    assert session.scalar(count) == 1
    actions = session.scalars(
        select(AuditEntry.action).where(AuditEntry.record_type == "incident_alert")
    ).all()
    assert actions == ["alert_open", "alert_close"]


def test_dispatched_in_time_never_alerts(session: Session) -> None:
    incident = make_incident(session, type="dispute")  # priority 3: 10 minutes
    unit = make_unit(session, 2, at=seat(session))
    service.assign(session, actor=CITY_DISPATCHER, incident_id=incident.id, unit_ids=[unit.id])
    assert alerts.check_overdue(session, now=incident.received_at + timedelta(hours=2)) == []


def test_cancel_closes_and_a_later_check_closes_stale_alerts(session: Session) -> None:
    first = make_incident(session, type="dispute")
    second = make_incident(session, type="traffic", offset=(0.01, 0.0))
    now = first.received_at + timedelta(hours=1)
    assert {a.incident_id for a in alerts.check_overdue(session, now=now)} == {
        first.id,
        second.id,
    }
    service.set_incident_status(
        session, actor=CITY_DISPATCHER, incident_id=first.id, status=IncidentStatus.CANCELLED
    )
    assert _open_alerts(session, first.id) == []
    # A status written behind the service's back is caught by the next round.
    second.status = IncidentStatus.DISPATCHED.value
    session.flush()
    alerts.check_overdue(session, now=now + timedelta(seconds=15))
    assert _open_alerts(session, second.id) == []


def test_alert_list_is_scoped(session: Session) -> None:
    home = make_incident(session, type="criminal")
    make_incident(session, type="criminal", division=OTHER)
    alerts.check_overdue(session, now=home.received_at + timedelta(hours=1))
    county = alerts.list_alerts(session, actor=actor(division=HOME))
    assert [a.incident_id for a in county.items] == [home.id]
    assert alerts.list_alerts(session, actor=CITY_DISPATCHER).total == 2
    everything = alerts.list_alerts(session, actor=CITY_DISPATCHER, open_only=False)
    assert everything.total == 2


def test_periodic_round_with_an_explicit_clock(fresh_url: str) -> None:
    with running_app(fresh_url, incident_check_seconds=0) as app:
        with unit_of_work(app.factory) as session:
            incident_id = make_incident(session, type="criminal").id
            received = session.get(Incident, incident_id).received_at  # type: ignore[union-attr]
        first = scheduler.run_checks(app.factory, now=received)
        assert first.overdue_raised == 0
        late = received + timedelta(minutes=4)
        assert scheduler.run_checks(app.factory, now=late).overdue_raised == 1
        assert scheduler.run_checks(app.factory, now=late).overdue_raised == 0
        listed = app.client.get(
            "/api/v1/incident-alerts",
            headers=app.headers(app.token("alert_reader", role="leader", division=HOME)),
        ).json()
        assert [a["incident_id"] for a in listed["items"]] == [incident_id]


def test_lifespan_runs_the_checks(fresh_url: str) -> None:
    with running_app(fresh_url, incident_check_seconds=0.02) as app:
        periodic = app.client.app.state.periodic  # type: ignore[attr-defined]
        assert "incidents.checks" in periodic.running()
        deadline_at = time.monotonic() + 20
        while periodic.rounds("incidents.checks") < 2 and time.monotonic() < deadline_at:
            time.sleep(0.02)
        assert periodic.rounds("incidents.checks") >= 2
    assert periodic.running() == []


def test_checks_can_be_turned_off(fresh_url: str) -> None:
    with running_app(fresh_url, incident_check_seconds=0) as app:
        periodic = app.client.app.state.periodic  # type: ignore[attr-defined]
        assert "incidents.checks" not in periodic.names()

"""Routes that only read run in a read-only transaction: a dispatcher's recommendations are
answered while another connection holds SQLite's write lock, a caller's due sign-in
bookkeeping is still written, and a denied access is still audited."""

from __future__ import annotations

import threading
from datetime import timedelta

import pytest
from sqlalchemy import select, text

from tests.domains.incidents.builders import OTHER, make_incident, make_unit, seat
from tests.helpers import running_app
from zhian.core.audit.models import AuditEntry
from zhian.core.db import make_engine, unit_of_work
from zhian.core.identity.models import ApiToken


def test_recommendations_answer_while_a_writer_holds_the_lock(backend: str, fresh_url: str) -> None:
    if backend != "sqlite":
        pytest.skip("PostgreSQL readers never wait for writers")
    with running_app(fresh_url, incident_check_seconds=0) as app:
        with unit_of_work(app.factory) as session:
            incident_id = make_incident(session).id
            unit_id = make_unit(session, 1, at=seat(session)).id
        headers = app.headers(app.token("ro_disp", role="dispatcher"))
        path = f"/api/v1/incidents/{incident_id}/recommendations"
        assert app.client.get(path, headers=headers).status_code == 200  # the token's first use
        other = make_engine(fresh_url)  # the same file: the same writer queue
        holding, answered, errors = threading.Event(), threading.Event(), []

        def writer() -> None:
            try:
                with other.begin() as conn:
                    conn.execute(text("UPDATE incident_unit SET crew_size = 3"))
                    holding.set()
                    answered.wait(30)
            except Exception as exc:  # reported below; a thread cannot fail the test itself
                errors.append(exc)

        thread = threading.Thread(target=writer)
        thread.start()
        try:
            assert holding.wait(10)
            # A write transaction would queue behind the writer, which waits for the answer.
            resp = app.client.get(path, headers=headers)
            assert thread.is_alive()
        finally:
            answered.set()
            thread.join(30)
            other.dispose()
        assert errors == []
        assert resp.status_code == 200, resp.text
        assert [r["unit_id"] for r in resp.json()] == [unit_id]


def test_a_read_only_route_still_writes_the_callers_bookkeeping(fresh_url: str) -> None:
    with running_app(fresh_url, incident_check_seconds=0) as app:
        with unit_of_work(app.factory) as session:
            incident_id = make_incident(session).id
        headers = app.headers(app.token("ro_touch", role="dispatcher"))
        path = f"/api/v1/incidents/{incident_id}/recommendations"
        assert app.client.get(path, headers=headers).status_code == 200
        with unit_of_work(app.factory) as session:
            token = session.scalars(select(ApiToken)).one()
            assert token.last_used_at is not None  # the first use is recorded
            token.last_used_at -= timedelta(minutes=5)
            before = token.last_used_at
        assert app.client.get("/api/v1/units", headers=headers).status_code == 200
        with unit_of_work(app.factory) as session:
            after = session.scalars(select(ApiToken.last_used_at)).one()
        assert after is not None and after > before


def test_a_denied_read_is_audited(fresh_url: str) -> None:
    with running_app(fresh_url, incident_check_seconds=0) as app:
        with unit_of_work(app.factory) as session:
            theirs = make_incident(session, division=OTHER).id
        headers = app.headers(app.token("ro_deny", role="dispatcher"))
        resp = app.client.get(f"/api/v1/incidents/{theirs}/recommendations", headers=headers)
        assert resp.status_code == 404
        with unit_of_work(app.factory) as session:
            denied = (
                session.execute(select(AuditEntry.record_id).where(AuditEntry.outcome == "denied"))
                .scalars()
                .all()
            )
        assert denied == [str(theirs)]

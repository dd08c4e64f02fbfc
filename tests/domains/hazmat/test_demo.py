"""The demo's custody ledger: written through the services, it verifies, and its one planted
discrepancy is there for the demo to find."""

from __future__ import annotations

import json
from collections import Counter
from datetime import UTC, datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from zhian.core.time import local
from zhian.domains.hazmat import ledger, overview, verify
from zhian.domains.hazmat.choices import LicenceState
from zhian.domains.hazmat.models import Alert, Enterprise, LedgerEntry, Licence, Stock
from zhian.sim import hazmat as sim

NOW = datetime(2026, 11, 20, 4, 0, tzinfo=UTC)


def test_demo_ledger_verifies_and_holds_the_planted_discrepancy(session: Session) -> None:
    seeded = sim.seed_hazmat(session, now=NOW)
    report = verify.verify_all(session)
    assert report.ok, report
    assert report.roots == sim.DAYS and report.entries >= seeded.events

    open_alerts = session.scalars(select(Alert).where(Alert.status == "open")).all()
    assert [(a.kind, json.loads(a.detail)["missing"]) for a in open_alerts] == [
        ("discrepancy", [seeded.planted])
    ]
    assert open_alerts[0].id == seeded.alert_id
    assert open_alerts[0].site_id == seeded.firms["blaster"].site
    assert len(seeded.planted) == 13  # a detonator shell code

    # The stock is the ledger's fold; the books still hold the missing detonator.
    stored = {
        (s.enterprise_id, s.site_id, s.item_id): s.quantity for s in session.scalars(select(Stock))
    }
    assert stored == ledger.fold(session.scalars(select(LedgerEntry).order_by(LedgerEntry.id)))

    events = Counter(session.scalars(select(LedgerEntry.event)))
    for kind in ("produce", "register", "transfer", "receive", "ship", "deliver", "store"):
        assert events[kind] > 0, kind
    for kind in ("issue", "use", "return", "count"):
        assert events[kind] > 0, kind
    assert events["count"] == 1  # the clean count at the seller's writes nothing

    divisions = set(session.scalars(select(Enterprise.division)))
    assert len(divisions) >= 4
    today = local(NOW).date()
    states = Counter(overview.licence_state(lic, today) for lic in session.scalars(select(Licence)))
    assert states[LicenceState.EXPIRING] == 1 and states[LicenceState.EXPIRED] == 1

"""Demo police units across Weinan and a steady stream of synthetic incidents.

``seed_units`` registers units in every county-level division near its seat (on duty) and
one patrol zone around each seat; ``tick`` moves the demo along by one step, through the same
services the console uses: a new call comes in, most waiting calls get the nearest unit (some
are left to go overdue, so the board shows alerts), dispatched units arrive, and incidents on
scene are cleared and their units freed. ``start_in_thread`` ticks until stopped.

Everything is drawn from one seeded ``random.Random``: the same seed, the same demo.
"""

from __future__ import annotations

import logging
import random
import threading
from collections.abc import Callable
from dataclasses import dataclass, field

from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from zhian.core.db import unit_of_work
from zhian.core.errors import DomainError
from zhian.core.scope import Actor, operator
from zhian.domains.incidents import service, units, zones
from zhian.domains.incidents.choices import IncidentStatus, IncidentType, UnitKind, UnitStatus
from zhian.domains.incidents.models import Incident, Unit
from zhian.domains.incidents.schemas import IncidentCreate, PatrolZoneCreate, UnitCreate
from zhian.domains.places.models import Division
from zhian.sim.patrols import terminal_of as patrol_terminal

log = logging.getLogger(__name__)

COUNTY_LEVELS = ("district", "county", "county_city")
# Per county: two patrol cars, a motorcycle, a foot patrol and community police.
UNIT_MIX = (
    UnitKind.PATROL_CAR,
    UnitKind.PATROL_CAR,
    UnitKind.MOTORCYCLE,
    UnitKind.FOOT,
    UnitKind.COMMUNITY,
)
# Roughly how often each type is called in (weights).
TYPE_WEIGHTS = {
    IncidentType.DISPUTE: 20,
    IncidentType.TRAFFIC: 18,
    IncidentType.ASSISTANCE: 16,
    IncidentType.PUBLIC_ORDER: 14,
    IncidentType.CRIMINAL: 10,
    IncidentType.FRAUD_REPORT: 10,
    IncidentType.ALARM: 8,
    IncidentType.FIRE_MEDICAL_TRANSFER: 4,
}
SPREAD_DEG = 0.03  # calls and units within ~3 km of a county seat
ASSIGN_SHARE = 0.75  # the rest of the waiting calls are left to go overdue


def _seats(session: Session) -> list[tuple[str, float, float]]:
    rows = session.execute(
        select(Division.adcode, Division.seat_lon, Division.seat_lat)
        .where(Division.level.in_(COUNTY_LEVELS))
        .order_by(Division.adcode)
    ).all()
    return [
        (code, float(lon), float(lat))
        for code, lon, lat in rows
        if lon is not None and lat is not None
    ]


def _near(rng: random.Random, lon: float, lat: float, spread: float) -> tuple[float, float]:
    return lon + rng.uniform(-spread, spread), lat + rng.uniform(-spread, spread)


def seed_units(session: Session, *, rng: random.Random, actor: Actor | None = None) -> int:
    """Units on duty near each county seat and a patrol zone around each; returns the units."""
    who = actor or operator("demo")
    made = 0
    for code, lon, lat in _seats(session):
        for n, kind in enumerate(UNIT_MIX, start=1):
            at = _near(rng, lon, lat, SPREAD_DEG / 3)
            # Patrol cars carry a JT/T 808 terminal (sim.patrols drives them).
            car = kind == UnitKind.PATROL_CAR
            unit = units.create_unit(
                session,
                actor=who,
                data=UnitCreate(
                    callsign=f"渭{code[-3:]}巡{n:02d}",
                    kind=kind,
                    division=code,
                    lon=at[0],
                    lat=at[1],
                    capabilities=["first_aid"] if car else [],
                    terminal_phone=patrol_terminal(code, n) if car else None,
                ),
            )
            units.set_status(session, actor=who, unit_id=unit.id, status=UnitStatus.AVAILABLE)
            made += 1
        half = SPREAD_DEG / 3
        ring = [
            [lon - half, lat - half],
            [lon + half, lat - half],
            [lon + half, lat + half],
            [lon - half, lat + half],
            [lon - half, lat - half],
        ]
        try:
            with session.begin_nested():
                zones.create_zone(
                    session,
                    actor=who,
                    data=PatrolZoneCreate(
                        name=f"{code}城区巡区",
                        division=code,
                        geometry={"type": "Polygon", "coordinates": [ring]},
                        units_per_level=[6, 4, 3, 2],
                    ),
                )
        except DomainError:  # a seat close to the county's edge: no zone there
            log.info("no demo patrol zone for %s", code)
    return made


@dataclass
class Stream:
    """The synthetic 110 calls of the demo, one ``tick`` at a time."""

    rng: random.Random
    actor: Actor = field(default_factory=lambda: operator("demo"))
    calls: int = 0

    def take_call(self, session: Session) -> Incident | None:
        """A new call near a random county seat (None if the point fell outside the city)."""
        seats = _seats(session)
        _, lon, lat = seats[self.rng.randrange(len(seats))]
        kinds = list(TYPE_WEIGHTS)
        kind = self.rng.choices(kinds, weights=[TYPE_WEIGHTS[k] for k in kinds])[0]
        at = _near(self.rng, lon, lat, SPREAD_DEG)
        try:
            with session.begin_nested():
                incident, _, _ = service.create_incident(
                    session,
                    actor=self.actor,
                    data=IncidentCreate(type=kind, lon=at[0], lat=at[1], narrative="演示警情"),
                )
        except DomainError:
            return None
        self.calls += 1
        return incident

    def _waiting(self, session: Session, status: IncidentStatus) -> list[Incident]:
        return list(
            session.scalars(
                select(Incident).where(Incident.status == status.value).order_by(Incident.id)
            )
        )

    def dispatch(self, session: Session) -> None:
        """Most waiting calls get the fastest available unit; the rest wait on."""
        for incident in self._waiting(session, IncidentStatus.RECEIVED):
            if self.rng.random() > ASSIGN_SHARE:
                continue
            ranked = service.recommend(session, actor=self.actor, incident_id=incident.id, limit=1)
            if ranked:
                service.assign(
                    session,
                    actor=self.actor,
                    incident_id=incident.id,
                    unit_ids=[ranked[0].unit_id],
                )

    def progress(self, session: Session) -> None:
        """Dispatched units arrive; about half the incidents on scene are cleared."""
        committed = session.scalars(
            select(Unit)
            .where(Unit.status.in_([UnitStatus.DISPATCHED.value, UnitStatus.ON_SCENE.value]))
            .order_by(Unit.id)
        ).all()
        for unit in committed:
            if unit.status == UnitStatus.DISPATCHED.value:
                units.set_status(
                    session, actor=self.actor, unit_id=unit.id, status=UnitStatus.ON_SCENE
                )
            elif self.rng.random() < 0.5 and unit.incident_id is not None:
                incident_id = unit.incident_id
                units.set_status(
                    session, actor=self.actor, unit_id=unit.id, status=UnitStatus.AVAILABLE
                )
                incident = session.get(Incident, incident_id)
                if incident is not None and incident.status == IncidentStatus.ON_SCENE.value:
                    service.set_incident_status(
                        session,
                        actor=self.actor,
                        incident_id=incident_id,
                        status=IncidentStatus.CLEARED,
                    )

    def tick(self, session: Session) -> None:
        """One step of the demo: units move on, waiting calls are dispatched, a call comes in."""
        self.progress(session)
        self.dispatch(session)
        self.take_call(session)


def start_in_thread(
    factory: sessionmaker[Session], *, interval_s: float, seed: int = 110
) -> Callable[[], None]:
    """Tick a ``Stream`` every ``interval_s`` in a daemon thread; returns the stop function."""
    stream = Stream(random.Random(seed))
    stopped = threading.Event()

    def target() -> None:
        while not stopped.wait(interval_s):
            try:
                with unit_of_work(factory) as session:
                    stream.tick(session)
            except Exception:  # the demo goes on after a failed step
                log.exception("demo incident step failed")

    thread = threading.Thread(target=target, name="zhian-sim-incidents", daemon=True)
    thread.start()

    def stop() -> None:
        stopped.set()
        thread.join(timeout=10)

    return stop

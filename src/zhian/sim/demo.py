"""``zhian demo`` and ``zhian serve``: a fresh Weinan demo database, and the server itself."""

from __future__ import annotations

import base64
import hashlib
import os
import sys
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import text
from sqlalchemy.engine import make_url
from sqlalchemy.orm import Session

from zhian.core.settings import DEFAULT_DATABASE_URL, Settings, load_settings

DEMO_DATABASE_URL = "sqlite:///./var/demo.db"
DEMO_PASSWORD = "Weinan-demo-2026"
DEMO_JT808_PORT = 8808
DEMO_VEHICLES = 12
DEMO_SPEEDUP = 5.0  # sim seconds per real second: alerts show within minutes
DEMO_CALL_EVERY_S = 10.0  # a synthetic 110 call (and a dispatch step) this often
DEMO_SEED = 110
DEMO_DIVISIONS = (
    ("610500", "city", "渭南市"),
    ("610502", "linwei", "临渭区"),
    ("610581", "hancheng", "韩城市"),
)
DEMO_ROLES = (
    "admin",
    "commander",
    "dispatcher",
    "officer",
    "regulator",
    "unit_security",
    "mediator",
    "leader",
)


@dataclass(frozen=True)
class DemoUser:
    """A demo sign-in as printed for the person trying the demo."""

    username: str
    role: str
    division: str
    division_name: str
    totp_secret: str | None


def demo_totp_secret(username: str) -> str:
    """A stable TOTP secret per demo user, so the printed enrolment stays valid across runs."""
    digest = hashlib.sha256(f"zhian-demo-totp:{username}".encode()).digest()
    return base64.b32encode(digest[:20]).decode("ascii")


def recreate_database(url: str) -> None:
    """Drop everything in the database (or the SQLite file) so the demo starts clean."""
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite":
        if parsed.database and parsed.database != ":memory:":
            for suffix in ("", "-wal", "-shm"):
                Path(parsed.database + suffix).unlink(missing_ok=True)
        return
    from zhian.core.db import make_engine

    engine = make_engine(url)
    with engine.begin() as conn:
        conn.execute(text("DROP SCHEMA public CASCADE"))
        conn.execute(text("CREATE SCHEMA public"))
    engine.dispose()


def seed(session: Session, settings: Settings) -> list[DemoUser]:
    """Seed the divisions and one user of each role in the city and two counties."""
    from zhian.core.identity import service as identity
    from zhian.core.identity.schemas import UserCreate
    from zhian.core.scope import operator
    from zhian.domains.places import service as places

    places.load_weinan_profile(session)
    actor = operator("demo")
    users: list[DemoUser] = []
    for code, prefix, name in DEMO_DIVISIONS:
        for role in DEMO_ROLES:
            username = role if prefix == "city" else f"{prefix}_{role}"
            user = identity.create_user(
                session,
                actor=actor,
                data=UserCreate(
                    username=username,
                    role=role,
                    division=code,
                    password=DEMO_PASSWORD,
                    display_name=f"{name}演示",
                ),
                totp_roles=settings.totp_role_set,
            )
            if user.totp_secret is not None:
                user.totp_secret = demo_totp_secret(username)
            users.append(DemoUser(username, role, code, name, user.totp_secret))
    return users


def print_credentials(users: list[DemoUser], url: str) -> None:
    """Tell the person at the terminal how to sign in."""
    print("\nzhian demo — Weinan profile", file=sys.stderr)
    print(f"Open {url} and sign in with any of these (password: {DEMO_PASSWORD}):", file=sys.stderr)
    for u in users:
        extra = f"  TOTP secret {u.totp_secret}" if u.totp_secret else ""
        print(
            f"  {u.username:<24} {u.role:<14} {u.division} {u.division_name}{extra}",
            file=sys.stderr,
        )
    print(
        "Admins and commanders need a TOTP code: add the secret to an authenticator app,\n"
        "or print the current code with: python -c \"import pyotp;print(pyotp.TOTP('SECRET')"
        '.now())"\n',
        file=sys.stderr,
    )


def run_demo(*, host: str, port: int, jt808_port: int = DEMO_JT808_PORT) -> None:
    """Recreate the demo database, seed it (with simulated trucks), and serve with the
    JT/T 808 gateway while the trucks drive against it."""
    import random

    from zhian.core.db import make_engine, make_sessionmaker, unit_of_work
    from zhian.core.migrate import upgrade
    from zhian.core.time import utcnow
    from zhian.sim import hazmat, incidents, patrols, vehicles
    from zhian.sim.registry import seed_registry

    url = os.environ.get("ZHIAN_DATABASE_URL") or DEMO_DATABASE_URL
    settings = load_settings(database_url=url)
    recreate_database(url)
    upgrade(url)
    engine = make_engine(url)
    with unit_of_work(make_sessionmaker(engine)) as session:
        users = seed(session, settings)
        seed_registry(session)
        trucks = vehicles.provision_demo_vehicles(session, DEMO_VEHICLES)
        vehicles.issue_demo_permits(session, trucks, now=utcnow())
        police = incidents.seed_units(session, rng=random.Random(DEMO_SEED))
        patrol_cars = patrols.provision_patrol_cars(session)
        custody = hazmat.seed_hazmat(session, now=utcnow())
    engine.dispose()
    print_credentials(users, f"http://{host}:{port}/")
    print(
        f"JT/T 808 gateway: {host}:{jt808_port}; {DEMO_VEHICLES} simulated dangerous-goods\n"
        f"trucks drive against it ({DEMO_SPEEDUP:g}x time): 陕ED0002 speeds, 陕ED0003 presses\n"
        "the emergency button, 陕ED0004 stops for long, 陕ED0005 goes silent, 陕ED0006\n"
        "leaves its corridor. Each drives its outward leg under a transport permit.\n"
        f"Incidents: {police} police units across the 11 counties; a synthetic 110 call every\n"
        f"{DEMO_CALL_EVERY_S:g} s, most dispatched to the nearest unit (live board: /incidents);\n"
        f"{len(patrol_cars)} patrol cars report over JT/T 808 and move on the board.\n"
        f"Hazmat: {len(custody.firms)} enterprises, a week of custody ({custody.events} events,\n"
        f"sealed); yesterday's count at 金石爆破's magazine misses detonator {custody.planted}\n"
        "(open discrepancy alert on /hazmat).\n",
        file=sys.stderr,
    )
    stop = vehicles.start_in_thread(
        DEMO_VEHICLES, host, jt808_port, speedup=DEMO_SPEEDUP, also=patrol_cars
    )
    calls_engine = make_engine(url)
    stop_calls = incidents.start_in_thread(
        make_sessionmaker(calls_engine), interval_s=DEMO_CALL_EVERY_S, seed=DEMO_SEED
    )
    try:
        run_server(settings, host=host, port=port, jt808_port=jt808_port, jt808_host=host)
    finally:
        stop_calls()
        calls_engine.dispose()
        stop()


def run_server(
    settings: Settings,
    *,
    host: str,
    port: int,
    jt808_port: int | None = None,
    jt808_host: str | None = None,
) -> None:
    """Serve the app with uvicorn (and the JT/T 808 gateway if given a port), refusing a
    database that is not migrated."""
    import uvicorn

    from zhian.app import create_app
    from zhian.core.migrate import current, head
    from zhian.core.runtime import tune_collector

    at = current(settings.database_url)
    if at != head():
        where = settings.database_url if settings.database_url != DEFAULT_DATABASE_URL else "./var"
        print(
            f"the database ({where}) is not at the latest schema; run: zhian db upgrade",
            file=sys.stderr,
        )
        raise SystemExit(2)
    app = create_app(
        settings, jt808_port=jt808_port, jt808_host=jt808_host or host, purge_positions=True
    )
    tune_collector()
    uvicorn.run(app, host=host, port=port, log_level="info", proxy_headers=False)

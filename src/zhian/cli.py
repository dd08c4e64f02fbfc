"""The ``zhian`` command: database, users, tokens, audit, serve and demo."""

from __future__ import annotations

import getpass
import sys
from collections.abc import Callable
from typing import TYPE_CHECKING, Annotated, NoReturn, TypeVar

import typer

from zhian.core.settings import load_settings

if TYPE_CHECKING:
    from sqlalchemy.orm import Session, sessionmaker

    from zhian.core.scope import Actor
    from zhian.core.settings import Settings
    from zhian.domains.hazmat.verify import LedgerReport
    from zhian.domains.places.registry.index import RegistryIndex

T = TypeVar("T")

app = typer.Typer(help="zhian 治安防控平台", no_args_is_help=True, add_completion=False)
db_app = typer.Typer(help="Database schema.", no_args_is_help=True)
user_app = typer.Typer(help="Users.", no_args_is_help=True)
token_app = typer.Typer(help="API tokens.", no_args_is_help=True)
audit_app = typer.Typer(help="The audit trail.", no_args_is_help=True)
app.add_typer(db_app, name="db")
app.add_typer(user_app, name="user")
app.add_typer(token_app, name="token")
app.add_typer(audit_app, name="audit")
ledger_app = typer.Typer(help="The hazmat custody ledger.", no_args_is_help=True)
app.add_typer(ledger_app, name="ledger")
address_app = typer.Typer(help="Chinese addresses.", no_args_is_help=True)
app.add_typer(address_app, name="address")
jt808_app = typer.Typer(help="JT/T 808 tools for field engineers.", no_args_is_help=True)
app.add_typer(jt808_app, name="jt808")
sim_app = typer.Typer(help="Simulators for demos and load tests.", no_args_is_help=True)
app.add_typer(sim_app, name="sim")
transport_app = typer.Typer(help="Dangerous-goods vehicle monitoring.", no_args_is_help=True)
app.add_typer(transport_app, name="transport")


def _err(message: str) -> None:
    typer.echo(message, err=True)


def _settings() -> Settings:
    """The settings, or a readable message and exit 2 when the environment is wrong."""
    from pydantic import ValidationError

    try:
        return load_settings()
    except ValidationError as exc:
        for error in exc.errors():
            where = ".".join(str(p) for p in error["loc"])
            _err(f"error (ZHIAN_{where.upper()}): {error['msg'].removeprefix('Value error, ')}")
        raise typer.Exit(2) from None


def _operator() -> Actor:
    from zhian.core.scope import operator

    return operator(getpass.getuser())


def _factory() -> sessionmaker[Session]:
    from zhian.core.db import check_durability, make_engine, make_sessionmaker

    engine = make_engine(load_settings().database_url)
    check_durability(engine)
    return make_sessionmaker(engine)


@db_app.command("upgrade")
def db_upgrade() -> None:
    """Apply the migrations and load the Weinan divisions (idempotent)."""
    from zhian.core.db import unit_of_work
    from zhian.core.migrate import upgrade
    from zhian.domains.places import service as places

    url = load_settings().database_url
    upgrade(url)
    with unit_of_work(_factory()) as session:
        written = places.load_weinan_profile(session)
    _err(f"database is at the latest schema; {written} divisions written")


def _run(action: Callable[[Session], T]) -> T:
    """Run an action in a unit of work and turn domain errors into a message and exit 1."""
    from zhian.core.db import unit_of_work
    from zhian.core.errors import DomainError

    try:
        with unit_of_work(_factory()) as session:
            return action(session)
    except DomainError as exc:
        where = f" ({exc.field})" if exc.field else ""
        _err(f"error{where}: {exc.message}")
        raise typer.Exit(1) from None


@user_app.command("create")
def user_create(
    username: str,
    role: Annotated[str, typer.Option(help="admin, commander, dispatcher, officer, ...")],
    division: Annotated[str, typer.Option(help="Home division code, e.g. 610502")],
    password_stdin: Annotated[bool, typer.Option("--password-stdin")] = False,
    display_name: Annotated[str, typer.Option()] = "",
    mfa: Annotated[bool, typer.Option(help="Require a TOTP second factor")] = False,
) -> None:
    """Create a user; the password is read from stdin (first line) or prompted for."""
    from pydantic import ValidationError

    from zhian.core.identity import service, totp
    from zhian.core.identity.schemas import UserCreate

    if password_stdin:
        password = sys.stdin.readline().rstrip("\r\n")
    else:
        password = typer.prompt("Password", hide_input=True, confirmation_prompt=True)
    try:
        data = UserCreate(
            username=username,
            role=role,
            division=division,
            password=password,
            display_name=display_name,
            mfa_required=mfa,
        )
    except ValidationError as exc:
        first = exc.errors()[0]
        _err(f"error ({'.'.join(str(p) for p in first['loc'])}): {first['msg']}")
        raise typer.Exit(1) from None
    totp_roles = load_settings().totp_role_set
    user = _run(
        lambda s: service.create_user(s, actor=_operator(), data=data, totp_roles=totp_roles)
    )
    _err(f"created user {user.username} ({user.role}, {user.division})")
    if user.totp_secret:
        _err(f"TOTP secret: {user.totp_secret}")
        _err(f"enrol with: {totp.provisioning_uri(user.totp_secret, user.username)}")


@user_app.command("unlock")
def user_unlock(username: str) -> None:
    """Release an account locked after failed sign-ins."""
    from zhian.core.identity import service

    _run(lambda s: service.unlock_user(s, actor=_operator(), username=username))
    _err(f"unlocked {username}")


@user_app.command("disable")
def user_disable(username: str) -> None:
    """Disable a user: their sessions end and their tokens stop working."""
    from zhian.core.identity import service

    _run(lambda s: service.set_active(s, actor=_operator(), username=username, active=False))
    _err(f"disabled {username}")


@user_app.command("enable")
def user_enable(username: str) -> None:
    """Enable a disabled user again."""
    from zhian.core.identity import service

    _run(lambda s: service.set_active(s, actor=_operator(), username=username, active=True))
    _err(f"enabled {username}")


@user_app.command("totp")
def user_totp(username: str) -> None:
    """Enrol (or re-enrol) a user's TOTP second factor and print the enrolment URI."""
    from zhian.core.identity import service, totp

    secret = _run(lambda s: service.enroll_totp(s, actor=_operator(), username=username))
    typer.echo(totp.provisioning_uri(secret, username))


@token_app.command("create")
def token_create(
    username: str, name: Annotated[str, typer.Option(help="What the token is for")] = ""
) -> None:
    """Issue an API token; the token alone is printed on stdout."""
    from zhian.core.identity import service

    raw = _run(lambda s: service.create_token(s, actor=_operator(), username=username, name=name))
    typer.echo(raw)


@token_app.command("revoke")
def token_revoke(token_id: int) -> None:
    """Revoke an API token by its id."""
    from zhian.core.identity import service

    _run(lambda s: service.revoke_token(s, actor=_operator(), token_id=token_id))
    _err(f"revoked token {token_id}")


@audit_app.command("verify")
def audit_verify() -> None:
    """Recompute the audit chain; exit 1 naming the first bad entry if any."""
    from zhian.core.audit import service

    report = _run(lambda s: service.verify(s))
    if not report.ok:
        _err(f"audit trail BROKEN at entry seq={report.first_bad_seq}: {report.reason}")
        raise typer.Exit(1)
    typer.echo(f"audit trail intact: {report.checked} entries verified")


def _ledger_broken(report: LedgerReport) -> NoReturn:
    if report.checkpoint is not None:
        where = f"checkpoint store, checkpoint {report.checkpoint}"
    elif report.entry_id is not None:
        where = f"entry id={report.entry_id} (day {report.day})"
    elif report.root_id is not None:
        where = f"daily root id={report.root_id}"
    elif report.day:
        where = f"daily root of day {report.day}"
    elif report.enterprise_id is not None:
        where = f"enterprise {report.enterprise_id} entry seq={report.first_bad_seq}"
    else:
        where = "checkpoint store"
    _err(f"hazmat ledger BROKEN at {where}: {report.reason}")
    raise typer.Exit(1)


@ledger_app.command("verify")
def ledger_verify(
    full: Annotated[
        bool,
        typer.Option(
            "--full",
            help="Recompute every sealed day's root, also those a signed checkpoint holds "
            "(as `zhian ledger seal` always does before it signs); slower.",
        ),
    ] = False,
) -> None:
    """Recompute every chain and hold it against the signed checkpoints, and recompute every
    daily root but those a signed checkpoint holds (all with --full); exit 1 naming the
    first bad entry."""
    from zhian.domains.hazmat import checkpoint

    settings = load_settings()
    store = checkpoint.CheckpointStore(settings.ledger_checkpoint_dir)
    key = checkpoint.trusted_key(settings)
    report = _run(lambda s: checkpoint.verify_with_store(s, store, key, full=full))
    if not report.ok:
        _ledger_broken(report)
    typer.echo(
        f"hazmat ledger intact: {report.entries} entries, {report.roots} daily roots "
        f"({report.held} held by signed checkpoints, {report.roots - report.held} recomputed), "
        f"{report.checkpoints} signed checkpoints"
    )


@ledger_app.command("seal")
def ledger_seal(
    day: Annotated[
        str | None, typer.Argument(help="YYYY-MM-DD (Asia/Shanghai) to seal; none: checkpoint only")
    ] = None,
) -> None:
    """Verify the ledger, store the Merkle root of a day that is over (if given), and append a
    signed checkpoint of every chain head to the checkpoint store."""
    from datetime import date

    from zhian.core.errors import DomainError
    from zhian.domains.hazmat import checkpoint

    settings = load_settings()
    store = checkpoint.CheckpointStore(settings.ledger_checkpoint_dir)
    key = checkpoint.signing_key(settings.ledger_signing_key, notice=_err)
    when = date.fromisoformat(day) if day else None
    try:
        outcome = checkpoint.seal(_factory(), store=store, key=key, day=when)
    except DomainError as exc:
        _err(f"error: {exc.message}")
        raise typer.Exit(1) from None
    except checkpoint.StoreBroken as exc:
        _err(f"refusing to append to a broken checkpoint store: {exc}")
        raise typer.Exit(1) from None
    if not isinstance(outcome, checkpoint.Sealed):
        _err("refusing to sign a checkpoint of a ledger that fails verification")
        _ledger_broken(outcome)
    if outcome.day is not None:
        sealed = outcome.day
        typer.echo(f"{sealed.day}: {sealed.tree_size} entries, root {sealed.root}")
    cp = outcome.checkpoint
    typer.echo(
        f"checkpoint {cp.n} signed ({len(cp.heads)} chains) -> "
        f"{settings.ledger_checkpoint_dir / cp.where}"
    )


@ledger_app.command("check-overdue")
def ledger_check_overdue() -> None:
    """Alert on every shipment not delivered and every issue not returned in its window (run it
    periodically, e.g. every 5 minutes from cron or a systemd timer)."""
    from zhian.core.errors import DomainError
    from zhian.domains.hazmat import alerts

    try:
        opened = alerts.run_overdue_check(_factory())
    except DomainError as exc:
        _err(f"error: {exc.message}")
        raise typer.Exit(1) from None
    typer.echo(f"{opened} overdue custody alerts opened")


def _registry_index() -> RegistryIndex | None:
    """The address registry's index if the configured database has one, else None."""
    from pathlib import Path

    from sqlalchemy import inspect, select
    from sqlalchemy.engine import make_url

    from zhian.core.db import make_engine, make_sessionmaker
    from zhian.domains.places.registry import geocoder
    from zhian.domains.places.registry.models import House

    url = load_settings().database_url
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite" and not Path(parsed.database or "").is_file():
        return None  # never create an empty database just to find no registry in it
    engine = make_engine(url)
    try:
        if not inspect(engine).has_table(House.__tablename__):
            return None
        with make_sessionmaker(engine)() as session:
            if session.scalar(select(House.id).limit(1)) is None:
                return None
            return geocoder.load_index(session)
    except Exception as exc:  # the parse still answers every line without the registry
        _err(f"address registry not used: {type(exc).__name__}: {exc}")
        return None
    finally:
        engine.dispose()


@address_app.command("parse")
def address_parse() -> None:
    """Parse one free-text address per stdin line into one JSON object per line, in order;
    with the registry fields when the database (ZHIAN_DATABASE_URL) holds a registry."""
    import json

    from zhian.domains.places.registry.geocoder import geocode_text

    index = _registry_index()
    for line in sys.stdin:
        out = geocode_text(index, line.rstrip("\r\n"))
        typer.echo(json.dumps(out, ensure_ascii=False))


@jt808_app.command("decode")
def jt808_decode(
    files: Annotated[
        list[str] | None, typer.Argument(help="Files of hex frames; stdin if none")
    ] = None,
) -> None:
    """Decode hex frames, one per line, into one JSON object per line."""
    from zhian.gateways.jt808 import tool

    raise typer.Exit(tool.main(files or []))


@sim_app.command("vehicles")
def sim_vehicles(
    jt808: Annotated[str, typer.Option(help="The JT/T 808 gateway, HOST:PORT")],
    count: Annotated[int, typer.Option(min=1, max=9999, help="How many trucks")] = 12,
    speedup: Annotated[float, typer.Option(min=0.01, help="Sim seconds per real second")] = 1.0,
) -> None:
    """Drive simulated dangerous-goods trucks (provisioned beforehand) until Ctrl-C."""
    from zhian.sim import vehicles

    host, _, port = jt808.rpartition(":")
    if not host or not port.isdigit():
        _err("error (--jt808): expected HOST:PORT, e.g. 127.0.0.1:8808")
        raise typer.Exit(2)
    for sim in vehicles.fleet(count):
        _err(f"  {sim.plate}  terminal {sim.phone}  {sim.division}  {sim.behaviour.value}")
    _err(f"driving {count} vehicles against {host}:{port} (Ctrl-C to stop)")
    vehicles.drive(count, host, int(port), speedup=speedup)


@transport_app.command("purge")
def transport_purge(
    dry_run: Annotated[
        bool, typer.Option("--dry-run", help="Only count what would be purged")
    ] = False,
    batch: Annotated[int, typer.Option(min=1, help="Positions deleted per transaction")] = 5000,
) -> None:
    """Delete vehicle positions older than ZHIAN_TRANSPORT_RETENTION_DAYS (audited)."""
    from zhian.core.errors import DomainError
    from zhian.core.time import utcnow
    from zhian.domains.transport import retention

    settings = _settings()
    try:
        report = retention.purge(
            _factory(),
            now=utcnow(),
            retention_days=settings.transport_retention_days,
            batch=batch,
            dry_run=dry_run,
            actor=_operator(),
        )
    except DomainError as exc:
        _err(f"error ({exc.field}): {exc.message}")
        raise typer.Exit(1) from None
    verb = "would purge" if dry_run else "purged"
    typer.echo(
        f"{verb} {report.purged} positions older than {report.cutoff.isoformat()} "
        f"({settings.transport_retention_days} days) in {report.batches} batches; "
        f"{report.held} kept for unhandled alerts"
    )


@app.command("serve")
def serve(
    host: Annotated[str, typer.Option()] = "127.0.0.1",
    port: Annotated[int, typer.Option()] = 8000,
    jt808_port: Annotated[
        int | None,
        typer.Option(help="Also run the JT/T 808 gateway for vehicle terminals on this port"),
    ] = None,
    jt808_host: Annotated[
        str | None, typer.Option(help="Address the JT/T 808 gateway listens on [default: --host]")
    ] = None,
) -> None:
    """Serve the console and API on an existing, migrated database."""
    from zhian.sim.demo import run_server

    run_server(
        _settings(),
        host=host,
        port=port,
        jt808_port=jt808_port,
        jt808_host=jt808_host or host,
    )


@app.command("demo")
def demo(
    host: Annotated[str, typer.Option()] = "127.0.0.1",
    port: Annotated[int, typer.Option()] = 8000,
    jt808_port: Annotated[
        int, typer.Option(help="Port of the JT/T 808 gateway the simulated trucks report to")
    ] = 8808,
) -> None:
    """Recreate the demo database, seed Weinan demo data, print the sign-ins, and serve
    with the JT/T 808 gateway and simulated trucks driving."""
    from zhian.sim.demo import run_demo

    run_demo(host=host, port=port, jt808_port=jt808_port)


def main() -> None:
    """Entry point of the ``zhian`` script."""
    app()

"""Signed checkpoints outside the database: what the chain alone cannot catch is caught.

Someone with database rights can cut a chain's tail and move its head back, or alter an entry
and re-hash the whole chain and the day's root; the database then verifies against itself.
The signed checkpoints in the store do not move with it.
"""

from __future__ import annotations

import copy
import json
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from sqlalchemy import Engine, insert, select, update
from sqlalchemy.orm import Session
from typer.testing import CliRunner

from tests.domains.hazmat.builders import AT, REG, enterprise, event, tamper
from tests.helpers import running_app
from zhian.cli import app as cli
from zhian.core import hashchain
from zhian.core.db import begin_read_only, make_engine, make_sessionmaker, unit_of_work
from zhian.domains.hazmat import checkpoint, ledger, service, verify
from zhian.domains.hazmat.models import ChainHead, DailyRoot, LedgerEntry

DAY = date(2026, 11, 1)
NEXT_DAY = AT + timedelta(days=1)


@dataclass
class Ledger:
    engine: Engine
    store: checkpoint.CheckpointStore
    key: Ed25519PrivateKey
    maker: int


def _seal(led: Ledger, day: date | None, hours: int) -> checkpoint.Sealed:
    outcome = checkpoint.seal(
        make_sessionmaker(led.engine),
        store=led.store,
        key=led.key,
        day=day,
        now=NEXT_DAY + timedelta(hours=hours),
    )
    assert isinstance(outcome, checkpoint.Sealed), outcome
    return outcome


@pytest.fixture()
def led(fresh_url: str, tmp_path: Path) -> Iterator[Ledger]:
    """Day 1 (12 entries) sealed with checkpoint 1; day 2 adds two entries, checkpoint 2.

    The maker's chain: seq 1..8 on day 1 (pinned by checkpoint 1 at 8), 9..10 on day 2
    (pinned by checkpoint 2 at 10, in no sealed day yet).
    """
    engine = make_engine(fresh_url)
    with unit_of_work(make_sessionmaker(engine)) as session:
        maker, mag = enterprise(session, "甲厂")
        buyer, store = enterprise(session, "乙矿", kind="user")
        for n in range(4):
            code = f"EX-{n}"
            event(session, "produce", maker, code, site_id=mag, minutes=n)
            event(session, "transfer", maker, code, site_id=mag, to_enterprise_id=buyer, minutes=9)
            event(session, "receive", buyer, code, site_id=store, minutes=20 + n)
    notices: list[str] = []
    key = checkpoint.signing_key(tmp_path / "keys" / "signing.key", notice=notices.append)
    assert "generated a new Ed25519 checkpoint signing key" in notices[0]
    led = Ledger(engine, checkpoint.CheckpointStore(tmp_path / "store"), key, maker)
    first = _seal(led, DAY, 0)
    assert first.day is not None and first.day.tree_size == 12
    with unit_of_work(make_sessionmaker(engine)) as session:
        for n in range(2):
            event(session, "produce", maker, f"EX-D2-{n}", site_id=mag, at=NEXT_DAY, minutes=n)
    second = _seal(led, None, 2)
    assert (first.checkpoint.n, second.checkpoint.n) == (1, 2)
    assert second.checkpoint.heads[maker] == (10, second.checkpoint.heads[maker][1])
    yield led
    engine.dispose()


def against_db(led: Ledger) -> verify.LedgerReport:
    """What the database says of itself, with no checkpoints."""
    with make_sessionmaker(led.engine)() as session:
        return verify.verify_all(session)


def against_store(led: Ledger, key: Ed25519PrivateKey | None = None) -> verify.LedgerReport:
    with make_sessionmaker(led.engine)() as session:
        trusted = (key or led.key).public_key()
        return checkpoint.verify_with_store(session, led.store, trusted)


def rehash(engine: Engine, enterprise_id: int) -> None:
    """Recompute a whole chain, its head and every sealed day's root, as an insider could."""
    with unit_of_work(make_sessionmaker(engine)) as session:
        prev = hashchain.GENESIS
        entries = session.scalars(
            select(LedgerEntry)
            .where(LedgerEntry.enterprise_id == enterprise_id)
            .order_by(LedgerEntry.seq)
        ).all()
        for e in entries:
            # The stored canonical bytes too: the insider rewrites every column that says
            # what an entry holds.
            data = hashchain.canonical(ledger.hashed_payload(e))
            new = hashchain.entry_hash_encoded(prev, data)
            session.execute(
                update(LedgerEntry)
                .where(LedgerEntry.id == e.id)
                .values(prev_hash=prev, hash=new, canonical=data.decode("utf-8"))
            )
            prev = new
        session.execute(
            update(ChainHead).where(ChainHead.enterprise_id == enterprise_id).values(hash=prev)
        )
        for root in session.scalars(select(DailyRoot)).all():
            tree = verify._tree(verify.day_leaves(session, root.day))
            session.execute(
                update(DailyRoot).where(DailyRoot.id == root.id).values(root=tree.root.hex())
            )


def test_day_a_checkpoint_pins_is_held_without_recomputing(
    led: Ledger, monkeypatch: pytest.MonkeyPatch
) -> None:
    recomputed: list[int] = []
    real = verify.merkle.root_hash

    def root_hash(leaves: Any) -> bytes:
        recomputed.append(len(leaves))
        return real(leaves)

    monkeypatch.setattr(verify.merkle, "root_hash", root_hash)
    report = against_store(led)
    assert report.ok and (report.roots, report.held) == (1, 1) and recomputed == []
    with make_sessionmaker(led.engine)() as session:
        full = checkpoint.verify_with_store(session, led.store, led.key.public_key(), full=True)
    assert full.ok and (full.roots, full.held) == (1, 0) and recomputed == [12]
    bare = against_db(led)  # no checkpoint to hold it: recomputed
    assert bare.ok and (bare.roots, bare.held) == (1, 0) and recomputed == [12, 12]


def _last_entry(session: Session, enterprise_id: int) -> LedgerEntry:
    last = session.scalars(
        select(LedgerEntry)
        .where(LedgerEntry.enterprise_id == enterprise_id)
        .order_by(LedgerEntry.seq.desc())
    ).first()
    assert last is not None
    return last


def _rewrite_newest(led: Ledger) -> None:
    """What an insider can do with the guard lifted: rewrite the maker's newest entry,
    re-hash it and move its head row to match."""
    with unit_of_work(make_sessionmaker(led.engine)) as session:
        last = _last_entry(session, led.maker)
        last.actor = "someone else"
        data = hashchain.canonical(ledger.hashed_payload(last))
        last.canonical = data.decode("utf-8")
        last.hash = hashchain.entry_hash_encoded(last.prev_hash, data)
        session.execute(
            update(ChainHead).where(ChainHead.enterprise_id == led.maker).values(hash=last.hash)
        )


def _backdate(led: Ledger) -> None:
    """What an insider can do: append a well-formed entry to a chain, hashed and chained, its
    head moved, but dated into the sealed day."""
    with unit_of_work(make_sessionmaker(led.engine)) as session:
        last = _last_entry(session, led.maker)
        columns = {c.key: getattr(last, c.key) for c in LedgerEntry.__table__.columns}
        del columns["id"]
        columns |= {"seq": last.seq + 1, "at": AT + timedelta(minutes=30), "prev_hash": last.hash}
        data = hashchain.canonical(ledger.hashed_payload(SimpleNamespace(**columns)))
        columns |= {
            "canonical": data.decode("utf-8"),
            "hash": hashchain.entry_hash_encoded(last.hash, data),
        }
        session.execute(insert(LedgerEntry), [columns])
        session.execute(
            update(ChainHead)
            .where(ChainHead.enterprise_id == led.maker)
            .values(seq=columns["seq"], hash=columns["hash"])
        )


def test_entry_backdated_into_a_held_day_is_caught(led: Ledger) -> None:
    # Every chain holds; the entry lies after the signed heads, and the day has one entry
    # more than its tree (either is enough): the day is recomputed.
    _backdate(led)
    assert against_db(led).reason == "root mismatch"  # no checkpoint: recomputed anyway
    report = against_store(led)
    assert (report.ok, report.day, report.reason) == (False, DAY, "root mismatch")


def test_entry_backdated_and_signed_into_a_held_day_is_caught(led: Ledger) -> None:
    # A checkpoint signed after it (here without the verification sealing runs first) pins
    # the entry too: the day then has one entry more than its tree, and is recomputed.
    _backdate(led)
    with make_sessionmaker(led.engine)() as session:
        led.store.append(
            checkpoint.ledger_state(session), led.key, at=NEXT_DAY + timedelta(hours=5)
        )
    report = against_store(led)
    assert report.checkpoints == 3
    assert (report.ok, report.day, report.reason) == (False, DAY, "root mismatch")


def test_sealed_entry_after_the_signed_heads_is_not_held(
    led: Ledger, monkeypatch: pytest.MonkeyPatch
) -> None:
    # An entry of the day comes in while the day is being sealed, after sealing verified the
    # ledger (on a server whose clock is behind): the root has it, the signed heads do not.
    # Changed later, with its chain's tail re-hashed, every chain still holds and the day
    # still has as many entries as its tree: it must be recomputed all the same, which fails.
    day = DAY + timedelta(days=1)
    real = verify.seal_day

    def racing(session: Session, sealed_day: date, *, now: Any = None) -> DailyRoot:
        with unit_of_work(make_sessionmaker(led.engine)) as other:
            site = other.scalar(
                select(LedgerEntry.site_id).where(LedgerEntry.enterprise_id == led.maker)
            )
            event(other, "produce", led.maker, "EX-LATE", site_id=site, at=NEXT_DAY)
        return real(session, sealed_day, now=now)

    monkeypatch.setattr(verify, "seal_day", racing)
    sealed = _seal(led, day, 24)
    monkeypatch.setattr(verify, "seal_day", real)
    assert sealed.day is not None and sealed.day.tree_size == 3
    assert sealed.checkpoint.heads[led.maker][0] == 10  # the entry, seq 11, is not signed
    report = against_store(led)
    assert report.ok and (report.roots, report.held) == (2, 1)
    tamper(led.engine)
    _rewrite_newest(led)
    report = against_store(led)
    assert (report.ok, report.day, report.reason) == (False, day, "root mismatch")


def _move_head_back(led: Ledger) -> None:
    """The maker's head row set back one entry: nothing guards the head table."""
    with unit_of_work(make_sessionmaker(led.engine)) as session:
        last = _last_entry(session, led.maker)
        session.execute(
            update(ChainHead)
            .where(ChainHead.enterprise_id == led.maker)
            .values(seq=last.seq - 1, hash=last.prev_hash)
        )


def test_entries_after_the_head_are_named_and_not_signed(led: Ledger) -> None:
    # An insider moves a head row back to keep the entries after it out of the next
    # checkpoint's heads: verification names the first of them, and sealing refuses.
    _move_head_back(led)
    for report in (against_db(led), against_store(led)):
        assert (report.ok, report.enterprise_id, report.first_bad_seq, report.reason) == (
            False,
            led.maker,
            10,
            "after the head",
        )
    refused = checkpoint.seal(
        make_sessionmaker(led.engine),
        store=led.store,
        key=led.key,
        now=NEXT_DAY + timedelta(hours=3),
    )
    assert isinstance(refused, verify.LedgerReport) and refused.reason == "after the head"


def test_seal_signs_what_it_verified(led: Ledger, monkeypatch: pytest.MonkeyPatch) -> None:
    # Right after sealing's verification, an insider rewrites the newest entry, its head row
    # and the sealed day's root: the checkpoint signs the heads and the root that were
    # verified, so the rewrite is caught (before, the rows read again afterwards were
    # signed, and with them the rewrite).
    verified = against_store(led)
    with make_sessionmaker(led.engine)() as session:
        day_root = session.scalars(select(DailyRoot).where(DailyRoot.day == DAY)).one()
        pinned_root = (DAY, day_root.tree_size, day_root.root)
    real = checkpoint.verify_with_store

    def then_rewritten(*args: Any, **kwargs: Any) -> verify.LedgerReport:
        report = real(*args, **kwargs)
        tamper(led.engine, f"UPDATE hazmat_daily_root SET root = '{'0' * 64}'")
        _rewrite_newest(led)
        return report

    monkeypatch.setattr(checkpoint, "verify_with_store", then_rewritten)
    sealed = _seal(led, None, 4)
    monkeypatch.setattr(checkpoint, "verify_with_store", real)
    assert sealed.checkpoint.heads[led.maker] == verified.ends[led.maker]
    assert sealed.checkpoint.root == pinned_root
    report = against_store(led)
    assert (report.ok, report.enterprise_id, report.first_bad_seq) == (False, led.maker, 10)


@pytest.mark.parametrize("pin", ["head", "root"])
def test_checkpoints_that_disagree_break_the_store(led: Ledger, pin: str) -> None:
    # A later checkpoint is no later word on what an earlier one pinned.
    with make_sessionmaker(led.engine)() as session:
        state = checkpoint.ledger_state(session)
    if pin == "head":
        next(h for h in state["heads"] if h[0] == led.maker)[2] = "0" * 64
        why = f"enterprise {led.maker} seq 10 pinned to another hash before"
    else:
        state["root"]["root"] = "1" * 64
        why = f"{DAY.isoformat()} pinned to another root before"
    led.store.append(state, led.key, at=NEXT_DAY + timedelta(hours=5))
    report = against_store(led)
    assert (report.ok, report.checkpoint) == (False, 3)
    assert why in (report.reason or ""), report.reason


def test_entries_appended_while_verifying_are_no_alarm(
    led: Ledger, monkeypatch: pytest.MonkeyPatch
) -> None:
    # An entry committed after the heads were read and before the entries are: a fresh
    # session reads one snapshot (PostgreSQL: REPEATABLE READ) and does not see it; one
    # whose transaction began at READ COMMITTED sees it after the head it read, and finds
    # the head row moved there too: appended, not tampered with.
    real = verify._sealed_roots
    appended: list[int] = []

    def with_an_append(session: Session) -> Any:
        with unit_of_work(make_sessionmaker(led.engine)) as other:
            site = other.scalar(
                select(LedgerEntry.site_id).where(LedgerEntry.enterprise_id == led.maker)
            )
            at = NEXT_DAY + timedelta(hours=2)  # today: in no sealed day
            event(other, "produce", led.maker, f"EX-NEW-{len(appended)}", site_id=site, at=at)
        appended.append(1)
        return real(session)

    monkeypatch.setattr(verify, "_sealed_roots", with_an_append)
    with make_sessionmaker(led.engine)() as session:
        snapshot = verify.verify_all(session)
    assert snapshot.ok and snapshot.entries == 14, snapshot
    with make_sessionmaker(led.engine)() as session:
        begin_read_only(session)  # PostgreSQL: READ COMMITTED; SQLite: one snapshot anyway
        session.execute(select(ChainHead.id)).all()  # the transaction has begun
        begun = verify.verify_all(session)
    snapshotted = led.engine.dialect.name == "sqlite"  # SQLite reads one snapshot anyway
    assert begun.ok and begun.entries == (15 if snapshotted else 16), begun


def test_intact_ledger_holds_against_every_checkpoint(led: Ledger) -> None:
    report = against_store(led)
    assert report.ok and report.checkpoints == 2 and report.entries == 14


def test_cut_tail_with_moved_head_is_caught_by_the_checkpoint(led: Ledger) -> None:
    m = led.maker
    tamper(
        led.engine,
        f"DELETE FROM hazmat_ledger_entry WHERE enterprise_id = {m} AND seq = 10",
        "UPDATE hazmat_chain_head SET seq = 9, hash = (SELECT hash FROM hazmat_ledger_entry "
        f"WHERE enterprise_id = {m} AND seq = 9) WHERE enterprise_id = {m}",
    )
    assert against_db(led).ok  # the database alone cannot tell
    report = against_store(led)
    assert (report.ok, report.enterprise_id, report.first_bad_seq) == (False, m, 10)
    assert report.reason == "truncated (a signed checkpoint holds seq 10)"


@pytest.mark.parametrize(
    ("seq", "named", "intact"),
    [(3, 8, 0), (9, 10, 8)],
    ids=["in-a-sealed-day", "after-the-last-seal"],
)
def test_whole_chain_rehashed_is_caught_by_the_checkpoint(
    led: Ledger, seq: int, named: int, intact: int
) -> None:
    m = led.maker
    tamper(
        led.engine,
        f"UPDATE hazmat_ledger_entry SET actor = 'x' WHERE enterprise_id = {m} AND seq = {seq}",
    )
    assert not against_db(led).ok
    rehash(led.engine, m)
    assert against_db(led).ok  # consistent again: chain, head and day root recomputed
    report = against_store(led)
    assert (report.ok, report.enterprise_id, report.first_bad_seq) == (False, m, named)
    assert report.reason == f"differs from a signed checkpoint (rewritten after seq {intact})"


def test_rewritten_day_root_is_caught_by_the_checkpoint(led: Ledger) -> None:
    tamper(led.engine, "DELETE FROM hazmat_daily_root")
    assert against_db(led).ok
    report = against_store(led)
    assert (report.ok, report.day, report.reason) == (False, DAY, "root missing")


def _lines(led: Ledger) -> tuple[Path, list[dict[str, object]]]:
    (path,) = led.store.files()
    return path, [json.loads(line) for line in path.read_text().splitlines()]


def _write(path: Path, records: list[dict[str, object]]) -> None:
    path.write_bytes(b"".join(hashchain.canonical(r) + b"\n" for r in records))


def test_tampered_signature_is_caught(led: Ledger) -> None:
    path, records = _lines(led)
    sig = str(records[1]["sig"])
    records[1]["sig"] = ("0" if sig[0] != "0" else "1") + sig[1:]
    _write(path, records)
    report = against_store(led)
    assert (report.ok, report.checkpoint) == (False, 2)
    assert report.reason == f"{path.name}:2: bad signature"


def test_checkpoint_body_altered_under_its_signature_is_caught(led: Ledger) -> None:
    path, records = _lines(led)
    pristine = copy.deepcopy(records)
    heads = records[0]["heads"]
    assert isinstance(heads, list)
    heads[0][1] = 1  # pin an earlier seq, so a cut tail would pass
    _write(path, records)
    report = against_store(led)
    assert (report.ok, report.checkpoint) == (False, 1)
    assert report.reason == f"{path.name}:1: heads do not match their signed root"
    pristine[1]["at"] = "2026-11-02T00:00:00.000000Z"
    _write(path, pristine)
    assert against_store(led).reason == f"{path.name}:2: bad signature"


def test_removed_checkpoint_and_foreign_key_are_caught(led: Ledger) -> None:
    path, records = _lines(led)
    _write(path, records[1:])
    report = against_store(led)
    assert report.reason == f"{path.name}:1: broken link (a checkpoint removed?)"
    _write(path, records)
    forger = Ed25519PrivateKey.generate()
    assert "signed by another key" in str(against_store(led, forger).reason)


def test_seal_refuses_to_sign_a_broken_ledger_or_extend_a_broken_store(led: Ledger) -> None:
    path, records = _lines(led)
    tamper(led.engine, "UPDATE hazmat_ledger_entry SET actor = 'x' WHERE seq = 9")
    outcome = checkpoint.seal(
        make_sessionmaker(led.engine), store=led.store, key=led.key, now=NEXT_DAY
    )
    assert isinstance(outcome, verify.LedgerReport) and outcome.reason == "altered"
    assert len(path.read_text().splitlines()) == 2
    records[0]["sig"] = "00" * 64
    _write(path, records)
    with pytest.raises(checkpoint.StoreBroken):
        led.store.append({"heads": [], "root": None}, led.key, at=NEXT_DAY)


def _export(led: Ledger) -> dict[str, Any]:
    with unit_of_work(make_sessionmaker(led.engine)) as session:
        pinned = led.store.read(led.key.public_key())
        data = service.export_ledger(
            session, actor=REG, enterprise_id=led.maker, checkpoints=pinned
        )
    return dict(json.loads(json.dumps(data)))  # as it travels


def test_regulator_holds_an_export_against_its_signed_checkpoints_offline(led: Ledger) -> None:
    data, public = _export(led), led.key.public_key()
    report = checkpoint.verify_export(data, public)
    assert (report.ok, report.checkpoints) == (True, 2)
    assert all("heads" not in cp["signed"] for cp in data["checkpoints"])  # no one else's head
    moved = copy.deepcopy(data)
    moved["checkpoints"][1]["head"][0] = 9
    assert checkpoint.verify_export(moved, public).reason == "head not in the signed heads"
    resigned = copy.deepcopy(data)
    resigned["checkpoints"][0]["signed"]["root"] = None
    assert checkpoint.verify_export(resigned, public).reason == "bad signature"
    forger = Ed25519PrivateKey.generate().public_key()
    assert checkpoint.verify_export(data, forger).reason == "signed by another key"
    assert not checkpoint.verify_export(data, None).ok
    # The ledger rewritten and re-hashed, then exported again: consistent in itself only.
    tamper(
        led.engine,
        f"UPDATE hazmat_ledger_entry SET actor = 'x' WHERE enterprise_id = {led.maker} AND seq = 3",
    )
    rehash(led.engine, led.maker)
    again = _export(led)
    assert verify.verify_export(again).ok
    caught = checkpoint.verify_export(again, public)
    assert (caught.ok, caught.enterprise_id, caught.first_bad_seq) == (False, led.maker, 8)
    assert caught.reason == "differs from a signed checkpoint (rewritten after seq 0)"


def test_export_through_the_api_carries_the_checkpoints(
    led: Ledger, fresh_url: str, tmp_path: Path
) -> None:
    with running_app(
        fresh_url,
        ledger_checkpoint_dir=led.store.directory,
        ledger_signing_key=tmp_path / "keys" / "signing.key",
    ) as app:
        headers = app.headers(app.token("reg9", role="regulator", division="610500"))
        resp = app.client.get(
            f"/api/v1/hazmat/enterprises/{led.maker}/ledger/export", headers=headers
        )
        assert resp.status_code == 200, resp.text
        assert len(resp.json()["checkpoints"]) == 2
        assert checkpoint.verify_export(resp.json(), led.key.public_key()).ok
        path, records = _lines(led)
        records[0]["sig"] = "00" * 64
        _write(path, records)
        broken = app.client.get(
            f"/api/v1/hazmat/enterprises/{led.maker}/ledger/export", headers=headers
        )
        assert broken.status_code == 409


def test_cli_seal_and_verify(
    led: Ledger, fresh_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("ZHIAN_DATABASE_URL", fresh_url)
    monkeypatch.setenv("ZHIAN_LEDGER_CHECKPOINT_DIR", str(led.store.directory))
    monkeypatch.setenv("ZHIAN_LEDGER_SIGNING_KEY", str(tmp_path / "keys" / "signing.key"))
    sealed = CliRunner().invoke(cli, ["ledger", "seal"])
    assert sealed.exit_code == 0, sealed.output
    assert "checkpoint 3 signed (2 chains)" in sealed.output
    good = CliRunner().invoke(cli, ["ledger", "verify"])
    assert good.exit_code == 0, good.output
    assert (
        "14 entries, 1 daily roots (1 held by signed checkpoints, 0 recomputed), "
        "3 signed checkpoints"
    ) in good.output
    full = CliRunner().invoke(cli, ["ledger", "verify", "--full"])
    assert full.exit_code == 0, full.output
    assert "(0 held by signed checkpoints, 1 recomputed)" in full.output
    m = led.maker
    tamper(
        led.engine,
        f"DELETE FROM hazmat_ledger_entry WHERE enterprise_id = {m} AND seq = 10",
        "UPDATE hazmat_chain_head SET seq = 9, hash = (SELECT hash FROM hazmat_ledger_entry "
        f"WHERE enterprise_id = {m} AND seq = 9) WHERE enterprise_id = {m}",
    )
    bad = CliRunner().invoke(cli, ["ledger", "verify"])
    assert bad.exit_code == 1
    assert f"enterprise {m} entry seq=10: truncated" in bad.output
    refused = CliRunner().invoke(cli, ["ledger", "seal"])
    assert refused.exit_code == 1 and "refusing to sign" in refused.output


def test_first_seal_from_the_cli_makes_the_key(
    led: Ledger, fresh_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("ZHIAN_DATABASE_URL", fresh_url)
    monkeypatch.setenv("ZHIAN_LEDGER_CHECKPOINT_DIR", str(tmp_path / "elsewhere"))
    monkeypatch.setenv("ZHIAN_LEDGER_SIGNING_KEY", str(tmp_path / "new" / "k.pem"))
    first = CliRunner().invoke(cli, ["ledger", "seal"])
    assert first.exit_code == 0, first.output
    assert "generated a new Ed25519 checkpoint signing key" in first.output
    assert (tmp_path / "new" / "k.pem.pub").exists()
    assert oct((tmp_path / "new" / "k.pem").stat().st_mode & 0o777) == "0o600"
    again = CliRunner().invoke(cli, ["ledger", "seal"])
    assert "generated" not in again.output and "checkpoint 2 signed" in again.output

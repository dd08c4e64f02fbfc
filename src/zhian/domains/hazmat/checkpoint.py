"""Signed checkpoints of the custody ledger, kept outside the database.

Whoever can write the database can cut the tail off a chain and move its head back, or alter
an entry and re-hash everything after it (and the day's Merkle root): the chain then verifies.
A checkpoint pins what the ledger was: every enterprise's head (seq, hash), the latest sealed
day's root, the time, signed with an Ed25519 key, appended to a directory of JSON lines files
on other storage (a write-once share, another host). Verification then requires every pinned
head to still be on its chain with the same hash, and every pinned root to be unchanged.

One checkpoint is one line, the canonical JSON (:func:`zhian.core.hashchain.canonical`) of::

    {"v": 1, "n": 7, "prev": <SHA-256 hex of line 6>, "at": "2026-11-02T01:00:00.000000Z",
     "heads_root": <hex>, "heads_size": 2, "root": {"day", "tree_size", "root"} | null,
     "key": <key id>, "heads": [[enterprise_id, seq, hash], ...], "sig": <hex>}

``sig`` is the Ed25519 signature of ``DOMAIN || canonical(line without sig and heads)``; the
heads are bound to it by ``heads_root``, the RFC 6962 root over one leaf per head (the leaf
data of :func:`zhian.domains.hazmat.verify.leaf_data`), in enterprise order. So an export
for one enterprise carries the signed part, its own head and an inclusion proof
(:func:`for_export`), and a regulator checks it offline with the public key
(:func:`verify_export`), without learning any other enterprise's head.

Lines chain by ``prev`` and count up by ``n``, so a line removed or reordered in the store is
found too; cutting the store's own tail is not (keep copies, or a write-once medium). A thief
of the signing key can forge checkpoints: keep it off the database host.
"""

from __future__ import annotations

import fcntl
import hashlib
import json
import os
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path
from typing import Any

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from zhian.core import hashchain, merkle
from zhian.core.db import unit_of_work
from zhian.core.errors import Conflict
from zhian.core.settings import Settings
from zhian.core.time import as_utc, utcnow
from zhian.domains.hazmat import verify
from zhian.domains.hazmat.models import ChainHead, DailyRoot

VERSION = 1
DOMAIN = b"zhian.ledger.checkpoint.v1\x00"
PATTERN = "checkpoints-*.jsonl"


@dataclass(frozen=True, slots=True)
class Checkpoint:
    """One verified line of the store."""

    n: int
    at: str
    heads: dict[int, tuple[int, str]]
    root: tuple[date, int, str] | None
    where: str
    line_hash: str = field(repr=False)
    signed: dict[str, Any] = field(default_factory=dict, repr=False)
    sig: str = field(default="", repr=False)


class StoreBroken(Exception):
    """The checkpoint store itself fails verification (a line altered, removed, forged)."""

    def __init__(self, n: int, where: str, reason: str) -> None:
        super().__init__(f"checkpoint {n} ({where}): {reason}")
        self.n, self.where, self.reason = n, where, reason


# -- keys ----------------------------------------------------------------------------------


def key_id(public: Ed25519PublicKey) -> str:
    """A short name of a public key: the first 16 hex digits of SHA-256 of its raw bytes."""
    raw = public.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
    return hashlib.sha256(raw).hexdigest()[:16]


def public_path(signing_key: Path) -> Path:
    """Where the public half of a signing key is written."""
    return signing_key.with_name(signing_key.name + ".pub")


def signing_key(path: Path, *, notice: Callable[[str], None]) -> Ed25519PrivateKey:
    """The checkpoint signing key, made (with its public half) on first use."""
    if path.exists():
        key = serialization.load_pem_private_key(path.read_bytes(), password=None)
        if not isinstance(key, Ed25519PrivateKey):
            raise ValueError(f"{path} is not an Ed25519 private key")
        return key
    key = Ed25519PrivateKey.generate()
    path.parent.mkdir(parents=True, exist_ok=True)
    pem = key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "wb") as out:
        out.write(pem)
    public_path(path).write_bytes(
        key.public_key().public_bytes(
            serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
        )
    )
    notice(
        f"generated a new Ed25519 checkpoint signing key at {path} "
        f"(key id {key_id(key.public_key())}, public key {public_path(path)}): "
        "back it up and keep it off the database host"
    )
    return key


def verify_key(path: Path) -> Ed25519PublicKey:
    """A checkpoint verification key (PEM public key)."""
    key = serialization.load_pem_public_key(path.read_bytes())
    if not isinstance(key, Ed25519PublicKey):
        raise ValueError(f"{path} is not an Ed25519 public key")
    return key


def trusted_key(settings: Settings) -> Ed25519PublicKey | None:
    """The key checkpoints are verified with (``ledger_verify_key``, else the signing key's
    public half), or None when there is none yet."""
    path = settings.ledger_verify_key or public_path(settings.ledger_signing_key)
    return verify_key(path) if path.exists() else None


def stored(settings: Settings) -> list[Checkpoint]:
    """Every checkpoint of the configured store, verified; a broken store is a Conflict."""
    store = CheckpointStore(settings.ledger_checkpoint_dir)
    if not store.files():
        return []
    key = trusted_key(settings)
    if key is None:
        raise Conflict("检查点存储无验证公钥", field="ledger_verify_key")
    try:
        return store.read(key)
    except StoreBroken as exc:
        raise Conflict(f"检查点存储校验失败：{exc}") from None


# -- the store -----------------------------------------------------------------------------


def _line_hash(line: bytes) -> str:
    return hashlib.sha256(line).hexdigest()


def heads_tree(heads: list[list[Any]]) -> merkle.MerkleTree:
    """The Merkle tree over a checkpoint's heads, one leaf per (enterprise, seq, hash)."""
    return merkle.MerkleTree(merkle.hash_leaves(verify.leaf_data(e, s, h) for e, s, h in heads))


def _signed_part(record: Mapping[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in record.items() if k not in ("sig", "heads")}


def _parse(record: Mapping[str, Any], where: str, line_hash: str) -> Checkpoint:
    heads = {int(e): (int(s), str(h)) for e, s, h in record["heads"]}
    root = record["root"]
    pinned = (
        (date.fromisoformat(root["day"]), int(root["tree_size"]), str(root["root"]))
        if root is not None
        else None
    )
    return Checkpoint(
        n=int(record["n"]),
        at=str(record["at"]),
        heads=heads,
        root=pinned,
        where=where,
        line_hash=line_hash,
        signed=_signed_part(record),
        sig=str(record["sig"]),
    )


class CheckpointStore:
    """An append-only directory of JSON lines files, one file per month of checkpoints."""

    def __init__(self, directory: Path) -> None:
        self.directory = directory

    def files(self) -> list[Path]:
        """The store's files, oldest first."""
        return sorted(self.directory.glob(PATTERN)) if self.directory.is_dir() else []

    def read(self, key: Ed25519PublicKey) -> list[Checkpoint]:
        """Every checkpoint, each line's signature, number and link checked; else StoreBroken."""
        trusted = key_id(key)
        prev, expected = hashchain.GENESIS, 1
        out: list[Checkpoint] = []
        for path in self.files():
            for number, line in enumerate(path.read_bytes().splitlines(), start=1):
                where = f"{path.name}:{number}"
                try:
                    record = json.loads(line)
                    body = _signed_part(record)
                    signature = bytes.fromhex(record["sig"])
                    n, link, signer = record["n"], record["prev"], record["key"]
                    tree = heads_tree(record["heads"])
                except (ValueError, TypeError, KeyError, AttributeError):
                    raise StoreBroken(expected, where, "malformed line") from None
                if signer != trusted:
                    raise StoreBroken(expected, where, f"signed by another key ({signer})")
                try:
                    key.verify(signature, DOMAIN + hashchain.canonical(body))
                except InvalidSignature:
                    raise StoreBroken(expected, where, "bad signature") from None
                if n != expected or link != prev:
                    raise StoreBroken(expected, where, "broken link (a checkpoint removed?)")
                if (tree.root.hex(), tree.size) != (body.get("heads_root"), body.get("heads_size")):
                    raise StoreBroken(expected, where, "heads do not match their signed root")
                try:
                    out.append(_parse(record, where, _line_hash(line)))
                except (ValueError, TypeError, KeyError):
                    raise StoreBroken(expected, where, "malformed line") from None
                prev, expected = _line_hash(line), expected + 1
        return out

    @contextmanager
    def _locked(self) -> Iterator[None]:
        self.directory.mkdir(parents=True, exist_ok=True)
        with open(self.directory / ".lock", "a") as lock:
            fcntl.flock(lock, fcntl.LOCK_EX)
            try:
                yield
            finally:
                fcntl.flock(lock, fcntl.LOCK_UN)

    def append(
        self, state: Mapping[str, Any], key: Ed25519PrivateKey, *, at: datetime
    ) -> Checkpoint:
        """Sign a ledger state (:func:`signed_state`) and append it, durably, as the next line."""
        with self._locked():
            existing = self.read(key.public_key())
            last = existing[-1] if existing else None
            tree = heads_tree(state["heads"])
            body = {
                "v": VERSION,
                "n": (last.n if last else 0) + 1,
                "prev": last.line_hash if last else hashchain.GENESIS,
                "at": as_utc(at),
                "heads_root": tree.root.hex(),
                "heads_size": tree.size,
                "root": state["root"],
                "key": key_id(key.public_key()),
            }
            signature = key.sign(DOMAIN + hashchain.canonical(body))
            line = hashchain.canonical({**body, "heads": state["heads"], "sig": signature.hex()})
            path = self.directory / f"checkpoints-{as_utc(at):%Y-%m}.jsonl"
            new = not path.exists()
            with open(path, "ab") as out:
                out.write(line + b"\n")
                out.flush()
                os.fsync(out.fileno())
            if new:
                dir_fd = os.open(self.directory, os.O_RDONLY)
                try:
                    os.fsync(dir_fd)
                finally:
                    os.close(dir_fd)
            where = f"{path.name}:{len(path.read_bytes().splitlines())}"
            return _parse(json.loads(line), where, _line_hash(line))


# -- the ledger side -----------------------------------------------------------------------


def ledger_state(session: Session) -> dict[str, Any]:
    """What a checkpoint would pin of the rows as they are: every enterprise's head and the
    latest sealed day's root (:func:`seal` signs what it verified instead)."""
    heads = session.execute(select(ChainHead.enterprise_id, ChainHead.seq, ChainHead.hash)).all()
    root = session.scalars(select(DailyRoot).order_by(DailyRoot.day.desc()).limit(1)).first()
    return signed_state(
        {int(e): (int(s), str(h)) for e, s, h in heads},
        (root.day, root.tree_size, root.root) if root is not None else None,
    )


def signed_state(
    ends: Mapping[int, tuple[int, str]], root: tuple[date, int, str] | None
) -> dict[str, Any]:
    """A checkpoint's body as the store signs it: each chain's head (seq, hash) by enterprise,
    those with an entry, and a sealed day's (day, tree size, root)."""
    return {
        "heads": [[e, seq, head] for e, (seq, head) in sorted(ends.items()) if seq],
        "root": (
            {"day": root[0].isoformat(), "tree_size": root[1], "root": root[2]}
            if root is not None
            else None
        ),
    }


def pins(checkpoints: list[Checkpoint]) -> verify.Pins:
    """The heads and roots every checkpoint pins, merged for :func:`verify.verify_all`; a
    checkpoint that pins another hash at a seq, or another root for a day, than an earlier
    one did is a broken store (StoreBroken), not a later word."""
    heads: dict[int, dict[int, str]] = {}
    roots: dict[date, tuple[int, str]] = {}
    for cp in checkpoints:
        for enterprise_id, (seq, head_hash) in cp.heads.items():
            pinned = heads.setdefault(enterprise_id, {})
            if pinned.setdefault(seq, head_hash) != head_hash:
                why = f"enterprise {enterprise_id} seq {seq} pinned to another hash before"
                raise StoreBroken(cp.n, cp.where, why)
        if cp.root is not None:
            day, root = cp.root[0], (cp.root[1], cp.root[2])
            if roots.setdefault(day, root) != root:
                raise StoreBroken(cp.n, cp.where, f"{day} pinned to another root before")
    return verify.Pins(heads=heads, roots=roots, checkpoints=len(checkpoints))


def verify_with_store(
    session: Session, store: CheckpointStore, key: Ed25519PublicKey | None, *, full: bool = False
) -> verify.LedgerReport:
    """The whole ledger verified, and held against every signed checkpoint of the store
    (``full``: see :func:`verify.verify_all`)."""
    if not store.files():
        return verify.verify_all(session, full=full)
    if key is None:
        return verify.LedgerReport(ok=False, reason="checkpoints found but no key to verify them")
    try:
        pinned = pins(store.read(key))
    except StoreBroken as exc:
        return verify.LedgerReport(ok=False, checkpoint=exc.n, reason=f"{exc.where}: {exc.reason}")
    return verify.verify_all(session, pinned=pinned, full=full)


@dataclass(frozen=True, slots=True)
class Sealed:
    """What :func:`seal` did: the day's root (if a day was sealed) and the new checkpoint."""

    day: DailyRoot | None
    checkpoint: Checkpoint


def seal(
    factory: sessionmaker[Session],
    *,
    store: CheckpointStore,
    key: Ed25519PrivateKey,
    day: date | None = None,
    now: datetime | None = None,
) -> Sealed | verify.LedgerReport:
    """Verify the ledger against the store, seal a day if given, then sign a checkpoint.

    Each step is its own transaction, and the checkpoint is written after the seal commits, so
    the store never pins a root the database does not hold. A ledger that fails verification
    is not signed: the failing report is returned instead. What is signed is what was
    checked, in full (every sealed day's root recomputed, none held by an earlier
    checkpoint), or computed here: the heads are where the verification found each chain to
    end, and the root is the one this seal computed (or, sealing no day, the newest root the
    verification recomputed), never rows read again afterwards, which anyone writing to the
    database could have changed meanwhile. Entries appended after the verification are in
    no signed head, and a sealed day holding one is recomputed by every verification.
    """
    when = now or utcnow()
    with factory() as session:
        report = verify_with_store(session, store, key.public_key(), full=True)
    if not report.ok:
        return report
    sealed: DailyRoot | None = None
    root = report.newest
    if day is not None:
        with unit_of_work(factory) as session:
            sealed = verify.seal_day(session, day, now=when)
            root = (sealed.day, sealed.tree_size, sealed.root)
    checkpoint = store.append(signed_state(report.ends, root), key, at=when)
    return Sealed(day=sealed, checkpoint=checkpoint)


# -- exports a regulator verifies offline ----------------------------------------------------


def for_export(checkpoints: list[Checkpoint], enterprise_id: int) -> list[dict[str, Any]]:
    """The checkpoints pinning one enterprise's chain: the signed part, the signature, the
    enterprise's head and its inclusion proof in the signed heads root."""
    out = []
    for cp in checkpoints:
        if enterprise_id not in cp.heads:
            continue
        heads = [[e, s, h] for e, (s, h) in cp.heads.items()]
        index = list(cp.heads).index(enterprise_id)
        seq, head = cp.heads[enterprise_id]
        out.append(
            {
                "signed": cp.signed,
                "sig": cp.sig,
                "head": [seq, head],
                "index": index,
                "path": [p.hex() for p in heads_tree(heads).inclusion_proof(index)],
            }
        )
    return out


def _check_exported(cp: Mapping[str, Any], enterprise_id: int, key: Ed25519PublicKey) -> str:
    # The reason an exported checkpoint is not to be trusted, or "" if it is.
    signed = cp["signed"]
    if signed.get("key") != key_id(key):
        return "signed by another key"
    try:
        key.verify(bytes.fromhex(cp["sig"]), DOMAIN + hashchain.canonical(signed))
    except InvalidSignature:
        return "bad signature"
    seq, head = cp["head"]
    leaf = merkle.leaf_hash(verify.leaf_data(enterprise_id, int(seq), str(head)))
    path = [bytes.fromhex(p) for p in cp["path"]]
    root = bytes.fromhex(signed["heads_root"])
    if not merkle.verify_inclusion(leaf, cp["index"], signed["heads_size"], path, root):
        return "head not in the signed heads"
    return ""


def verify_export(data: Mapping[str, Any], key: Ed25519PublicKey | None) -> verify.LedgerReport:
    """The standalone verifier: an exported ledger's chain, head and inclusion proofs
    (:func:`verify.verify_export`), held against the signed checkpoints it carries."""
    report = verify.verify_export(data)
    exported = data.get("checkpoints") or []
    if not report.ok or not exported:
        return report
    if key is None:
        return verify.LedgerReport(ok=False, reason="signed checkpoints but no key to check them")
    enterprise_id = int(data["enterprise"]["id"])
    wanted: dict[int, str] = {}
    for number, cp in enumerate(exported, start=1):
        try:
            why = _check_exported(cp, enterprise_id, key)
            seq, head = int(cp["head"][0]), str(cp["head"][1])
        except (KeyError, TypeError, ValueError, AttributeError):
            why = "malformed checkpoint"
        if why:
            return verify.LedgerReport(ok=False, checkpoint=number, reason=why)
        wanted[seq] = head
    seen = {int(e["seq"]): str(e["hash"]) for e in data["entries"]}
    bad_seq, reason = verify.against_pins(wanted, seen, max(seen, default=0))
    return verify.LedgerReport(
        ok=reason is None,
        entries=report.entries,
        roots=report.roots,
        enterprise_id=enterprise_id if reason else None,
        first_bad_seq=bad_seq,
        reason=reason,
        checkpoints=len(exported),
    )

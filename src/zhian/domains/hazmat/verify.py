"""Proofs over the custody ledger: daily Merkle roots, inclusion proofs, whole-ledger
verification, and the export a regulator checks with no database.

A day's tree (Asia/Shanghai days) has one leaf per entry recorded that day, over every
enterprise, ordered by (enterprise, seq); a leaf's data is the canonical encoding of
``{"enterprise_id", "seq", "hash"}``, hashed the RFC 6962 way by :mod:`zhian.core.merkle`.
Signed checkpoints kept outside the database (:mod:`zhian.domains.hazmat.checkpoint`) come
in as :class:`Pins`: heads and roots the ledger must still hold.

Every entry's stored bytes are hashed and its typed columns compared with them. On SQLite
with the hash chain's functions loaded (:func:`zhian.core.db.hashchain_in_sqlite`), both
happen in the database as it reads the row (``CHECKED_IN_SQLITE``) and Python only links the
chains; elsewhere the bytes are hashed in Python and the database renders the columns as the
canonical encoding writes them (``SAME``). Either way a row the database does not find equal
is judged again in Python before it is called altered.
"""

from __future__ import annotations

import hashlib
from bisect import bisect_right
from collections.abc import Collection, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import date, datetime, time, timedelta
from typing import Any, cast

from sqlalchemy import Engine, String, literal_column, select, type_coerce
from sqlalchemy.orm import Session

from zhian.core import hashchain, merkle
from zhian.core.db import begin_read_only, hashchain_in_sqlite
from zhian.core.errors import Conflict, NotFound
from zhian.core.time import SHANGHAI, as_utc, local, utcnow
from zhian.domains.hazmat.ledger import SCALE, hashed_payload
from zhian.domains.hazmat.models import ChainHead, DailyRoot, Enterprise, LedgerEntry

EXPORT_VERSION = 1
_PLACES = -int(SCALE.as_tuple().exponent)  # a quantity's decimals
HASHED_COLUMNS = (
    LedgerEntry.enterprise_id,
    LedgerEntry.seq,
    LedgerEntry.prev_hash,
    LedgerEntry.hash,
    LedgerEntry.event,
    LedgerEntry.item_id,
    LedgerEntry.from_enterprise_id,
    LedgerEntry.to_enterprise_id,
    LedgerEntry.site_id,
    LedgerEntry.quantity,
    LedgerEntry.actor_id,
    LedgerEntry.actor,
    LedgerEntry.at,
    LedgerEntry.reference,
    LedgerEntry.payload,
)


@dataclass(frozen=True, slots=True)
class LedgerReport:
    """The outcome of a verification: ok, or the first bad entry (or day) and why."""

    ok: bool
    entries: int = 0
    roots: int = 0
    enterprise_id: int | None = None
    first_bad_seq: int | None = None
    day: date | None = None
    reason: str | None = None
    checkpoints: int = 0
    checkpoint: int | None = None  # the bad line of the checkpoint store, if it is the store
    root_id: int | None = None  # a stored daily root whose day is not a day
    entry_id: int | None = None  # an entry that is no enterprise's, named by its row
    held: int = 0  # of ``roots``, those a signed checkpoint holds (see _verify_roots)
    # Where each chain was found to end, (seq, hash) by enterprise, and the newest sealed
    # day's (day, tree size, root): what a checkpoint signs.
    ends: Mapping[int, tuple[int, str]] = field(default_factory=dict)
    newest: tuple[date, int, str] | None = None


class UnreadableEntry(Conflict):
    """An entry whose enterprise, seq or hash is not of its kind (only someone writing to the
    table behind the application can put one there): no day's tree can place it."""

    def __init__(self, entry_id: int, enterprise_id: Any, seq: Any) -> None:
        super().__init__(
            f"账本记录 id={entry_id}（企业 {enterprise_id!r}，序号 {seq!r}）已被改动，"
            "无法放入默克尔树"
        )
        self.entry_id = entry_id


class EntryNotInTree(Conflict):
    """An entry its sealed day's tree does not hold where its instant says it belongs."""

    def __init__(self, entry: LedgerEntry, day: date) -> None:
        super().__init__(
            f"企业 {entry.enterprise_id} 序号 {entry.seq} 的账本记录（id={entry.id}）"
            f"不在 {day.isoformat()} 的默克尔树中：记录已被改动"
        )
        self.entry_id = entry.id


@dataclass(frozen=True, slots=True)
class SealedRoot:
    """A stored daily root as verification reads it."""

    day: date
    tree_size: Any
    root: Any

    @property
    def pinned(self) -> tuple[Any, Any]:
        """As a signed checkpoint pins a root: (tree size, root)."""
        return self.tree_size, self.root


@dataclass(frozen=True, slots=True)
class Pins:
    """What signed checkpoints say: heads (enterprise → seq → hash) and roots (day → size, root)."""

    heads: Mapping[int, Mapping[int, str]] = field(default_factory=dict)
    roots: Mapping[date, tuple[int, str]] = field(default_factory=dict)
    checkpoints: int = 0


def leaf_data(enterprise_id: int, seq: int, entry_hash: str) -> bytes:
    """The bytes of an entry's leaf in its day's tree."""
    if (
        type(enterprise_id) is int
        and type(seq) is int
        and type(entry_hash) is str
        and entry_hash.isascii()
        and entry_hash.isalnum()
    ):
        # Ints and a string with nothing to escape, as the canonical encoding writes them:
        # the JSON encoder was most of the cost of checking a sealed day's root.
        return b'{"enterprise_id":%d,"hash":"%s","seq":%d}' % (
            enterprise_id,
            entry_hash.encode("ascii"),
            seq,
        )
    return hashchain.canonical({"enterprise_id": enterprise_id, "seq": seq, "hash": entry_hash})


def _bounds(day: date) -> tuple[datetime, datetime]:
    start = datetime.combine(day, time(), tzinfo=SHANGHAI)
    return as_utc(start), as_utc(start + timedelta(days=1))


def day_leaves(session: Session, day: date) -> list[tuple[int, int, str]]:
    """(enterprise, seq, hash) of the day's entries, in leaf order."""
    lo, hi = _bounds(day)
    # Through the session's connection, not the ORM: plain rows, half the cost of a day. The
    # flush is the one the ORM would have made first.
    if session.autoflush:
        session.flush()
    where = (LedgerEntry.at >= lo, LedgerEntry.at < hi)
    order = (LedgerEntry.enterprise_id, LedgerEntry.seq)
    rows = session.connection().execute(
        select(LedgerEntry.enterprise_id, LedgerEntry.seq, LedgerEntry.hash)
        .where(*where)
        .order_by(*order)
    )
    try:
        return [(_whole(e), _whole(s), _hex(h)) for e, s, h in rows]
    except _MALFORMED:
        pass
    # Read again, rarely, to name the entry: the id is not worth reading for every leaf.
    for entry_id, e, s, h in session.connection().execute(
        select(LedgerEntry.id, *order, LedgerEntry.hash).where(*where).order_by(*order)
    ):
        try:
            _whole(e), _whole(s), _hex(h)
        except _MALFORMED:
            raise UnreadableEntry(entry_id, e, s) from None
    raise AssertionError("an unreadable leaf read again as readable")  # pragma: no cover


def _whole(value: Any) -> int:
    # int() would take "7", 7.5 or b"7": only an integer is an enterprise id or a seq.
    if type(value) is not int:
        raise TypeError(f"not an integer: {value!r}")
    return value


def _hex(value: Any) -> str:
    if type(value) is not str:
        raise TypeError(f"not a hash: {value!r}")
    return value


def _tree(leaves: Sequence[tuple[int, int, str]]) -> merkle.MerkleTree:
    return merkle.MerkleTree(merkle.hash_leaves(leaf_data(*leaf) for leaf in leaves))


def seal_day(session: Session, day: date, *, now: datetime | None = None) -> DailyRoot:
    """Store the Merkle root of a day that is over; a day is sealed once."""
    if day >= local(now or utcnow()).date():
        raise Conflict(f"{day.isoformat()} 尚未结束，不能封存", field="day")
    if session.scalar(select(DailyRoot.id).where(DailyRoot.day == day)) is not None:
        raise Conflict(f"{day.isoformat()} 已封存", field="day")
    tree = _tree(day_leaves(session, day))
    row = DailyRoot(day=day, tree_size=tree.size, root=tree.root.hex())
    session.add(row)
    session.flush()
    return row


def inclusion(session: Session, entry: LedgerEntry) -> dict[str, Any]:
    """The inclusion proof of an entry in its sealed day's tree."""
    day = local(entry.at).date()
    sealed = session.scalars(select(DailyRoot).where(DailyRoot.day == day)).first()
    if sealed is None:
        raise NotFound(f"{day.isoformat()} 尚未封存")
    leaves = day_leaves(session, day)
    index = _place(leaves, entry, day)
    tree = _tree(leaves)
    return {
        "day": day.isoformat(),
        "index": index,
        "tree_size": sealed.tree_size,
        "root": sealed.root,
        "leaf": merkle.leaf_hash(leaf_data(entry.enterprise_id, entry.seq, entry.hash)).hex(),
        "path": [h.hex() for h in tree.inclusion_proof(index)],
    }


def _place(leaves: list[tuple[int, int, str]], entry: LedgerEntry, day: date) -> int:
    """Where an entry is among its day's leaves; the day is told by its instant and the
    leaves by the stored ``at`` (see ``RENDER``), and an entry they disagree on is altered."""
    try:
        return leaves.index((entry.enterprise_id, entry.seq, entry.hash))
    except ValueError:
        raise EntryNotInTree(entry, day) from None


def check_inclusion(proof: Mapping[str, Any]) -> bool:
    """Whether an inclusion proof (as :func:`inclusion` gives it) holds."""
    try:
        path = [bytes.fromhex(h) for h in proof["path"]]
        return merkle.verify_inclusion(
            bytes.fromhex(proof["leaf"]),
            proof["index"],
            proof["tree_size"],
            path,
            bytes.fromhex(proof["root"]),
        )
    except (KeyError, TypeError, ValueError):
        return False


def verify_all(session: Session, *, pinned: Pins | None = None, full: bool = False) -> LedgerReport:
    """Recompute every enterprise chain against its head and hold it against the heads
    signed checkpoints pinned; recompute every sealed day's root, but for a day whose root a
    signed checkpoint pins, which that checkpoint holds if every entry of the day lies at or
    before a signed head of its chain and the day has as many as its tree has leaves
    (:func:`_verify_roots`); ``full``: every root recomputed all the same."""
    pins = pinned or Pins()
    if isinstance(session.get_bind(), Engine) and not session.in_transaction():
        # One snapshot for the heads and every batch of entries, holding up no writer (in a
        # transaction begun at READ COMMITTED, see _appended for entries appended meanwhile).
        begin_read_only(session, snapshot=True)
    heads = session.execute(
        select(ChainHead.enterprise_id, ChainHead.seq, ChainHead.hash).order_by(
            ChainHead.enterprise_id
        )
    ).all()
    for missing in sorted(set(pins.heads) - {int(h[0]) for h in heads}):
        return LedgerReport(
            ok=False,
            enterprise_id=missing,
            first_bad_seq=1,
            reason="chain missing (in a signed checkpoint)",
        )
    sealed, unreadable = _sealed_roots(session)
    held = set() if full else {d for d, r in sealed.items() if pins.roots.get(d) == r.pinned}
    passed = _one_pass(session, heads, pins, list(sealed), held)
    if passed is None:
        found = _each_chain(session, heads, pins)
        if isinstance(found, LedgerReport):
            return found
        (checked, ends), leaves = found, None
    else:
        checked, ends, leaves = passed
    for root_id, day in unreadable:
        return LedgerReport(
            ok=False,
            entries=checked,
            root_id=root_id,
            reason=f"daily root's day is not a date: {day!r}",
            checkpoints=pins.checkpoints,
        )
    report = _verify_roots(session, pins, checked, sealed, leaves)
    if not report.ok:
        return report
    last = list(sealed.values())[-1] if sealed else None
    newest = (last.day, int(last.tree_size), str(last.root)) if last is not None else None
    return replace(report, ends=ends, newest=newest)


def _sealed_roots(session: Session) -> tuple[dict[date, SealedRoot], list[tuple[int, Any]]]:
    """The stored daily roots by day, in day order, and (id, stored day) of those whose day
    is not a date written as the application writes one (SQLite keeps whatever text it is
    given, and the ORM's date type raises on it)."""
    rows = session.execute(
        select(
            DailyRoot.id, type_coerce(DailyRoot.day, String), DailyRoot.tree_size, DailyRoot.root
        )
    ).all()
    sealed: dict[date, SealedRoot] = {}
    unreadable: list[tuple[int, Any]] = []
    for root_id, stored, size, root in sorted(rows, key=lambda r: r[0]):
        day = _day_of(stored)
        if day is None or day in sealed:
            unreadable.append((root_id, stored))
        else:
            sealed[day] = SealedRoot(day, size, root)
    return dict(sorted(sealed.items())), unreadable


def _day_of(stored: Any) -> date | None:
    if type(stored) is date:
        return stored  # PostgreSQL's date column hands back a date
    if type(stored) is not str:
        return None
    try:
        day = date.fromisoformat(stored)
    except ValueError:
        return None
    # fromisoformat also reads "20261101": the day would be right, its text not the one
    # the roots are looked up by.
    return day if day.isoformat() == stored else None


# A leaf's hash in its day's tree, the leaf data (:func:`leaf_data` of ints and a hash of hex
# digits) written with the RFC 6962 leaf prefix in one step: merkle.leaf_hash(leaf_data(...)).
_LEAF = b'\x00{"enterprise_id":%d,"hash":"%s","seq":%d}'


def _one_pass(
    session: Session,
    heads: Sequence[Any],
    pins: Pins,
    days: Sequence[date],
    held: Collection[date],
) -> tuple[int, dict[int, tuple[int, str]], Gathered | None] | None:
    """Every chain checked in one read of the table in id order, the order in which each
    enterprise's entries were appended (in seq order, under its head's lock): no index
    lookup per entry. If every chain holds up to its head (and ends there) and its pins: the
    number of entries, where each chain ends, and what was gathered on the way of each of
    ``days`` (sealed days): the leaf hashes in leaf order, or only how many entries it has
    if the day is ``held`` (None if an entry of no chain was seen: :func:`day_leaves` files
    it, the pass does not). None otherwise, and :func:`_each_chain` then walks each chain in
    seq order to name the first bad entry."""
    # Per chain: [last seq, last hash, next marked seq (None: none left), {marked seq: hash},
    # the marked seqs after it, last first, the day slot of its last leaf, that slot's
    # leaves, the last seq a signed checkpoint pins, its head's seq], the marks being its head
    # and the heads signed checkpoints pinned.
    chains: dict[int, list[Any]] = {}
    for e, head_seq, head_hash in heads:
        marks = dict(pins.heads.get(int(e), {}))
        if marks.get(head_seq, head_hash) != head_hash:
            return None
        if head_seq:
            marks[int(head_seq)] = str(head_hash)
        elif head_hash != hashchain.GENESIS:
            return None
        after = sorted(marks, reverse=True)
        signed = max(pins.heads.get(int(e), {}), default=0)
        first_mark = after.pop() if after else None
        chains[int(e)] = [0, hashchain.GENESIS, first_mark, marks, after, 0, [], signed, head_seq]
    sha256, domain, leaf = hashlib.sha256, hashchain.DOMAIN, _LEAF
    # Leaves by (day slot, enterprise), each in seq order as the pass meets them; entries
    # counted by day slot for the held days, and the held days' slots that have an entry
    # after every signed head of its chain.
    slots: dict[tuple[int, int], list[bytes]] = {}
    counted = {2 * i + 1: 0 for i, day in enumerate(days) if day in held}
    unsigned: set[int] = set()
    column, bounds, lead = _day_column(session, days)
    stray = False
    slot = 0
    lo = hi = bounds[0] if bounds else None  # an empty window: the first entry is bisected
    # Where the database checks each hash itself, no entry's bytes are handed over (``data``
    # is None) and ``same`` is None for an entry whose hash is not its bytes'.
    in_sqlite = hashchain_in_sqlite(session.connection())
    try:
        scan = _batches(
            session,
            _SCAN,
            (),
            in_sqlite=in_sqlite,
            hashes=True,
            column=column,
            lead=lead,
            stream=True,
        )
        for rows in scan:
            # One tight loop over a million rows: no call per entry but the hashing (here,
            # where the database does not hash).
            for _, e, seq, prev_hash, stored, data, same, at in rows:
                chain = chains.get(e)
                if chain is None:
                    stray = True
                    continue  # no head, no chain: as the walk of each chain does
                if prev_hash != chain[1] or seq != chain[0] + 1:
                    return None
                if in_sqlite:
                    if same is None:
                        return None
                elif sha256(domain + prev_hash.encode("ascii") + data).hexdigest() != stored:
                    return None
                if not same and not _columns_match(session, e, seq, data):
                    return None
                if seq == chain[2]:
                    if chain[3][seq] != stored:
                        return None
                    chain[2] = chain[4].pop() if chain[4] else None
                chain[0], chain[1] = seq, stored
                if at is not None:
                    # An odd slot is a sealed day (see _day_column). Entries in id order
                    # mostly stay in one slot after another: the last slot's bounds are held
                    # first; a chain's current day's list is at hand.
                    if not lo <= at < hi:
                        slot = bisect_right(bounds, at)
                        if 0 < slot < len(bounds):
                            lo, hi = bounds[slot - 1], bounds[slot]
                        else:
                            lo = hi = bounds[0]  # no bounds on that side: bisect each time
                    if slot in counted:
                        counted[slot] += 1
                        if seq > chain[7]:
                            unsigned.add(slot)
                    elif slot & 1:
                        if slot != chain[5]:
                            chain[5], chain[6] = slot, slots.setdefault((slot, e), [])
                        chain[6].append(sha256(leaf % (e, stored.encode("ascii"), seq)).digest())
    except _MALFORMED:
        return None
    if any(chain[2] is not None or chain[0] != chain[8] for chain in chains.values()):
        return None  # a chain ends before its head or a pinned head, or goes on after it
    # Every chain starts at seq 1 and goes up by one: its last seq is its length.
    checked = sum(chain[0] for chain in chains.values())
    ends = {e: (chain[0], chain[1]) for e, chain in chains.items()}
    if stray:
        return checked, ends, None
    leaves: dict[date, list[bytes]] = {day: [] for day in days if day not in held}
    for slot, e in sorted(slots):
        leaves[days[slot >> 1]] += slots[slot, e]
    counts = {days[slot >> 1]: n for slot, n in counted.items() if slot not in unsigned}
    return checked, ends, Gathered(leaves, counts)


@dataclass(frozen=True, slots=True)
class Gathered:
    """What the one pass gathered of the sealed days: each day's leaf hashes, in leaf order,
    or, for a day a signed checkpoint holds, how many entries it has (if none of them comes
    after every signed head of its chain)."""

    leaves: Mapping[date, list[bytes]]
    counts: Mapping[date, int]


def _day_column(session: Session, days: Sequence[date]) -> tuple[str, list[Any], tuple[Any, ...]]:
    """What the pass reads of an entry's ``at`` to tell its day, the sorted bounds it is
    placed among (``bisect_right``: an odd slot ``2i + 1`` is the i-th of ``days``, sorted),
    and the query's parameters for it. Both are the comparisons :func:`day_leaves` makes:
    SQLite's of the stored text against the bound's text, PostgreSQL's of instants (there
    ``width_bucket`` places the entry among the bounds, and the slot comes back as a number
    placed among 1, 2, ... the same way)."""
    if not days:
        return "NULL", [], ()
    edges = [edge for day in days for edge in _bounds(day)]
    dialect = session.get_bind().dialect
    if dialect.name == "postgresql":
        # A day's end is the next day's start: equal bounds count each, as bisect does.
        return "width_bucket(at, {p}::timestamptz[])", list(range(1, len(edges) + 1)), (edges,)
    stamp = LedgerEntry.at.type.bind_processor(dialect)
    assert stamp is not None  # the UTC type writes SQLite's text itself
    return "at", [stamp(edge) for edge in edges], ()


def verify_chain_of(
    session: Session,
    enterprise_id: int,
    *,
    expected_head: tuple[int, str],
    noting: tuple[Mapping[int, str], dict[int, str]] | None = None,
) -> hashchain.ChainReport:
    """One enterprise's chain walked in seq order over its stored bytes, each entry's columns
    held against them (for a page that shows one chain); ``noting`` (seqs wanted, a dict to
    fill) collects the hashes at those seqs on the way."""
    wanted, seen = noting if noting is not None else ({}, {})
    in_sqlite = hashchain_in_sqlite(session.connection())
    rows = (
        row
        for batch in _batches(session, _CHAIN, (enterprise_id,), in_sqlite=in_sqlite)
        for row in batch
    )
    return hashchain.verify_chain_encoded(
        _checked(session, enterprise_id, rows, wanted, seen), expected_head=expected_head
    )


def _each_chain(
    session: Session, heads: Sequence[Any], pins: Pins
) -> LedgerReport | tuple[int, dict[int, tuple[int, str]]]:
    """Each chain walked in seq order against its head and its pins: the first bad entry's
    report, or the number of entries and where each chain ends."""
    checked = 0
    ends: dict[int, tuple[int, str]] = {}
    for enterprise_id, head_seq, head_hash in heads:
        wanted = pins.heads.get(enterprise_id, {})
        seen: dict[int, str] = {}
        report = verify_chain_of(
            session, enterprise_id, expected_head=(head_seq, head_hash), noting=(wanted, seen)
        )
        checked += report.checked
        bad_seq, reason = report.first_bad_seq, report.reason
        if (
            report.ok
            and report.head.seq > head_seq
            and not _appended(session, enterprise_id, report)
        ):
            # The head row was moved back (or an entry slipped in behind the application):
            # what follows it is no part of the chain its head names.
            bad_seq, reason = head_seq + 1, "after the head"
        elif report.ok:
            bad_seq, reason = against_pins(wanted, seen, report.head.seq)
        if reason is not None:
            return LedgerReport(
                ok=False,
                entries=checked,
                enterprise_id=enterprise_id,
                first_bad_seq=bad_seq,
                reason=reason,
                checkpoints=pins.checkpoints,
            )
        ends[int(enterprise_id)] = (report.head.seq, report.head.hash)
    return checked, ends


def _appended(session: Session, enterprise_id: int, walked: hashchain.ChainReport) -> bool:
    """Whether the chain's head row, read again, has moved to where the walk ended or past it:
    entries appended while a transaction that is no snapshot (PostgreSQL's READ COMMITTED)
    was verifying, not a head moved back. In a snapshot it reads what it read before."""
    now = session.execute(
        select(ChainHead.seq, ChainHead.hash).where(ChainHead.enterprise_id == enterprise_id)
    ).first()
    if now is None:
        return False
    return bool(now.seq > walked.head.seq or tuple(now) == tuple(walked.head))


# The columns an entry's bytes hold, by key in the canonical order, as SQLite hands them to be
# written; ``at`` and ``quantity`` are the expressions that write those two (see RENDER and
# SAME_IN_SQLITE). A payload that is no JSON at all becomes null (json() would stop the
# query). A quantity stored as an integer (what SQLite makes of a whole number) is written as
# its digits and ".000", up to 2^53 (the application reads the column through a double); a
# REAL only if it is the number nearest its three decimals, as the application stores one
# (SQLite's printf rounds a half up where Python, which reads the column, rounds it to even:
# 0.0625 would be "0.063" here and 0.062 to the application), and not zero (no honest REAL is:
# SQLite stores a whole number as an integer, and Python reads -0.0 as "-0.000"); text is no
# quantity. ``at`` must be the text the application stores, with its space: SQLite compares
# that text to place an entry in a day's tree, and the same instant written with a T sorts
# into another day.
def _sqlite_fields(at: str, quantity: str) -> str:
    return ", ".join(
        f"'{key}', {value}"
        for key, value in (
            ("actor", "actor"),
            ("actor_id", "actor_id"),
            ("at", at),
            ("enterprise_id", "enterprise_id"),
            ("event", "event"),
            ("from_enterprise_id", "from_enterprise_id"),
            ("item_id", "item_id"),
            ("payload", "json(CASE WHEN json_valid(payload) THEN payload END)"),
            ("quantity", quantity),
            ("reference", "reference"),
            ("seq", "seq"),
            ("site_id", "site_id"),
            ("to_enterprise_id", "to_enterprise_id"),
        )
    )


# The columns of an entry rendered, by the database, exactly as the canonical encoding writes
# them (keys sorted, no whitespace; strings quoted as JSON; ``at`` with microseconds and Z;
# ``quantity`` at three decimals; ``payload`` is stored in its canonical form already). A row
# whose rendering equals its stored ``canonical`` holds what its hash commits to; any other
# row is judged in Python (:func:`_columns_match`), so an unusual but honest row costs time,
# never a false alarm.
RENDER = {
    # json_object writes the whole text in C: half the cost of concatenating the pieces.
    "sqlite": "json_object({})".format(
        _sqlite_fields(
            "CASE WHEN substr(at, 11, 1) = ' ' THEN replace(at, ' ', 'T') || 'Z' END",
            "CASE typeof(quantity) WHEN 'integer' THEN CASE WHEN quantity"
            f" BETWEEN -{2**53} AND {2**53} THEN quantity || '.{'0' * _PLACES}' END"
            " WHEN 'real' THEN CASE WHEN quantity <> 0"
            f" AND CAST(printf('%.{_PLACES}f', quantity) AS REAL) = quantity"
            f" THEN printf('%.{_PLACES}f', quantity) END END",
        )
    ),
    "postgresql": (
        """'{"actor":' || to_json(actor)::text"""
        """ || ',"actor_id":' || coalesce(actor_id::text, 'null')"""
        """ || ',"at":"' || to_char(at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"')"""
        """ || '","enterprise_id":' || enterprise_id || ',"event":' || to_json(event)::text"""
        """ || ',"from_enterprise_id":' || coalesce(from_enterprise_id::text, 'null')"""
        """ || ',"item_id":' || item_id || ',"payload":' || payload"""
        """ || ',"quantity":"' || quantity::text"""
        """ || '","reference":' || to_json(reference)::text"""
        """ || ',"seq":' || seq || ',"site_id":' || coalesce(site_id::text, 'null')"""
        """ || ',"to_enterprise_id":' || coalesce(to_enterprise_id::text, 'null') || '}'"""
    ),
}
# One chain in seq order (keyset on seq), or the whole table in id order (keyset on id) with
# what tells each entry's day.
_CHAIN = (
    "SELECT seq, prev_hash, hash, {stored}, {same} "
    "FROM hazmat_ledger_entry WHERE enterprise_id = {p} AND seq > {p} ORDER BY seq LIMIT {p}"
)
_SCAN = (
    "SELECT id, enterprise_id, seq, prev_hash, hash, {stored}, {same}, {day} "
    "FROM hazmat_ledger_entry WHERE id > {p} ORDER BY id LIMIT {p}"
)
# Whether a row's columns say what its stored bytes do (see RENDER), by dialect. SQLite keeps
# whatever a column is given, and a BLOB, which only someone writing to the table behind the
# application can put there, is never rendered: json_object refuses one that is no JSONB
# (stopping the query) and, from SQLite 3.45 on, writes one that is as the JSON it holds, the
# same text as the value it replaced. A row holding one is judged in Python, which finds it
# altered, and the entry is named. (``at`` and ``quantity`` render a BLOB as null.) The
# comparison is of bytes whatever collation the column was given (a case-blind one would
# take an event written in capitals for the one its bytes say).
SAME = {
    "sqlite": (
        "CASE WHEN 'blob' IN (typeof(actor), typeof(actor_id), typeof(enterprise_id),"
        " typeof(event), typeof(from_enterprise_id), typeof(item_id), typeof(reference),"
        " typeof(seq), typeof(site_id), typeof(to_enterprise_id)) THEN 0"
        f" ELSE canonical = ({RENDER['sqlite']}) COLLATE BINARY END"
    ),
    "postgresql": f'canonical = ({RENDER["postgresql"]}) COLLATE "C"',
}
# The same, where the connection has zhian.core.hashchain's SQLite functions
# (db.hashchain_in_sqlite): zhian_canonical_is compares the bytes with the columns as it goes,
# building no text, and finds a BLOB, a REAL or a value of the wrong type unequal itself (the
# row is judged in Python); zhian_utc_text and zhian_decimal_text write ``at`` and
# ``quantity`` as the SQL above does, in one call each. In the one pass, each entry's hash
# is checked too where it is read, its bytes never handed over: NULL if the hash is not its
# bytes', else whether its columns say what they do.
SAME_IN_SQLITE = "zhian_canonical_is(canonical, {})".format(
    _sqlite_fields("zhian_utc_text(at)", f"zhian_decimal_text(quantity, {_PLACES})")
)
CHECKED_IN_SQLITE = (
    f"CASE WHEN zhian_entry_hash_ok(prev_hash, canonical, hash) THEN {SAME_IN_SQLITE} END"
)
BATCH = 20_000
_MALFORMED = (TypeError, ValueError, AttributeError, OverflowError, RecursionError)


def _batches(
    session: Session,
    query: str,
    where: tuple[Any, ...],
    *,
    in_sqlite: bool,
    hashes: bool = False,
    column: str = "NULL",
    lead: tuple[Any, ...] = (),
    stream: bool = False,
) -> Iterator[Iterable[Any]]:
    """Rows of ``query`` from a raw DB-API cursor, in batches (row materialisation is most of
    the cost of a million entries), each led by the keyset column; ``column`` (with ``lead``,
    its parameters) is what the scan reads to tell an entry's day.

    ``in_sqlite``: the connection has the hash chain's SQLite functions (see SAME_IN_SQLITE),
    which compare the columns; ``hashes``, and check each hash too: the query reads NULL for
    the stored bytes and CHECKED_IN_SQLITE for whether the entry is the same.

    ``stream``: on SQLite, one batch, the cursor itself, each row handed over as SQLite steps
    to it and dropped when the next comes: less time than lists of rows, whose million
    tuples go to fresh memory."""
    dialect = session.get_bind().dialect
    sqlite = dialect.name == "sqlite"
    p = "?" if dialect.paramstyle == "qmark" else "%s"
    shape = {
        # Bytes, as they are hashed: no decoding to str and encoding back per entry.
        "stored": "CAST(canonical AS BLOB)" if sqlite else "convert_to(canonical, 'UTF8')",
        "day": column.format(p=p),
        "p": p,
    }
    if in_sqlite and hashes:
        shape.update(stored="NULL", same=CHECKED_IN_SQLITE)
    else:
        shape["same"] = SAME_IN_SQLITE if in_sqlite else SAME.get(dialect.name, SAME["sqlite"])
    sql = query.format(**shape)
    cursor = session.connection().connection.cursor()
    last: Any = -(2**62)  # below any seq or id, even a tampered one
    try:
        if stream and sqlite:
            cursor.execute(sql, (*lead, *where, last, -1))  # a negative LIMIT is none
            yield cast(Iterable[Any], cursor)  # the DB-API cursor iterates its rows
            return
        while True:
            cursor.execute(sql, (*lead, *where, last, BATCH))
            rows = cursor.fetchall()
            if not rows:
                return
            last = rows[-1][0]
            yield rows
    finally:
        cursor.close()


def _checked(
    session: Session,
    enterprise_id: int,
    rows: Iterable[Any],
    wanted: Mapping[int, str],
    seen: dict[int, str],
) -> Iterator[tuple[int, str, str, bytes]]:
    """(seq, prev_hash, hash, stored canonical bytes) of one chain's rows; an entry whose
    columns no longer say what its bytes do comes with empty bytes, which the chain check
    reports as altered. Notes the hashes at the ``wanted`` seqs on the way."""
    for seq, prev_hash, stored, data, same in rows:
        if seq in wanted:
            seen[seq] = stored
        if isinstance(data, bytes):
            encoded = data
        else:
            encoded = data.encode("utf-8") if isinstance(data, str) else b""
        if not same and not _columns_match(session, enterprise_id, seq, encoded):
            encoded = b""
        yield seq, prev_hash, stored, encoded


def _columns_match(session: Session, enterprise_id: int, seq: Any, data: bytes | None) -> bool:
    """Whether an entry's columns, encoded in Python, are its stored canonical bytes (and, on
    SQLite, its ``at`` the text the application writes: see ``RENDER``); ``data`` None: the
    bytes are read here (SQLite, which hashed them itself, handed none over)."""
    try:
        stored = (_STORED_BYTES,) if data is None else ()
        row = session.execute(
            select(*HASHED_COLUMNS, _STORED_AT, *stored).where(
                LedgerEntry.enterprise_id == enterprise_id, LedgerEntry.seq == seq
            )
        ).first()
        if row is None:
            return False
        if data is None:
            data = row.stored_bytes
        dialect = session.get_bind().dialect
        stamp = LedgerEntry.at.type.bind_processor(dialect)
        if dialect.name == "sqlite" and stamp is not None and row.stored_at != stamp(row.at):
            return False
        return hashchain.canonical(hashed_payload(row)) == data
    except _MALFORMED:
        return False  # a column the types cannot even read (a BLOB where a time should be)


# ``at`` as the database holds it, not as the UTC type reads it back.
_STORED_AT = type_coerce(LedgerEntry.at, String).label("stored_at")
# The bytes as SQLite holds them, as the one pass hashes them.
_STORED_BYTES: Any = literal_column("CAST(canonical AS BLOB)").label("stored_bytes")


def against_pins(
    wanted: Mapping[int, str], seen: Mapping[int, str], last_seq: int
) -> tuple[int | None, str | None]:
    """The first pinned head (seq → hash) the chain no longer passes through, and why; the
    earliest one that moved names the entry before which the rewrite began."""
    intact = 0
    for seq in sorted(wanted):
        if seq not in seen:
            return last_seq + 1, f"truncated (a signed checkpoint holds seq {seq})"
        if seen[seq] != wanted[seq]:
            return seq, f"differs from a signed checkpoint (rewritten after seq {intact})"
        intact = seq
    return None, None


def _verify_roots(
    session: Session,
    pins: Pins,
    checked: int,
    stored: Mapping[date, SealedRoot],
    seen: Gathered | None,
) -> LedgerReport:
    """Every sealed day's root held against the pins, then recomputed from the leaf hashes
    the pass gathered (``seen``) or, without them, from the day's entries read again.

    A day whose root a signed checkpoint pins needs no recomputing if every entry the pass
    found in it lies at or before a signed head of its chain, unchanged since (every chain
    was just found to pass through its signed heads), and there are as many as its tree has
    leaves. Every entry the root was computed from existed when the day was sealed; one that
    no signed head covers sends the day to be recomputed, and those the heads cover are
    unchanged. An entry written into the day since (backdated) lies after the signed heads,
    or, if a checkpoint signed it since, makes one entry more than the tree: either way the
    day is recomputed, which fails."""
    roots = held = 0
    for day, (size, root) in sorted(pins.roots.items()):
        row = stored.get(day)
        if row is None or row.pinned != (size, root):
            why = "root missing" if row is None else "root differs from a signed checkpoint"
            return LedgerReport(
                ok=False, entries=checked, day=day, reason=why, checkpoints=pins.checkpoints
            )
    for sealed in stored.values():
        if seen is not None and seen.counts.get(sealed.day) == sealed.tree_size:
            roots, held = roots + 1, held + 1
            continue
        try:
            if seen is not None and sealed.day in seen.leaves:
                leaves = seen.leaves[sealed.day]
            else:
                leaves = merkle.hash_leaves(
                    leaf_data(*leaf) for leaf in day_leaves(session, sealed.day)
                )
            intact = (len(leaves), merkle.root_hash(leaves).hex()) == (
                sealed.tree_size,
                sealed.root,
            )
        except _MALFORMED:
            intact = False  # an entry of no chain whose columns are not even an entry's
        except UnreadableEntry as exc:
            return LedgerReport(
                ok=False,
                entries=checked,
                roots=roots,
                day=sealed.day,
                entry_id=exc.entry_id,
                reason="entry of no enterprise (its enterprise, seq or hash is not one)",
                checkpoints=pins.checkpoints,
            )
        if not intact:
            return LedgerReport(
                ok=False,
                entries=checked,
                roots=roots,
                day=sealed.day,
                reason="root mismatch",
                checkpoints=pins.checkpoints,
            )
        roots += 1
    return LedgerReport(
        ok=True, entries=checked, roots=roots, checkpoints=pins.checkpoints, held=held
    )


def export(session: Session, enterprise: Enterprise) -> dict[str, Any]:
    """An enterprise's whole ledger with its head and an inclusion proof per sealed entry."""
    head = session.scalars(select(ChainHead).where(ChainHead.enterprise_id == enterprise.id)).one()
    entries = session.scalars(
        select(LedgerEntry)
        .where(LedgerEntry.enterprise_id == enterprise.id)
        .order_by(LedgerEntry.seq)
    ).all()
    sealed, unreadable = _sealed_roots(session)
    for root_id, stored in unreadable:
        raise Conflict(f"每日根 id={root_id} 的日期 {stored!r} 已被改动，账本不能导出")
    proofs: list[dict[str, Any]] = []
    trees: dict[date, tuple[list[tuple[int, int, str]], merkle.MerkleTree]] = {}
    for e in entries:
        day = local(e.at).date()
        if day not in sealed:
            continue
        if day not in trees:
            leaves = day_leaves(session, day)
            trees[day] = (leaves, _tree(leaves))
        leaves, tree = trees[day]
        index = _place(leaves, e, day)
        path = [h.hex() for h in tree.inclusion_proof(index)]
        proofs.append({"seq": e.seq, "day": day.isoformat(), "index": index, "path": path})
    return {
        "version": EXPORT_VERSION,
        "enterprise": {"id": enterprise.id, "name": enterprise.name},
        "head": {"seq": head.seq, "hash": head.hash},
        "entries": [
            {
                "seq": e.seq,
                "prev_hash": e.prev_hash,
                "hash": e.hash,
                "payload": _jsonable(hashed_payload(e)),
            }
            for e in entries
        ],
        "roots": [
            {"day": r.day.isoformat(), "tree_size": r.tree_size, "root": r.root}
            for r in sealed.values()
        ],
        "proofs": proofs,
    }


def _jsonable(payload: dict[str, Any]) -> dict[str, Any]:
    # The canonical encoding writes a datetime as this string: hashing it back is identical.
    at = as_utc(payload["at"]).strftime("%Y-%m-%dT%H:%M:%S.%fZ")
    return {**payload, "at": at}


def verify_export(data: Mapping[str, Any]) -> LedgerReport:
    """Check an exported enterprise ledger with no database: chain, head and inclusion proofs."""
    try:
        enterprise_id = int(data["enterprise"]["id"])
        head = (int(data["head"]["seq"]), str(data["head"]["hash"]))
        entries = list(data["entries"])
        roots = {r["day"]: r for r in data["roots"]}
        proofs = list(data["proofs"])
    except (KeyError, TypeError, ValueError):
        return LedgerReport(ok=False, reason="malformed export")
    rows: list[tuple[Any, Any, Any, Mapping[str, Any]]] = []
    for e in entries:
        if not isinstance(e, Mapping):
            return LedgerReport(ok=False, reason="malformed export")
        payload = e.get("payload")
        seq = e.get("seq")
        if (
            not isinstance(payload, Mapping)
            or payload.get("seq") != seq
            or payload.get("enterprise_id") != enterprise_id
        ):
            return LedgerReport(
                ok=False, enterprise_id=enterprise_id, first_bad_seq=seq, reason="altered"
            )
        rows.append((seq, e.get("prev_hash"), e.get("hash"), payload))
    report = hashchain.verify_chain(rows, expected_head=head)
    if not report.ok:
        return LedgerReport(
            ok=False,
            entries=report.checked,
            enterprise_id=enterprise_id,
            first_bad_seq=report.first_bad_seq,
            reason=report.reason,
        )
    hashes: dict[Any, str] = {seq: str(h) for seq, _, h, _ in rows}
    for p in proofs:
        try:
            root = roots[p["day"]]
            ok = p["seq"] in hashes and check_inclusion(
                {
                    "leaf": merkle.leaf_hash(
                        leaf_data(enterprise_id, p["seq"], hashes[p["seq"]])
                    ).hex(),
                    "index": p["index"],
                    "tree_size": root["tree_size"],
                    "root": root["root"],
                    "path": p["path"],
                }
            )
        except (KeyError, TypeError):
            ok = False
        if not ok:
            return LedgerReport(
                ok=False,
                entries=report.checked,
                enterprise_id=enterprise_id,
                first_bad_seq=p.get("seq") if isinstance(p, Mapping) else None,
                reason="not in the day's root",
            )
    return LedgerReport(ok=True, entries=report.checked, roots=len(roots))

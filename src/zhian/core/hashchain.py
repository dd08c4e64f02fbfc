"""The hash-chained ledger primitive behind the audit trail and the custody ledgers.

Each entry commits to the one before it::

    hash = hex(SHA-256(DOMAIN || prev_hash || canonical(payload)))

- ``DOMAIN`` is ``b"zhian.hashchain.v1\\x00"``: it keeps a chain hash from ever equalling a
  hash computed for another purpose over the same bytes, and names the format's version;
- ``prev_hash`` is the previous entry's hash as 64 lowercase hex digits in ASCII, or
  :data:`GENESIS` (64 zeros) for the first entry; its fixed length is what makes the
  concatenation unambiguous, so :func:`entry_hash` refuses anything else;
- ``hash`` is stored as 64 lowercase hex digits.

Canonical encoding (version 1) of a payload, a mapping with string keys: JSON with keys
sorted, no whitespace (``","`` and ``":"``), non-ASCII characters written as themselves and
the whole encoded as UTF-8 (lone surrogates are refused). Values are JSON's own (str, int,
float, bool, None, lists, tuples as lists, nested mappings) plus:

- ``datetime``: a string ``YYYY-MM-DDTHH:MM:SS.ffffffZ`` in UTC, always with microseconds;
  an aware value is converted to UTC, a naive one is taken to be UTC already (what SQLite
  and ``timestamp without time zone`` columns give back, see :mod:`zhian.core.time`);
- ``date``: ``YYYY-MM-DD``; ``UUID``: its hyphenated lowercase form;
- ``Decimal``: ``str(value)``, so the exponent is kept (``Decimal("1.50")`` is ``"1.50"``,
  not ``"1.5"``): store quantities at a fixed scale. NaN and infinities are refused, as are
  float NaN and infinities;
- anything else raises ``TypeError``. Strings are hashed as given, without normalisation.

Verification (:func:`verify_chain`, or :func:`verify_chain_encoded` over stored canonical
bytes, which skips the encoding and is several times faster) walks the entries in stored
order and stops at the first bad one, naming its seq and one reason:

- ``"broken link"``: its ``prev_hash`` is not the previous entry's hash (an entry removed,
  inserted or reordered before it); checked first, as it is the stronger evidence;
- ``"gap"``: the hashes link but its seq is not the previous seq + 1 (seq column edited);
- ``"altered"``: the stored hash is not the recomputed one (payload or hash edited);
- ``"malformed"``: the entry cannot be hashed at all (wrong types, unencodable payload);
- ``"head mismatch"``: the entry at the expected head's seq has another hash;
- ``"truncated"``: the entries end before the expected head's seq; the first missing seq
  is named.

A chain starts from an anchor, by default ``(0, GENESIS)``: the first entry must be seq 1
with ``prev_hash == GENESIS``. A later anchor (a verified checkpoint) lets a segment be
checked alone. The expected head is a point the chain must pass through; entries after it
(appended while verifying) are verified too.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any, NamedTuple
from uuid import UUID

__all__ = [
    "DOMAIN",
    "GENESIS",
    "ChainHead",
    "ChainReport",
    "canonical",
    "entry_hash",
    "entry_hash_encoded",
    "verify_chain",
    "verify_chain_encoded",
]

GENESIS = "0" * 64
DOMAIN = b"zhian.hashchain.v1\x00"

_HEX = frozenset("0123456789abcdef")
# What a hostile or corrupt row can make the encoder or the hashing raise.
_MALFORMED = (TypeError, ValueError, AttributeError, OverflowError, RecursionError)


class ChainHead(NamedTuple):
    """A point on a chain: an entry's seq and hash (``(0, GENESIS)`` before the first)."""

    seq: int
    hash: str


@dataclass(frozen=True, slots=True)
class ChainReport:
    """The outcome of a verification: ok, or the first bad seq and why.

    ``checked`` counts the entries verified good; ``head`` is the last of them (the anchor if
    none), a checkpoint from which a later verification can resume.
    """

    ok: bool
    checked: int
    head: ChainHead
    first_bad_seq: int | None = None
    reason: str | None = None


def _iso_utc(value: datetime) -> str:
    if value.tzinfo is not None:
        value = value.astimezone(UTC).replace(tzinfo=None)
    return value.isoformat(timespec="microseconds") + "Z"


def _default(value: object) -> object:
    # datetime before date: it is a subclass of date.
    if isinstance(value, datetime):
        return _iso_utc(value)
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, Decimal):
        if not value.is_finite():
            raise ValueError(f"a ledger entry cannot hold the Decimal {value}")
        return str(value)
    if isinstance(value, UUID):
        return str(value)
    if isinstance(value, Mapping):  # a RowMapping or a MappingProxyType, at any depth
        return dict(value)
    raise TypeError(f"a ledger entry cannot hold a {type(value).__name__}")


_ENCODER = json.JSONEncoder(
    sort_keys=True, separators=(",", ":"), ensure_ascii=False, allow_nan=False, default=_default
)


def canonical(payload: Mapping[str, Any]) -> bytes:
    """The canonical encoding (version 1, see the module docstring) of an entry's payload."""
    return _ENCODER.encode(payload).encode("utf-8")


def entry_hash(prev_hash: str, payload: Mapping[str, Any]) -> str:
    """The hash of an entry with this payload, chained to ``prev_hash``."""
    return entry_hash_encoded(prev_hash, canonical(payload))


def entry_hash_encoded(prev_hash: str, canonical_bytes: bytes) -> str:
    """The hash of an entry whose payload is already canonically encoded."""
    if not (isinstance(prev_hash, str) and len(prev_hash) == 64 and _HEX.issuperset(prev_hash)):
        raise ValueError(f"prev_hash must be 64 lowercase hex digits, not {prev_hash!r}")
    return hashlib.sha256(DOMAIN + prev_hash.encode("ascii") + canonical_bytes).hexdigest()


def verify_chain(
    entries: Iterable[tuple[int, str, str, Mapping[str, Any]]],
    *,
    expected_head: tuple[int, str] | None = None,
    anchor: tuple[int, str] = ChainHead(0, GENESIS),
) -> ChainReport:
    """Recompute a chain of (seq, prev_hash, hash, payload) in stored order; name the first bad."""
    return verify_chain_encoded(_encoded(entries), expected_head=expected_head, anchor=anchor)


def verify_chain_encoded(
    entries: Iterable[tuple[int, str, str, bytes]],
    *,
    expected_head: tuple[int, str] | None = None,
    anchor: tuple[int, str] = ChainHead(0, GENESIS),
) -> ChainReport:
    """Like :func:`verify_chain`, over (seq, prev_hash, hash, canonical bytes): no re-encoding."""
    last_seq, last_hash = anchor
    head_seq, head_hash = expected_head if expected_head is not None else (None, None)
    if head_seq is not None and head_seq <= last_seq:
        if head_seq < last_seq:
            raise ValueError(f"expected head {head_seq} lies before the anchor {last_seq}")
        if head_hash != last_hash:
            return _bad(0, ChainHead(last_seq, last_hash), head_seq, "head mismatch")

    checked = 0
    sha256 = hashlib.sha256
    domain = DOMAIN
    # One tight loop, no per-entry function calls: this runs over a year of audit entries.
    for entry in entries:
        try:
            seq, prev_hash, stored, data = entry
            if prev_hash != last_hash:
                return _bad(checked, ChainHead(last_seq, last_hash), seq, "broken link")
            if seq != last_seq + 1:
                return _bad(checked, ChainHead(last_seq, last_hash), seq, "gap")
            # prev_hash equals a hash already verified (or the anchor), so it is plain hex.
            if sha256(domain + prev_hash.encode("ascii") + data).hexdigest() != stored:
                return _bad(checked, ChainHead(last_seq, last_hash), seq, "altered")
        except _MALFORMED:
            bad = _seq_of(entry, last_seq + 1)
            return _bad(checked, ChainHead(last_seq, last_hash), bad, "malformed")
        if seq == head_seq and stored != head_hash:
            return _bad(checked, ChainHead(last_seq, last_hash), seq, "head mismatch")
        last_seq, last_hash = seq, stored
        checked += 1

    if head_seq is not None and last_seq < head_seq:
        return _bad(checked, ChainHead(last_seq, last_hash), last_seq + 1, "truncated")
    return ChainReport(ok=True, checked=checked, head=ChainHead(last_seq, last_hash))


def _bad(checked: int, head: ChainHead, seq: int, reason: str) -> ChainReport:
    return ChainReport(ok=False, checked=checked, head=head, first_bad_seq=seq, reason=reason)


def _seq_of(entry: object, fallback: int) -> int:
    """The seq a malformed entry claims, if it claims one, else the seq it should have had."""
    if isinstance(entry, tuple) and entry and isinstance(entry[0], int):
        return entry[0]
    return fallback


def _encoded(entries: Iterable[tuple[int, str, str, Mapping[str, Any]]]) -> Iterator[Any]:
    # A row that cannot be encoded is a verdict about that row, not an error of the walk:
    # pass on something that cannot be hashed, which the verifier reports as malformed.
    for entry in entries:
        try:
            seq, prev_hash, stored, payload = entry
            yield seq, prev_hash, stored, canonical(payload)
        except _MALFORMED:
            if isinstance(entry, tuple) and len(entry) == 4:
                yield (*entry[:3], None)
            else:
                yield entry

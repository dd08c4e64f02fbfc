"""The hash-chained ledger primitive: the canonical encoding, and verification that any chain
passes and any one alteration, removal, swap or cut-off tail is named at the right seq."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable, Mapping, Sequence
from datetime import UTC, date, datetime, timedelta, timezone
from decimal import Decimal
from typing import Any
from uuid import UUID

import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from zhian.core.hashchain import (
    DOMAIN,
    GENESIS,
    ChainHead,
    ChainReport,
    canonical,
    entry_hash,
    entry_hash_encoded,
    verify_chain,
    verify_chain_encoded,
)

Entry = tuple[int, str, str, Mapping[str, Any]]


def build(payloads: Sequence[Mapping[str, Any]], *, first_seq: int = 1) -> list[Entry]:
    """A well-formed chain: seq from first_seq, each entry linked to the one before."""
    entries: list[Entry] = []
    prev = GENESIS
    for offset, payload in enumerate(payloads):
        digest = entry_hash(prev, payload)
        entries.append((first_seq + offset, prev, digest, payload))
        prev = digest
    return entries


def encoded(entries: Sequence[Entry]) -> list[tuple[int, str, str, bytes]]:
    return [(seq, prev, digest, canonical(payload)) for seq, prev, digest, payload in entries]


def head_of(entries: Sequence[Entry]) -> ChainHead:
    return ChainHead(entries[-1][0], entries[-1][2]) if entries else ChainHead(0, GENESIS)


def both(entries: Sequence[Entry], **kwargs: Any) -> ChainReport:
    """Verify through both entry points and insist they agree."""
    report = verify_chain(entries, **kwargs)
    assert verify_chain_encoded(encoded(entries), **kwargs) == report
    return report


# --- The canonical encoding ---------------------------------------------------------------


def test_canonical_is_sorted_compact_utf8_json() -> None:
    payload = {"b": 1, "a": [1, 2.5, None, True], "名": "值", "nested": {"z": 1, "y": "x"}}
    assert (
        canonical(payload)
        == '{"a":[1,2.5,null,true],"b":1,"nested":{"y":"x","z":1},"名":"值"}'.encode()
    )


def test_key_order_and_mapping_type_do_not_matter() -> None:
    from types import MappingProxyType

    one = canonical({"x": 1, "y": {"b": 2, "a": 1}})
    assert canonical({"y": {"a": 1, "b": 2}, "x": 1}) == one
    assert canonical(MappingProxyType({"y": MappingProxyType({"a": 1, "b": 2}), "x": 1})) == one


def test_datetimes_are_utc_with_z_and_microseconds() -> None:
    aware = datetime(2026, 3, 1, 8, 30, tzinfo=timezone(timedelta(hours=8)))
    naive_utc = datetime(2026, 3, 1, 0, 30)
    assert canonical({"at": aware}) == b'{"at":"2026-03-01T00:30:00.000000Z"}'
    # A naive value is what SQLite gives back for a UTC column: taken as UTC.
    assert canonical({"at": naive_utc}) == canonical({"at": aware})
    assert canonical({"at": datetime(2026, 3, 1, 0, 30, 0, 7, tzinfo=UTC)}) == (
        b'{"at":"2026-03-01T00:30:00.000007Z"}'
    )


def test_decimals_dates_and_uuids_are_strings() -> None:
    payload = {
        "qty": Decimal("12.50"),
        "on": date(2026, 1, 2),
        "id": UUID("12345678-1234-5678-1234-567812345678"),
    }
    assert canonical(payload) == (
        b'{"id":"12345678-1234-5678-1234-567812345678","on":"2026-01-02","qty":"12.50"}'
    )


@pytest.mark.parametrize(
    "value",
    [float("nan"), float("inf"), Decimal("NaN"), Decimal("-Infinity"), "\ud800"],
    ids=["nan", "inf", "decimal-nan", "decimal-inf", "lone-surrogate"],
)
def test_values_without_a_canonical_form_are_refused(value: object) -> None:
    with pytest.raises(ValueError):
        canonical({"v": value})


def test_unknown_types_are_refused() -> None:
    with pytest.raises(TypeError, match="set"):
        canonical({"v": {1, 2}})
    with pytest.raises(TypeError):
        canonical({"v": b"bytes"})


def test_entry_hash_is_the_documented_formula() -> None:
    payload = {"seq": 1, "what": "issue", "qty": Decimal("2.0")}
    body = b'{"qty":"2.0","seq":1,"what":"issue"}'
    expected = hashlib.sha256(b"zhian.hashchain.v1\x00" + b"0" * 64 + body).hexdigest()
    assert DOMAIN == b"zhian.hashchain.v1\x00"
    assert canonical(payload) == body
    assert entry_hash(GENESIS, payload) == entry_hash_encoded(GENESIS, body) == expected
    # Known answers: a change of format (and every stored hash with it) cannot pass unnoticed.
    assert expected == "fa398fd0798e4acf6623766b8e0387b9428a4c6af3cfbdd40b1a8b71467e1891"
    later = {"at": datetime(2026, 1, 1), "名": "值"}
    assert entry_hash("ab" * 32, later) == (
        "1810b676e3a98ba78d7be0198c36a0a75cec7aef9541a6aad789274ed2088e8c"
    )


@pytest.mark.parametrize("prev", ["", "0" * 63, "0" * 65, "A" * 64, "g" * 64, b"0" * 64])
def test_entry_hash_refuses_a_malformed_prev_hash(prev: Any) -> None:
    with pytest.raises(ValueError, match="prev_hash"):
        entry_hash(prev, {"a": 1})


# --- Verification, by example -------------------------------------------------------------

SIX = build([{"seq": i, "op": "issue", "qty": Decimal(i)} for i in range(1, 7)])


def test_a_good_chain_verifies_and_reports_its_head() -> None:
    report = both(SIX, expected_head=head_of(SIX))
    assert report == ChainReport(ok=True, checked=6, head=head_of(SIX))


def test_the_empty_chain_verifies_against_the_genesis_head() -> None:
    assert both([], expected_head=(0, GENESIS)).ok
    assert both([]).ok


@pytest.mark.parametrize(
    ("mutate", "bad_seq", "reason", "checked"),
    [
        (lambda e: [*e[:2], (3, e[2][1], e[2][2], {**e[2][3], "qty": 9}), *e[3:]], 3, "altered", 2),
        (lambda e: [*e[:3], *e[4:]], 5, "broken link", 3),
        (lambda e: e[1:], 2, "broken link", 0),
        (lambda e: [e[0], (2, *e[2][1:]), (3, *e[1][1:]), *e[3:]], 2, "broken link", 1),
        (lambda e: [e[0], e[2], e[1], *e[3:]], 3, "broken link", 1),
        (lambda e: [*e[:2], (4, *e[2][1:]), *e[3:]], 4, "gap", 2),
        (lambda e: [*e[:2], (3, e[2][1], e[2][2].upper(), e[2][3]), *e[3:]], 3, "altered", 2),
        (lambda e: [*e[:2], (3, e[2][1], e[2][2], {"v": {1}}), *e[3:]], 3, "malformed", 2),
        (lambda e: [*e[:2], ("x",), *e[3:]], 3, "malformed", 2),
        (lambda e: [*e[:2], (30, *e[2][1:], "extra"), *e[3:]], 30, "malformed", 2),
        (lambda e: e[:4], 5, "truncated", 4),
        (lambda e: [], 1, "truncated", 0),
    ],
    ids=[
        "altered",
        "removed",
        "first-removed",
        "swapped-contents",
        "swapped-rows",
        "renumbered",
        "hash-edited",
        "unencodable",
        "wrong-shape",
        "wrong-shape-claiming-a-seq",
        "tail-cut",
        "all-gone",
    ],
)
def test_tampering_is_named(
    mutate: Callable[[list[Any]], list[Any]], bad_seq: int, reason: str, checked: int
) -> None:
    report = verify_chain(mutate(list(SIX)), expected_head=head_of(SIX))
    assert (report.ok, report.first_bad_seq, report.reason) == (False, bad_seq, reason)
    assert report.checked == checked
    assert report.head == head_of(SIX[:checked])


def test_a_rewritten_last_entry_is_caught_by_the_head() -> None:
    # Someone who recomputes the hash of the last entry leaves no trace inside the chain;
    # the head, kept apart, still names it.
    seq, prev, _, payload = SIX[-1]
    forged = {**payload, "qty": 0}
    chain = [*SIX[:-1], (seq, prev, entry_hash(prev, forged), forged)]
    assert both(chain).ok
    report = both(chain, expected_head=head_of(SIX))
    assert (report.ok, report.first_bad_seq, report.reason) == (False, 6, "head mismatch")


def test_a_segment_verifies_from_a_checkpoint() -> None:
    checkpoint = verify_chain(SIX[:3]).head
    assert checkpoint == head_of(SIX[:3])
    assert both(SIX[3:], anchor=checkpoint, expected_head=head_of(SIX)).checked == 3
    assert not both(SIX[4:], anchor=checkpoint).ok


def test_entries_past_the_expected_head_are_verified_too() -> None:
    report = both(SIX, expected_head=head_of(SIX[:4]))
    assert report.ok and report.checked == 6
    assert not both(SIX, expected_head=(4, head_of(SIX[:5]).hash)).ok


def test_an_expected_head_before_the_anchor_is_a_caller_error() -> None:
    with pytest.raises(ValueError, match="anchor"):
        verify_chain(SIX[3:], anchor=head_of(SIX[:3]), expected_head=head_of(SIX[:2]))


def test_errors_of_the_source_are_not_swallowed() -> None:
    def rows() -> Any:
        yield SIX[0]
        raise ConnectionError("database went away")

    with pytest.raises(ConnectionError):
        verify_chain(rows())


# --- Verification, by property ------------------------------------------------------------

scalars = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(min_value=-(2**70), max_value=2**70),
    st.floats(allow_nan=False, allow_infinity=False),
    st.text(max_size=12),
    st.decimals(allow_nan=False, allow_infinity=False, places=3),
    st.datetimes(
        min_value=datetime(1970, 1, 1),
        max_value=datetime(2100, 1, 1),
        timezones=st.sampled_from([None, UTC, timezone(timedelta(hours=8))]),
    ),
)
values = st.recursive(
    scalars,
    lambda inner: (
        st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=5), inner, max_size=3)
    ),
    max_leaves=8,
)
payloads = st.dictionaries(st.text(max_size=8), values, max_size=5)
chains = st.lists(payloads, min_size=1, max_size=25).map(build)


@settings(max_examples=150, deadline=None)
@given(chain=chains)
def test_any_chain_verifies(chain: list[Entry]) -> None:
    report = both(chain, expected_head=head_of(chain))
    assert report == ChainReport(ok=True, checked=len(chain), head=head_of(chain))


@settings(max_examples=150, deadline=None)
@given(chain=chains, data=st.data())
def test_altering_any_payload_is_named(chain: list[Entry], data: st.DataObject) -> None:
    k = data.draw(st.integers(0, len(chain) - 1), label="entry")
    seq, prev, digest, payload = chain[k]
    key = data.draw(st.text(max_size=8), label="key")
    value = data.draw(values, label="value")
    changed = {**payload, key: value}
    assume(canonical(changed) != canonical(payload))
    chain[k] = (seq, prev, digest, changed)
    report = both(chain, expected_head=head_of(chain))
    assert (report.ok, report.first_bad_seq, report.reason) == (False, seq, "altered")
    assert report.checked == k


@settings(max_examples=150, deadline=None)
@given(chain=chains, data=st.data())
def test_removing_any_entry_is_named(chain: list[Entry], data: st.DataObject) -> None:
    head = head_of(chain)
    k = data.draw(st.integers(0, len(chain) - 1), label="entry")
    removed = chain.pop(k)
    report = both(chain, expected_head=head)
    assert not report.ok
    if k < len(chain):
        # The entry that followed the removed one no longer links.
        assert (report.first_bad_seq, report.reason) == (chain[k][0], "broken link")
    else:
        assert (report.first_bad_seq, report.reason) == (removed[0], "truncated")


@settings(max_examples=150, deadline=None)
@given(chain=chains.filter(lambda c: len(c) >= 2), data=st.data())
def test_swapping_any_two_entries_is_named(chain: list[Entry], data: st.DataObject) -> None:
    i = data.draw(st.integers(0, len(chain) - 2), label="i")
    j = data.draw(st.integers(i + 1, len(chain) - 1), label="j")
    # As in a table read by seq: the rows keep their seq, their contents trade places.
    (si, *ci), (sj, *cj) = chain[i], chain[j]
    chain[i], chain[j] = (si, *cj), (sj, *ci)  # type: ignore[assignment]
    report = both(chain)
    assert (report.ok, report.first_bad_seq, report.reason) == (False, si, "broken link")


@settings(max_examples=100, deadline=None)
@given(chain=chains.filter(lambda c: len(c) >= 2), data=st.data())
def test_moving_whole_rows_is_named_where_the_order_breaks(
    chain: list[Entry], data: st.DataObject
) -> None:
    i = data.draw(st.integers(0, len(chain) - 2), label="i")
    j = data.draw(st.integers(i + 1, len(chain) - 1), label="j")
    chain[i], chain[j] = chain[j], chain[i]
    report = both(chain)
    # The first row out of place is the one now at position i, which carries seq j's number.
    assert (report.ok, report.first_bad_seq, report.checked) == (False, chain[i][0], i)


@settings(max_examples=150, deadline=None)
@given(chain=chains, data=st.data())
def test_cutting_the_tail_is_named_given_the_head(chain: list[Entry], data: st.DataObject) -> None:
    head = head_of(chain)
    keep = data.draw(st.integers(0, len(chain) - 1), label="keep")
    report = both(chain[:keep], expected_head=head)
    assert (report.ok, report.first_bad_seq, report.reason) == (False, keep + 1, "truncated")
    assert report.head == head_of(chain[:keep])
    # Without the head, a clean cut is invisible from inside: that is what the head is for.
    assert both(chain[:keep]).ok


@settings(max_examples=150, deadline=None)
@given(chain=chains, data=st.data())
def test_renumbering_any_entry_is_named(chain: list[Entry], data: st.DataObject) -> None:
    k = data.draw(st.integers(0, len(chain) - 1), label="entry")
    seq, *rest = chain[k]
    new_seq = data.draw(st.integers(-5, 40).filter(lambda s: s != seq), label="seq")
    chain[k] = (new_seq, *rest)  # type: ignore[assignment]
    report = both(chain)
    assert (report.ok, report.first_bad_seq, report.reason) == (False, new_seq, "gap")


junk = st.one_of(st.none(), st.integers(), st.text(max_size=70), st.binary(max_size=8))


@settings(max_examples=200, deadline=None)
@given(
    rows=st.lists(
        st.one_of(st.tuples(junk, junk, junk, junk), st.tuples(junk), junk, payloads),
        max_size=4,
    )
)
def test_garbage_rows_get_a_verdict_not_an_exception(rows: list[Any]) -> None:
    for verify in (verify_chain, verify_chain_encoded):
        report = verify(rows, expected_head=(len(rows), GENESIS))
        assert isinstance(report, ChainReport)
        assert report.ok is (rows == [])


def test_canonical_bytes_round_trip_through_json() -> None:
    payload = {"at": datetime(2026, 1, 1, tzinfo=UTC), "qty": Decimal("1.50"), "名": "值"}
    assert json.loads(canonical(payload)) == {
        "at": "2026-01-01T00:00:00.000000Z",
        "qty": "1.50",
        "名": "值",
    }
    # Stored as canonical JSON and read back, the payload hashes the same as it was written.
    reloaded = json.loads(canonical(payload))
    assert entry_hash(GENESIS, reloaded) == entry_hash(GENESIS, payload)

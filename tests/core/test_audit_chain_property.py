"""Property tests of the audit chain's encoding and verification (no database needed)."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

from hypothesis import given, settings
from hypothesis import strategies as st

from zhian.core import hashchain
from zhian.core.audit import service as audit

texts = st.one_of(st.none(), st.text(max_size=12))
moments = st.datetimes(
    min_value=datetime(2020, 1, 1), max_value=datetime(2040, 1, 1), timezones=st.just(UTC)
)
entries = st.lists(
    st.fixed_dictionaries(
        {
            "at": moments,
            "actor": texts,
            "actor_id": st.one_of(st.none(), st.integers(0, 10**9)),
            "role": texts,
            "action": st.text(min_size=1, max_size=8),
            "record_type": texts,
            "record_id": texts,
            "division": texts,
            "client_addr": texts,
            "outcome": st.sampled_from(["success", "failure", "denied"]),
            "detail": texts,
        }
    ),
    min_size=1,
    max_size=12,
)


def chain(rows: list[dict[str, object]]) -> list[tuple[int, str, str, bytes]]:
    """Entries as the service writes them: cleaned, numbered, chained."""
    out = []
    prev = hashchain.GENESIS
    for seq, row in enumerate(rows, start=1):
        clean = {k: audit._clean(v) if isinstance(v, str) else v for k, v in row.items()}
        data = audit.canonical(audit.payload_of({"seq": seq, **clean}))
        digest = hashchain.entry_hash_encoded(prev, data)
        out.append((seq, prev, digest, data))
        prev = digest
    return out


@given(entries)
def test_any_chain_verifies(rows: list[dict[str, object]]) -> None:
    built = chain(rows)
    report = hashchain.verify_chain_encoded(built, expected_head=(len(built), built[-1][2]))
    assert report.ok and report.checked == len(rows)


@settings(max_examples=200)
@given(entries, st.data())
def test_changing_any_field_of_any_entry_is_found_at_that_entry(
    rows: list[dict[str, object]], data: st.DataObject
) -> None:
    built = chain(rows)
    index = data.draw(st.integers(0, len(rows) - 1))
    field = data.draw(st.sampled_from(sorted(rows[index])))
    changed = dict(rows[index])
    old = changed[field]
    if isinstance(old, datetime):
        changed[field] = old + timedelta(microseconds=1)
    elif isinstance(old, int):
        changed[field] = old + 1
    elif field == "outcome":
        changed[field] = "denied" if old != "denied" else "success"
    else:
        changed[field] = (old or "") + "x"
    tampered_row = chain([*rows[:index], changed])[-1]
    seq, _prev, _digest, data_bytes = tampered_row
    # Keep the stored hash, change the content: what an edit in the database looks like.
    tampered = [
        *built[:index],
        (seq, built[index][1], built[index][2], data_bytes),
        *built[index + 1 :],
    ]
    report = hashchain.verify_chain_encoded(tampered, expected_head=(len(built), built[-1][2]))
    assert not report.ok
    assert report.first_bad_seq == index + 1


@given(entries, entries)
def test_the_encoding_is_unambiguous(
    a: list[dict[str, object]], b: list[dict[str, object]]
) -> None:
    ea, eb = chain(a[:1]), chain(b[:1])
    if ea[0][3] == eb[0][3]:
        clean = lambda r: {k: audit._clean(v) if isinstance(v, str) else v for k, v in r.items()}  # noqa: E731
        ca, cb = clean(a[0]), clean(b[0])
        # Equal bytes only for equal entries (an empty string and None differ).
        assert ca == cb


def test_a_separator_inside_a_value_cannot_shift_a_field_boundary() -> None:
    base = {"at": datetime(2026, 1, 1, tzinfo=UTC), "action": "read", "outcome": "success"}
    left = chain([{**base, "actor": 'x","y', "role": "z"}])[0][3]
    right = chain([{**base, "actor": "x", "role": 'y","z'}])[0][3]
    assert left != right
    decoded = json.loads(left)
    assert len(decoded) == len(audit.FIELDS)
    assert decoded[audit.FIELDS.index("actor")] == 'x","y'
    assert decoded[audit.FIELDS.index("role")] == "z"


@given(entries)
def test_the_encoding_decodes_to_the_entry(rows: list[dict[str, object]]) -> None:
    """What the database derives the queryable columns from: the array holds every field, in
    FIELDS order, with the seq first (the verifier checks that prefix against the row)."""
    for seq, (_s, _p, _h, data) in enumerate(chain(rows), start=1):
        decoded = json.loads(data)
        row = rows[seq - 1]
        assert data.startswith(f"[{seq},".encode())
        assert decoded[0] == seq
        for name, value in zip(audit.FIELDS[1:], decoded[1:], strict=True):
            original = row.get(name)
            if isinstance(original, datetime):
                assert value == original.strftime("%Y-%m-%dT%H:%M:%S.%fZ")
            elif isinstance(original, str):
                assert value == audit._clean(original)
            else:
                assert value == original

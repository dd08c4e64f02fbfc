"""SQLite's side of the hash chain (``zhian.core._hashchain_sqlite``, built from C at install
time): loaded into every SQLite connection where the project is deployed, and saying of any
entry exactly what :mod:`zhian.core.hashchain` says of it, or that Python must decide."""

from __future__ import annotations

import hashlib
import platform
import sys
from collections.abc import Iterator
from datetime import UTC
from decimal import Decimal
from typing import Any

import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st
from sqlalchemy import Numeric
from sqlalchemy.dialects import sqlite

from zhian.core import db
from zhian.core.db import SQLITE, UTCDateTime, hashchain_in_sqlite, make_engine
from zhian.core.hashchain import DOMAIN, GENESIS, canonical, entry_hash_encoded

SQLITE_DIALECT = sqlite.dialect()
DEPLOYED = sys.platform == "linux" and platform.machine() == "x86_64"


@pytest.fixture(scope="module")
def conn() -> Iterator[Any]:
    """A raw connection with the functions, as every engine's connections have them."""
    engine = make_engine("sqlite://")
    try:
        with engine.connect() as connection:
            if not hashchain_in_sqlite(connection):
                pytest.skip("the hash chain's SQLite extension was not built here")
            yield connection.connection.dbapi_connection
    finally:
        engine.dispose()


def one(conn: Any, sql: str, *args: Any) -> Any:
    return conn.execute(sql, args).fetchone()[0]


def test_the_extension_is_built_and_loaded_where_the_project_is_deployed() -> None:
    engine = make_engine("sqlite://")
    try:
        with engine.connect() as connection:
            loaded = hashchain_in_sqlite(connection)
    finally:
        engine.dispose()
    if DEPLOYED:
        # A failed build falls back to Python, slower: it must not go unnoticed here.
        assert db.HASHCHAIN_EXTENSION is not None
        assert loaded


def test_an_engine_asked_for_none_has_none(conn: Any) -> None:
    engine = make_engine("sqlite://", hashchain_functions=False)
    try:
        with engine.connect() as connection:
            assert not hashchain_in_sqlite(connection)
    finally:
        engine.dispose()


def test_no_sql_can_load_an_extension_afterwards(conn: Any) -> None:
    with pytest.raises(SQLITE.OperationalError, match="not authorized"):
        conn.execute("SELECT load_extension(?)", (db.HASHCHAIN_EXTENSION,))


def test_an_extension_that_disagrees_with_python_is_not_used(
    conn: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(db, "_hashchain_agrees", None)
    monkeypatch.setattr(db, "_agrees_with_hashchain", lambda _conn: False)
    engine = make_engine("sqlite://")
    try:
        with engine.connect() as connection:
            assert not hashchain_in_sqlite(connection)
        assert db._hashchain_agrees is False
    finally:
        engine.dispose()


# Values the canonical encoding writes and the function must write the same: every control
# character, quotes and backslashes, and text beyond ASCII; integers of SQLite's whole range.
texts = st.text(
    st.one_of(
        st.characters(max_codepoint=0x7F),
        st.characters(codec="utf-8", exclude_categories=("Cs",)),
    ),
    max_size=40,
)
integers = st.integers(min_value=-(2**63), max_value=2**63 - 1)
values = st.one_of(texts, integers, st.none())
objects = st.dictionaries(texts, values, max_size=8)


def pairs(payload: dict[str, Any]) -> list[Any]:
    return [x for key in sorted(payload) for x in (key, payload[key])]


def canonical_is(conn: Any, data: Any, items: list[Any]) -> int:
    marks = ", ".join("?" for _ in range(1 + len(items)))
    return int(one(conn, f"SELECT zhian_canonical_is({marks})", data, *items))


@settings(max_examples=300, deadline=None)
@given(payload=objects)
def test_an_object_is_its_canonical_encoding(conn: Any, payload: dict[str, Any]) -> None:
    data = canonical(payload).decode("utf-8")
    assert canonical_is(conn, data, pairs(payload)) == 1


def _other(value: Any) -> list[Any]:
    """Values that say something else than ``value``, or are of a type never compared."""
    if value is None:
        return ["null", 0, b"", 0.0]
    if isinstance(value, int):
        return [str(value), value + 1 if value < 2**63 - 1 else value - 1, float(value), None]
    return [value + "x", value.encode("utf-8"), None, f" {value}"]


@settings(max_examples=300, deadline=None)
@given(payload=objects.filter(bool), data=st.data())
def test_any_value_changed_or_of_another_type_is_not_equal(
    conn: Any, payload: dict[str, Any], data: st.DataObject
) -> None:
    encoded = canonical(payload).decode("utf-8")
    key = data.draw(st.sampled_from(sorted(payload)))
    for changed in _other(payload[key]):
        items = pairs({**payload, key: changed})
        assert canonical_is(conn, encoded, items) == 0, (key, changed)


@settings(max_examples=300, deadline=None)
@given(payload=objects, data=st.data())
def test_any_byte_of_the_encoding_changed_is_not_equal(
    conn: Any, payload: dict[str, Any], data: st.DataObject
) -> None:
    encoded = canonical(payload)
    at = data.draw(st.integers(0, len(encoded)))
    how = data.draw(st.sampled_from(["replace", "insert", "delete"]))
    byte = bytes([data.draw(st.integers(0, 255))])
    if how == "replace" and at < len(encoded):
        changed = encoded[:at] + byte + encoded[at + 1 :]
    elif how == "delete" and at < len(encoded):
        changed = encoded[:at] + encoded[at + 1 :]
    else:
        changed = encoded[:at] + byte + encoded[at:]
    assume(changed != encoded)
    try:
        text = changed.decode("utf-8")
    except UnicodeDecodeError:
        assume(False)
    # Other bytes are not what the canonical encoding writes for it, even where they parse
    # as the same object ("\t{}" for {}): the rendering of an object is one text.
    assert canonical_is(conn, text, pairs(payload)) == 0


def test_json_a_json_function_returned_is_written_as_it_is(conn: Any) -> None:
    data = canonical({"p": {"a": [1, "b"]}, "q": 1}).decode("utf-8")
    raw = '{"a":[1,"b"]}'
    assert one(conn, "SELECT zhian_canonical_is(?, 'p', json(?), 'q', 1)", data, raw) == 1
    # The same text not from a JSON function is a string, quoted.
    assert one(conn, "SELECT zhian_canonical_is(?, 'p', ?, 'q', 1)", data, raw) == 0


@pytest.mark.parametrize(
    ("sql", "args"),
    [
        # A JSONB BLOB, which json_object would write as the JSON it holds.
        ("SELECT zhian_canonical_is(?, 'n', jsonb(5))", ('{"n":5}',)),
        ("SELECT zhian_canonical_is(?, 'n', jsonb(?))", ('{"n":"a"}', '"a"')),
        ("SELECT zhian_canonical_is(?, 'n', CAST(? AS BLOB))", ('{"n":"a"}', "a")),
        ("SELECT zhian_canonical_is(?, 'n', 5.0)", ('{"n":5}',)),
        ("SELECT zhian_canonical_is(CAST(? AS BLOB), 'n', 5)", ('{"n":5}',)),
        ("SELECT zhian_canonical_is(?, 5, 5)", ('{"5":5}',)),
        ("SELECT zhian_canonical_is(?, 'n')", ('{"n":null}',)),
        ("SELECT zhian_canonical_is(?, 'n', 5)", ('{"n":5} ',)),
        ("SELECT zhian_canonical_is(?, 'n', 5)", ('{"n":5',)),
        ("SELECT zhian_canonical_is(?, 'n', 5)", (None,)),
        ("SELECT zhian_canonical_is()", ()),
    ],
)
def test_what_python_must_decide_is_not_equal(conn: Any, sql: str, args: tuple[Any, ...]) -> None:
    assert one(conn, sql, *args) == 0


def test_the_same_object_from_the_same_values_is_equal(conn: Any) -> None:
    # The counterparts of the cases above that hold.
    assert one(conn, "SELECT zhian_canonical_is(?, 'n', 5)", '{"n":5}') == 1
    assert one(conn, "SELECT zhian_canonical_is(?, 'n', ?)", '{"n":"a"}', "a") == 1
    assert one(conn, "SELECT zhian_canonical_is(?, 'n', NULL)", '{"n":null}') == 1
    assert one(conn, "SELECT zhian_canonical_is(?)", "{}") == 1


hashes = st.text("0123456789abcdef", min_size=64, max_size=64)


@settings(max_examples=200, deadline=None)
@given(prev=st.one_of(st.just(GENESIS), hashes), payload=objects)
def test_an_entry_hash_is_the_chain_hash(conn: Any, prev: str, payload: dict[str, Any]) -> None:
    data = canonical(payload)
    digest = entry_hash_encoded(prev, data)
    sql = "SELECT zhian_entry_hash_ok(?, ?, ?)"
    assert one(conn, sql, prev, data.decode("utf-8"), digest) == 1
    assert one(conn, sql, prev, data, digest) == 1  # the bytes as a BLOB: the same bytes
    flipped = "0" if digest[-1] != "0" else "1"
    for wrong in (
        (prev, data + b" ", digest),
        (prev[:-1] + ("0" if prev[-1] != "0" else "1"), data, digest),
        (prev, data, digest[:-1] + flipped),
        (prev, data, digest.upper() if digest != digest.upper() else digest[:-1] + flipped),
        (prev, data, digest + "0"),
        (prev, data, digest[:-1]),
        (prev, data, digest.encode("ascii")),
        (prev.encode("ascii"), data, digest),
        (prev, None, digest),
        (None, data, digest),
        (prev, data, None),
        (prev, 5, digest),
    ):
        assert one(conn, sql, *wrong) == 0, wrong


@pytest.mark.parametrize("prev", ["0" * 63, "0" * 65, "A" * 64, "g" * 64, " " * 64])
def test_a_prev_hash_that_is_no_hash_is_refused_though_the_digest_matches(
    conn: Any, prev: str
) -> None:
    # As entry_hash_encoded refuses it: its fixed length is what keeps the input unambiguous.
    data = canonical({"a": 1})
    digest = hashlib.sha256(DOMAIN + prev.encode("ascii") + data).hexdigest()
    assert one(conn, "SELECT zhian_entry_hash_ok(?, ?, ?)", prev, data, digest) == 0


def test_nothing_is_equal_in_a_database_that_keeps_text_as_utf16(conn: Any) -> None:
    # The functions read text as the bytes stored, UTF-8 in every database the project makes;
    # in a UTF-16 one no hash or encoding matches, and Python decides.
    assert db.HASHCHAIN_EXTENSION is not None
    other = SQLITE.connect(":memory:")
    try:
        other.enable_load_extension(True)
        other.load_extension(db.HASHCHAIN_EXTENSION)
        other.enable_load_extension(False)
        other.execute("PRAGMA encoding = 'UTF-16le'")
        other.execute("CREATE TABLE entry (prev_hash TEXT, canonical TEXT, hash TEXT)")
        data = canonical({"s": "治安 é", "n": 1})
        digest = entry_hash_encoded(GENESIS, data)
        other.execute("INSERT INTO entry VALUES (?, ?, ?)", (GENESIS, data.decode(), digest))
        assert other.execute("PRAGMA encoding").fetchone() == ("UTF-16le",)
        checked = "SELECT zhian_entry_hash_ok(prev_hash, canonical, hash) FROM entry"
        assert other.execute(checked).fetchone() == (0,)
        encoded = "SELECT zhian_canonical_is(canonical, 'n', 1, 's', '治安 é') FROM entry"
        assert other.execute(encoded).fetchone() == (0,)
    finally:
        other.close()


@settings(max_examples=200, deadline=None)
@given(instant=st.datetimes(timezones=st.just(UTC)))
def test_a_stored_instant_is_written_as_the_encoding_writes_it(conn: Any, instant: Any) -> None:
    stored = UTCDateTime().bind_processor(SQLITE_DIALECT)
    assert stored is not None
    written = canonical({"at": instant}).decode("utf-8")[len('{"at":"') : -len('"}')]
    assert one(conn, "SELECT zhian_utc_text(?)", stored(instant)) == written


@pytest.mark.parametrize(
    "value",
    [
        "2026-11-01T03:00:00.000001",  # an instant, but not as stored: another day's text
        "2026-11-01 03:00:00",
        "2026-11-01 03:00:00.0000011",
        "2026-11-01 03:00:00.00000Z",
        "2026-11-01  3:00:00.000001",
        "２026-11-01 03:00:00.000001",
        "",
        20261101,
        b"2026-11-01 03:00:00.000001",
        None,
    ],
)
def test_anything_but_a_stored_instant_is_null(conn: Any, value: Any) -> None:
    assert one(conn, "SELECT zhian_utc_text(?)", value) is None


# What the application reads a quantity column as (SQLAlchemy's Numeric(18, 3) on SQLite,
# through a double), written as the ledger writes a quantity into an entry's bytes.
_READ = Numeric(18, 3).result_processor(SQLITE_DIALECT, None)


def read_as(stored: Any) -> str:
    assert _READ is not None
    return str(Decimal(_READ(stored)).quantize(Decimal("0.001")))


@settings(max_examples=300, deadline=None)
@given(
    quantity=st.decimals(
        min_value=Decimal("0.001"),
        max_value=Decimal("999999999999.999"),  # the most a quantity may be (schemas.Amount)
        places=3,
        allow_nan=False,
        allow_infinity=False,
    )
)
def test_a_quantity_is_written_as_the_application_reads_it(conn: Any, quantity: Decimal) -> None:
    # Whole ones SQLite keeps as integers, others as REALs: every one is written, as read.
    stored = int(quantity) if quantity == quantity.to_integral_value() else float(quantity)
    written = one(conn, "SELECT zhian_decimal_text(?, 3)", stored)
    assert written == read_as(stored) == str(quantity)


# Stored values of every kind, crowded where a double stops holding thousandths exactly.
stored_numbers = st.one_of(
    st.integers(min_value=-(2**63), max_value=2**63 - 1),
    st.integers(min_value=2**53 - 5, max_value=2**53 + 5),
    st.floats(allow_nan=True, allow_infinity=True),
    st.floats(min_value=2.0**43, max_value=2.0**53 / 1000 * 1.01),
    st.floats(min_value=-1.0, max_value=1.0),
)


@settings(max_examples=1000, deadline=None)
@given(value=stored_numbers)
def test_a_stored_number_is_written_only_as_the_application_reads_it(conn: Any, value: Any) -> None:
    written = one(conn, "SELECT zhian_decimal_text(?, 3)", value)
    if written is not None:
        assert written == read_as(value)


@settings(max_examples=500, deadline=None)
@given(value=stored_numbers, places=st.integers(0, 9))
def test_a_number_at_any_places_is_written_as_python_formats_it(
    conn: Any, value: Any, places: int
) -> None:
    written = one(conn, "SELECT zhian_decimal_text(?, ?)", value, places)
    if written is not None:
        assert written == f"{value:.{places}f}"
        assert float(written) == value


@pytest.mark.parametrize(
    ("value", "places"),
    [
        (0.0625, 3),  # "0.063" to SQLite's printf, 0.062 to Python: not the nearest to either
        (1.0004, 3),
        (-0.0, 3),  # Python writes "-0.000"
        (float("inf"), 3),
        (1e15, 3),  # beyond exact thousandths
        (2**53 + 1, 3),  # read through a double as 2**53
        (2**63 - 1, 3),
        ("7", 3),
        (b"7", 3),
        (None, 3),
        (7, 10),
        (7, -1),
        (7, "3"),
    ],
)
def test_what_is_no_stored_quantity_is_null(conn: Any, value: Any, places: Any) -> None:
    assert one(conn, "SELECT zhian_decimal_text(?, ?)", value, places) is None

"""Database: declarative base, engine set-up, and the one transaction owner per request or job.

Services take a ``Session`` and only ``flush()``; whoever opened the unit of work (a request,
a CLI command, a bus consumer) commits it, or rolls it back on error.
"""

from __future__ import annotations

import importlib
import importlib.util
import json
import logging
import threading
from collections import deque
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from types import ModuleType
from typing import Any, ClassVar

from sqlalchemy import (
    BigInteger,
    BindParameter,
    Boolean,
    ColumnElement,
    Connection,
    DateTime,
    Engine,
    Insert,
    MetaData,
    String,
    Text,
    TypeDecorator,
    Update,
    bindparam,
    create_engine,
    event,
    text,
)
from sqlalchemy.dialects import postgresql
from sqlalchemy.engine import Dialect, make_url
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.orm import DeclarativeBase, Mapped, Session, mapped_column, sessionmaker
from sqlalchemy.sql.visitors import InternalTraversal

from zhian.core import hashchain
from zhian.core.time import as_utc, utcnow

log = logging.getLogger(__name__)


def _sqlite() -> ModuleType:
    """The SQLite every engine of this project runs on: the one pysqlite3-binary bundles (a
    recent release, built with SQLite's lookaside allocator) where that wheel is published
    (Linux x86_64), else the standard library's, which is whatever the system ships. Debian
    12's is 3.40, built without lookaside: verifying the hazmat ledger, which has the database
    render a million rows, took 1.5-1.9x as long on it (bench/bench_hazmat_ledger.py).
    Whatever else opens a database file of this project in the same process must use this
    module too: two copies of SQLite in one process do not see each other's locks."""
    try:
        return importlib.import_module("pysqlite3.dbapi2")
    except ImportError:  # pragma: no cover - where no pysqlite3-binary wheel is published
        return importlib.import_module("sqlite3")


SQLITE = _sqlite()


def _hashchain_extension() -> str | None:
    """Where SQLite's side of the hash chain was built (``_hashchain_sqlite.c``, a loadable
    extension giving the ``zhian_*`` functions verification calls), or None where it was not
    (no C compiler or headers at install time: the same checks then run in Python)."""
    spec = importlib.util.find_spec("zhian.core._hashchain_sqlite")
    return spec.origin if spec is not None and spec.origin else None


HASHCHAIN_EXTENSION = _hashchain_extension()
# Whether the extension hashes and encodes as zhian.core.hashchain does, found once per process
# on the first connection that loads it (None: not yet asked). Nothing uses it before.
_hashchain_agrees: bool | None = None


def _load_hashchain(dbapi_conn: Any, _record: Any) -> None:
    """Give a new SQLite connection the hash chain's functions, where they were built."""
    global _hashchain_agrees
    if HASHCHAIN_EXTENSION is None or _hashchain_agrees is False:
        return
    if not hasattr(dbapi_conn, "enable_load_extension"):  # pragma: no cover - a stdlib sqlite3
        return  # built without loadable extensions
    # Loading is allowed for this one call only: no SQL this connection runs can load one.
    dbapi_conn.enable_load_extension(True)
    try:
        dbapi_conn.load_extension(HASHCHAIN_EXTENSION)
    except SQLITE.OperationalError as exc:  # pragma: no cover - a build that cannot load
        log.warning(
            "SQLite extension %s not loaded (%s): checks run in Python", HASHCHAIN_EXTENSION, exc
        )
        return
    finally:
        dbapi_conn.enable_load_extension(False)
    if _hashchain_agrees is None:
        _hashchain_agrees = _agrees_with_hashchain(dbapi_conn)
        if not _hashchain_agrees:
            log.error(
                "SQLite extension %s disagrees with zhian.core.hashchain: not used",
                HASHCHAIN_EXTENSION,
            )


def _agrees_with_hashchain(dbapi_conn: Any) -> bool:
    """The extension's answers, on an entry with every kind of value and character it must
    write as the canonical encoding does, on each way it must find that entry altered, and on
    instants and quantities as stored and as they are not."""
    value = 'tab\t "q" back\\ \x01 \x1f \x7f 治安'
    obj = {"e": "", "max": 2**63 - 1, "min": -(2**63), "n": -12, "none": None, "p": {"a": [1]}}
    data = hashchain.canonical({**obj, "s": value}).decode("utf-8")
    digest = hashchain.entry_hash_encoded(hashchain.GENESIS, data.encode("utf-8"))
    hashed = "SELECT zhian_entry_hash_ok(?, ?, ?)"
    encoded = (
        "SELECT zhian_canonical_is(?, 'e', '', 'max', ?, 'min', ?, 'n', ?, 'none', ?,"
        " 'p', json(?), 's', ?)"
    )
    honest = (2**63 - 1, -(2**63), -12, None, '{"a":[1]}', value)
    expected = [
        (hashed, (hashchain.GENESIS, data, digest), 1),
        (hashed, (hashchain.GENESIS, data.encode("utf-8"), digest), 1),
        (hashed, (hashchain.GENESIS, data + " ", digest), 0),
        (hashed, ("1" + hashchain.GENESIS[1:], data, digest), 0),
        (hashed, (hashchain.GENESIS[1:], data, digest), 0),
        (hashed, (hashchain.GENESIS, data, digest.upper()), 0),
        (hashed, (hashchain.GENESIS, data, digest.encode("ascii")), 0),
        (encoded, (data, *honest), 1),
        (encoded, (data, *honest[:2], "-12", *honest[3:]), 0),
        (encoded, (data, *honest[:2], -12.0, *honest[3:]), 0),
        (encoded, (data, *honest[:3], "null", *honest[4:]), 0),
        (encoded, (data, *honest[:4], '{"a":[2]}', value), 0),
        (encoded, (data, *honest[:5], value.encode("utf-8")), 0),
        (encoded, (data + " ", *honest), 0),
        (
            "SELECT zhian_utc_text(?)",
            ("2026-11-01 03:00:00.000001",),
            "2026-11-01T03:00:00.000001Z",
        ),
        ("SELECT zhian_utc_text(?)", ("2026-11-01T03:00:00.000001",), None),
        ("SELECT zhian_utc_text(?)", ("2026-11-01 03:00:00",), None),
        ("SELECT zhian_decimal_text(?, 3)", (-7,), "-7.000"),
        ("SELECT zhian_decimal_text(?, 3)", (12.345,), "12.345"),
        ("SELECT zhian_decimal_text(?, 3)", (0.0625,), None),  # "0.063" to SQLite, 0.062 here
        ("SELECT zhian_decimal_text(?, 3)", ("7",), None),
        ("SELECT zhian_decimal_text(?, 3)", (-0.0,), None),  # "-0.000" here
        ("SELECT zhian_decimal_text(?, 3)", (2**53 + 1,), None),  # 2**53 read as a double
        ("SELECT zhian_decimal_text(?, 3)", (2**53 / 1000,), None),
    ]
    try:
        return all(
            dbapi_conn.execute(sql, args).fetchone() == (want,) for sql, args, want in expected
        )
    except SQLITE.Error:  # pragma: no cover - a function missing or failing
        return False


def hashchain_in_sqlite(conn: Connection) -> bool:
    """Whether this connection checks hash-chain entries in the database: SQLite with the
    extension loaded and found to agree with zhian.core.hashchain."""
    if conn.dialect.name != "sqlite" or not _hashchain_agrees:
        return False
    # The function the extension registers last: where it is, every one is.
    found = conn.exec_driver_sql(
        "SELECT 1 FROM pragma_function_list WHERE name = 'zhian_decimal_text'"
    ).first()
    return found is not None


NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class UTCDateTime(TypeDecorator[datetime]):
    """An aware UTC datetime on every backend (SQLite keeps no zone, so we put it back)."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given to a UTC column")
        return as_utc(value) if dialect.name != "sqlite" else as_utc(value).replace(tzinfo=None)

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        return None if value is None else as_utc(value)

    def bind_processor(self, dialect: Dialect) -> Callable[[datetime | None], Any] | None:
        if dialect.name != "sqlite":
            return super().bind_processor(dialect)

        # SQLite's DATETIME text in one step (SQLAlchemy's own storage format,
        # "YYYY-MM-DD HH:MM:SS.ffffff"): the generic chain costs several microseconds a
        # value, and the positions consumer binds tens of thousands of them a second.
        def process(value: datetime | None) -> str | None:
            if value is None:
                return None
            if value.tzinfo is None:
                raise ValueError("naive datetime given to a UTC column")
            # An aware UTC time prints "+00:00" last: cut it rather than copy the value.
            return value.astimezone(UTC).isoformat(" ", "microseconds")[:-6]

        return process


def utc_from_raw(value: str | datetime) -> datetime:
    """A UTCDateTime column's value as the driver returned it (selected through
    ``type_coerce(column, NullType())`` to skip the per-row conversion) as an aware UTC
    datetime: SQLite gives the stored text (UTC, no zone), PostgreSQL a datetime."""
    if isinstance(value, str):
        return datetime.fromisoformat(value).replace(tzinfo=UTC)
    return as_utc(value)


class Base(DeclarativeBase):
    """Every table: a surrogate id and UTC creation and update times."""

    metadata = MetaData(naming_convention=NAMING_CONVENTION)
    type_annotation_map: ClassVar[dict[Any, Any]] = {datetime: UTCDateTime(), str: String()}

    id: Mapped[int] = mapped_column(primary_key=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)


class UnsafeDatabase(RuntimeError):
    """The database is configured so that a committed record could be lost."""


def _sqlite_pragmas(dbapi_conn: Any, _record: Any) -> None:
    # pysqlite's own transaction handling breaks SAVEPOINT; SQLAlchemy emits BEGIN itself.
    dbapi_conn.isolation_level = None
    cur = dbapi_conn.cursor()
    cur.execute("PRAGMA journal_mode=WAL")
    cur.execute("PRAGMA synchronous=FULL")
    cur.execute("PRAGMA foreign_keys=ON")
    cur.execute("PRAGMA busy_timeout=10000")
    cur.close()


SQLITE_BUSY_S = 10.0


class WriterQueue:
    """First come, first served for SQLite's single write lock, within this process.

    SQLite's own wait (busy_timeout) polls with growing sleeps, so a connection that commits
    and begins again at once (a bus consumer working through a backlog) takes the lock back
    before a waiting request wakes up, again and again until that request times out. Waiters
    here queue in arrival order and the lock passes to the first of them on commit.
    """

    def __init__(self) -> None:
        self._cond = threading.Condition()
        self._waiting: deque[object] = deque()
        self._holder: object | None = None

    def acquire(self, owner: object, timeout: float = SQLITE_BUSY_S) -> None:
        """Wait for the turn of ``owner``; raise ``OperationalError`` after ``timeout``."""
        with self._cond:
            ticket = object()
            self._waiting.append(ticket)
            turn = self._cond.wait_for(
                lambda: self._holder is None and self._waiting[0] is ticket, timeout
            )
            if not turn:
                self._waiting.remove(ticket)
                self._cond.notify_all()
                raise SQLITE.OperationalError("database is locked (writer queue timeout)")
            self._waiting.popleft()
            self._holder = owner

    def release(self, owner: object) -> None:
        """End the turn of ``owner`` (no-op if it does not hold it)."""
        with self._cond:
            if self._holder is owner:
                self._holder = None
                self._cond.notify_all()


_writer_queues: dict[str, WriterQueue] = {}
_writer_queues_lock = threading.Lock()


def writer_queue(database: str) -> WriterQueue:
    """The writer queue of one SQLite database file (shared by every engine on it)."""
    key = str(Path(database).resolve())
    with _writer_queues_lock:
        return _writer_queues.setdefault(key, WriterQueue())


# The execution option that makes a transaction read-only (``read_only``/``begin_read_only``).
READ_ONLY = "zhian_read_only"


def _sqlite_transactions(engine: Engine, queue: WriterQueue | None) -> None:
    def begin(conn: Any) -> None:
        dbapi_conn = conn.connection.dbapi_connection
        if conn.get_execution_options().get(READ_ONLY):
            # Deferred: WAL gives the reader a snapshot at its first read, without the write
            # lock, so it neither waits for writers nor holds them up. query_only turns a
            # write into an immediate error instead of the late "database is locked" a
            # deferred transaction gets on its first write after another commit.
            conn.exec_driver_sql("BEGIN")
            if not conn.connection.info.get(READ_ONLY):  # else on since the last reader
                dbapi_conn.execute("PRAGMA query_only=ON")
                conn.connection.info[READ_ONLY] = True
            return
        if conn.connection.info.pop(READ_ONLY, False):
            dbapi_conn.execute("PRAGMA query_only=OFF")  # the connection's last was a reader
        # IMMEDIATE: take the write lock at BEGIN. A deferred transaction that reads and
        # then writes fails at once ("database is locked", no wait) whenever another
        # connection committed in between, as the bus consumers do all the time.
        if queue is None:
            conn.exec_driver_sql("BEGIN IMMEDIATE")
            return
        queue.acquire(dbapi_conn)
        try:
            conn.exec_driver_sql("BEGIN IMMEDIATE")
        except BaseException:
            queue.release(dbapi_conn)
            raise

    event.listen(engine, "begin", begin)
    if queue is None:
        return

    def end(conn: Any) -> None:
        queue.release(conn.connection.dbapi_connection)

    def returned(dbapi_conn: Any, _record: Any) -> None:
        queue.release(dbapi_conn)  # a connection handed back mid-transaction (an error path)

    event.listen(engine, "commit", end)
    event.listen(engine, "rollback", end)
    event.listen(engine, "checkin", returned)


def _postgresql_transactions(engine: Engine) -> None:
    def begin(conn: Any) -> None:
        if conn.get_execution_options().get(READ_ONLY):
            # Readers never wait on PostgreSQL (MVCC); this only makes a write fail as it
            # does on SQLite, so a route marked read-only that writes is caught in the tests.
            conn.exec_driver_sql("SET TRANSACTION READ ONLY")

    event.listen(engine, "begin", begin)


def make_engine(url: str, *, hashchain_functions: bool = True, **kwargs: Any) -> Engine:
    """An engine with the durability settings this project promises; on SQLite, with the hash
    chain's functions in each connection where they were built (``hashchain_functions=False``:
    without, as where they were not)."""
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite":
        db = parsed.database
        if db and db != ":memory:":
            Path(db).parent.mkdir(parents=True, exist_ok=True)
        engine = create_engine(url, **{"module": SQLITE, **kwargs})
        event.listen(engine, "connect", _sqlite_pragmas)
        if hashchain_functions:
            event.listen(engine, "connect", _load_hashchain)
        _sqlite_transactions(engine, writer_queue(db) if db and db != ":memory:" else None)
        return engine
    if parsed.get_backend_name() == "postgresql" and parsed.get_driver_name() in ("", "psycopg2"):
        parsed = parsed.set(drivername="postgresql+psycopg")
    engine = create_engine(parsed, pool_pre_ping=True, **kwargs)
    if engine.dialect.name == "postgresql":
        _postgresql_transactions(engine)
    return engine


def check_durability(engine: Engine) -> None:
    """Refuse to run on a PostgreSQL server that may lose committed transactions."""
    if engine.dialect.name != "postgresql":
        return
    with engine.connect() as conn:
        for name in ("fsync", "synchronous_commit"):
            value = conn.execute(text(f"SHOW {name}")).scalar_one()
            if str(value).lower() == "off":
                raise UnsafeDatabase(
                    f"PostgreSQL has {name}=off: a committed record could be lost; "
                    f"zhian refuses to start until it is on"
                )


def make_sessionmaker(engine: Engine) -> sessionmaker[Session]:
    """Sessions that keep loaded objects usable after commit (templates render them)."""
    return sessionmaker(engine, expire_on_commit=False)


@contextmanager
def unit_of_work(factory: sessionmaker[Session]) -> Iterator[Session]:
    """The transaction owner for a job or CLI command: commit on success, roll back on error."""
    session = factory()
    try:
        yield session
        session.commit()
    except BaseException:
        session.rollback()
        raise
    finally:
        session.close()


def begin_read_only(session: Session, *, snapshot: bool = False) -> None:
    """Start the session's transaction as a read-only one (it must not have begun yet).

    On SQLite it takes no write lock: a reader is neither queued behind writers nor holds
    them up, and reads one consistent snapshot. Any write in it fails at once (on
    PostgreSQL too). With ``snapshot``, PostgreSQL too reads one snapshot (REPEATABLE READ)
    instead of each statement its own. The transaction after this one is an ordinary one
    again.
    """
    if session.in_transaction():
        raise RuntimeError("begin_read_only: the session's transaction has already begun")
    options: dict[str, Any] = {READ_ONLY: True}
    if snapshot and session.get_bind().dialect.name == "postgresql":
        options["isolation_level"] = "REPEATABLE READ"
    session.connection(execution_options=options)
    session.info[READ_ONLY] = session.get_transaction()


def is_read_only(session: Session) -> bool:
    """Whether the session's current transaction was begun with ``begin_read_only``."""
    began = session.info.get(READ_ONLY)
    return began is not None and began is session.get_transaction()


@contextmanager
def read_only(factory: sessionmaker[Session]) -> Iterator[Session]:
    """A unit of work that only reads: one read-only transaction (``begin_read_only``),
    ended and closed on the way out."""
    with unit_of_work(factory) as session:
        begin_read_only(session)
        yield session


class _ValueList(TypeDecorator[list[Any]]):
    """A list of values bound as one parameter: JSON text on SQLite (read by ``json_each``),
    an array of ``item`` ("int" or "str") on PostgreSQL."""

    impl = String
    cache_ok = True

    def __init__(self, item: str) -> None:
        super().__init__()
        self.item = item

    def load_dialect_impl(self, dialect: Dialect) -> Any:
        if dialect.name == "postgresql":
            element = BigInteger() if self.item == "int" else Text()
            return dialect.type_descriptor(postgresql.ARRAY(element))
        return dialect.type_descriptor(String())

    def process_bind_param(self, value: list[Any] | None, dialect: Dialect) -> Any:
        if value is None:
            return None
        return json.dumps(list(value)) if dialect.name == "sqlite" else list(value)


class _OneOf(ColumnElement[bool]):
    inherit_cache = True
    type = Boolean()
    _traverse_internals = [  # noqa: RUF012 (SQLAlchemy reads it as a class attribute)
        ("column", InternalTraversal.dp_clauseelement),
        ("values", InternalTraversal.dp_clauseelement),
    ]

    # A comparison, as ``IN`` is: rendered as it stands in a WHERE, with no ``= 1``.
    _is_implicitly_boolean = True

    def __init__(self, column: ColumnElement[Any], values: BindParameter[Any]) -> None:
        self.column, self.values = column, values

    @property
    def _from_objects(self) -> list[Any]:
        return list(self.column._from_objects)


def one_of(column: Any, name: str) -> ColumnElement[bool]:
    """``column IN (the values of the list parameter name)``, for lists of hundreds.

    An expanding ``IN`` renders one placeholder per value at every execution: at a thousand
    values that costs SQLAlchemy more than the query costs the database, and the statement
    is new to the driver's cache each time. This SQL is the same whatever the list holds
    (SQLite reads the list with ``json_each``, PostgreSQL compares with ``= ANY``), so it is
    compiled and prepared once. The list's values must be JSON's (ints or strings).

    >>> session.scalars(select(T.id).where(one_of(T.code, "codes")), {"codes": ["a", "b"]})
    """
    item = "int" if column.type.python_type is int else "str"
    return _OneOf(column, bindparam(name, type_=_ValueList(item)))


@compiles(_OneOf)
def _one_of_sqlite(element: _OneOf, compiler: Any, **kw: Any) -> str:
    column, values = compiler.process(element.column, **kw), compiler.process(element.values, **kw)
    return f"{column} IN (SELECT value FROM json_each({values}))"


@compiles(_OneOf, "postgresql")
def _one_of_postgresql(element: _OneOf, compiler: Any, **kw: Any) -> str:
    column, values = compiler.process(element.column, **kw), compiler.process(element.values, **kw)
    return f"{column} = ANY({values})"


class Bulk:
    """One INSERT or UPDATE run for many rows through the driver's executemany.

    SQLAlchemy's own executemany builds a parameter dictionary and runs the Python-side
    defaults for every row, which at thousands of rows a second costs more than the
    database's work. Here the statement is compiled once per dialect and each row only goes
    through its columns' bind processors. Rows are tuples in ``names`` order, and every
    parameter of the statement must be among them: nothing is filled in (give
    ``created_at``/``updated_at`` yourself), which the first execution checks.

    >>> Bulk(insert(table), ("a", "b")).execute(session, [(1, "x"), (2, "y")])
    """

    def __init__(self, statement: Insert | Update, names: Sequence[str]) -> None:
        self.statement, self.names = statement, tuple(names)
        self._prepared: dict[tuple[str, str], _Prepared] = {}

    def execute(self, session: Session, rows: Sequence[Sequence[Any]]) -> None:
        """Run the statement once per row, in the session's transaction."""
        if not rows:
            return
        connection = session.connection()
        dialect = connection.dialect
        key = (dialect.name, dialect.paramstyle)
        prepared = self._prepared.get(key)
        if prepared is None:
            prepared = self._prepared[key] = self._prepare(dialect)
        sql, order, processors, positional = prepared
        params: list[Any] = []
        # The last value each processor saw and made: rows of one batch share objects (the
        # batch's ``created_at``), and formatting a datetime costs more than the lookup.
        seen: list[tuple[Any, Any]] = [(_UNSEEN, None)] * len(processors)
        for row in rows:
            values = [row[i] for i in order]
            for n, (i, process) in enumerate(processors):
                value = values[i]
                last, made = seen[n]
                if value is not last:
                    made = process(value)
                    seen[n] = (value, made)
                values[i] = made
            params.append(
                tuple(values) if positional else dict(zip(self.names, values, strict=True))
            )
        connection.exec_driver_sql(sql, params)

    def _prepare(self, dialect: Dialect) -> _Prepared:
        # Inline: PostgreSQL would otherwise add RETURNING id, a row back per row written.
        statement = (
            self.statement.inline() if isinstance(self.statement, Insert) else self.statement
        )
        compiled = statement.compile(
            dialect=dialect,
            column_keys=list(self.names) if isinstance(self.statement, Insert) else None,
        )
        if set(compiled.binds) != set(self.names):
            raise ValueError(
                f"bulk statement parameters {sorted(compiled.binds)} != given {sorted(self.names)}"
            )
        positional = bool(compiled.positional)
        names = list(compiled.positiontup or ()) if positional else list(self.names)
        order = [self.names.index(name) for name in names]
        processors: list[tuple[int, Callable[[Any], Any]]] = []
        for i, name in enumerate(names):
            type_ = compiled.binds[name].type
            process = type_.dialect_impl(dialect).bind_processor(dialect)
            if process is not None:
                processors.append((i, process))
        return compiled.string, order, processors, positional


_UNSEEN = object()
_Prepared = tuple[str, list[int], list[tuple[int, Callable[[Any], Any]]], bool]

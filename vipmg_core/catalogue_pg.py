"""The catalogue on PostgreSQL (psycopg 3 and a connection pool), behind the same small interface as SQLite's.

Callers write SQL once, with SQLite's `?` placeholders, and read rows by name or by index: a connection here
translates the placeholders (never inside a string literal), returns rows that behave like `sqlite3.Row`, and
`Catalogue.transaction()` takes a transaction-scoped advisory lock first, so writers queue one behind the other
exactly as SQLite's BEGIN IMMEDIATE makes them. psycopg is imported only when a PostgreSQL URL is configured.

A deployment's tables can live in their own schema: `postgresql://host/db?schema=lab` (the schema is created
when missing). `options=-csearch_path%3D...` works too, as libpq reads it.
"""

from __future__ import annotations

import atexit
import functools
import os
import threading
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from typing import Any, ClassVar, SupportsIndex
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

from vipmg_core.sqltext import quote as _quote

# Connections per process; the app serves every session from threads of one process.
POOL_SIZE = int(os.environ.get("VIPMG_CATALOGUE_POOL_SIZE", "10"))
LOCK_CLASS = 0x5649  # "VI": the advisory lock's first key; the second is the schema's hash


def is_postgres_url(url: str | None) -> bool:
    return url is not None and url.split(":", 1)[0] in ("postgresql", "postgres")


def split_url(url: str) -> tuple[str, str | None]:
    """The libpq URL without our own `schema` parameter, and that schema (None when not given)."""
    parts = urlsplit(url)
    query = parse_qsl(parts.query, keep_blank_values=True)
    schema = next((value for key, value in query if key == "schema"), None)
    rest = urlencode([(key, value) for key, value in query if key != "schema"])
    return urlunsplit(parts._replace(query=rest)), schema


def redact(url: str) -> str:
    """The URL without its password, for messages."""
    parts = urlsplit(url)
    if parts.password is None:
        return url
    netloc = parts.netloc.replace(f":{parts.password}@", ":***@", 1)
    return urlunsplit(parts._replace(netloc=netloc))


# -- `?` placeholders -----------------------------------------------------------------------------------------

@functools.lru_cache(maxsize=1024)
def translate(sql: str, named: bool = False) -> str:
    """SQLite's `?` (or `:name` when `named`) as psycopg's `%s` (`%(name)s`), every literal `%` doubled.
    Placeholders are recognised only outside string literals, quoted identifiers and comments."""
    out: list[str] = []
    i, n = 0, len(sql)
    while i < n:
        ch = sql[i]
        if ch in ("'", '"'):  # a literal or a quoted identifier: copied whole ('' and "" escape themselves)
            end = i + 1
            while end < n and sql[end] != ch:
                end += 1
            out.append(sql[i:end + 1].replace("%", "%%"))
            i = end + 1
        elif sql.startswith("--", i):
            end = sql.find("\n", i)
            end = n if end < 0 else end
            out.append(sql[i:end].replace("%", "%%"))
            i = end
        elif sql.startswith("/*", i):
            end = sql.find("*/", i + 2)
            end = n if end < 0 else end + 2
            out.append(sql[i:end].replace("%", "%%"))
            i = end
        elif ch == "?" and not named:
            out.append("%s")
            i += 1
        elif ch == ":" and named and i + 1 < n and (sql[i + 1].isalpha() or sql[i + 1] == "_") and \
                not sql.startswith("::", i - 1 if i else 0):
            end = i + 1
            while end < n and (sql[end].isalnum() or sql[end] == "_"):
                end += 1
            out.append(f"%({sql[i + 1:end]})s")
            i = end
        elif ch == "%":
            out.append("%%")
            i += 1
        else:
            out.append(ch)
            i += 1
    return "".join(out)


def split_script(script: str) -> list[str]:
    """The statements of an SQL script, split at the semicolons outside literals and comments."""
    statements, start, i, n = [], 0, 0, len(script)
    while i < n:
        ch = script[i]
        if ch in ("'", '"'):
            end = script.find(ch, i + 1)
            i = n if end < 0 else end + 1
        elif script.startswith("--", i):
            end = script.find("\n", i)
            i = n if end < 0 else end
        elif script.startswith("/*", i):
            end = script.find("*/", i + 2)
            i = n if end < 0 else end + 2
        elif ch == ";":
            statements.append(script[start:i])
            start = i = i + 1
        else:
            i += 1
    statements.append(script[start:])
    return [s.strip() for s in statements if _has_code(s)]


def _has_code(statement: str) -> bool:
    return any(line.strip() and not line.strip().startswith("--") for line in statement.splitlines())


# -- rows like sqlite3.Row ------------------------------------------------------------------------------------

class Row(tuple):
    """A row read by index, by (case-insensitive) column name, or as `dict(row)`, like `sqlite3.Row`."""

    __slots__ = ()
    _names: ClassVar[tuple[str, ...]] = ()
    _index: ClassVar[dict[str, int]] = {}

    def __getitem__(self, key: str | SupportsIndex | slice) -> Any:
        if isinstance(key, str):
            try:
                return tuple.__getitem__(self, self._index[key.lower()])
            except KeyError:
                raise IndexError(f"no column {key!r}") from None
        return tuple.__getitem__(self, key)

    def keys(self) -> list[str]:
        return list(self._names)


@functools.lru_cache(maxsize=1024)
def _row_class(names: tuple[str, ...]) -> type[Row]:
    index: dict[str, int] = {}
    for i, name in enumerate(names):
        index.setdefault(name.lower(), i)
    return type("Row", (Row,), {"__slots__": (), "_names": names, "_index": index})


def _row_factory(cursor):
    if cursor.description is None:
        return tuple
    cls = _row_class(tuple(column.name for column in cursor.description))
    return lambda values: cls(values)


# -- connections ---------------------------------------------------------------------------------------------

class Connection:
    """A pooled psycopg connection that takes SQLite-style SQL: what `Catalogue.connect()` yields."""

    def __init__(self, con):
        self.raw = con

    def execute(self, sql: str, params: Sequence | dict = ()):
        if not params:
            return self.raw.execute(sql)
        return self.raw.execute(translate(sql, isinstance(params, dict)), params)

    def executemany(self, sql: str, seq: Sequence[Sequence | dict]):
        seq = list(seq)
        cur = self.raw.cursor()
        if seq:
            cur.executemany(translate(sql, isinstance(seq[0], dict)), seq)
        return cur

    def executescript(self, script: str) -> None:
        for statement in split_script(script):
            self.raw.execute(statement)


_pools: dict[tuple[int, str], Any] = {}
_pools_lock = threading.Lock()


def pool(url: str):
    """This process's pool for `url` (a child process opens its own: a socket is never shared across a fork)."""
    key = (os.getpid(), url)
    with _pools_lock:
        found = _pools.get(key)
        if found is None:
            try:
                from psycopg_pool import ConnectionPool, PoolTimeout
            except ImportError:
                raise RuntimeError("the catalogue is on PostgreSQL (VIPMG_CATALOGUE_URL): install psycopg[binary] and"
                                   " psycopg-pool (pip install -r requirements.txt)") from None

            conninfo, schema = split_url(url)
            # No server-side prepared statements: the catalogue's queries are small, and no plan is kept across a
            # migration another process runs (tests/test_catalogue.py reads an altered table from a running one).
            kwargs: dict[str, Any] = {"autocommit": True, "row_factory": _row_factory, "prepare_threshold": None}
            _prepare(url, conninfo, schema)
            if schema:
                kwargs["options"] = f"-c search_path={_quote(schema)}"
            found = ConnectionPool(conninfo, kwargs=kwargs, min_size=1, max_size=POOL_SIZE, open=True,
                                   name=f"vipmg-catalogue-{len(_pools)}")
            try:
                found.wait(timeout=30)
            except PoolTimeout:
                found.close()
                raise RuntimeError(f"cannot connect to the catalogue at {redact(url)} (VIPMG_CATALOGUE_URL)") from None
            _pools[key] = found
    return found


def close_pool(url: str) -> None:
    """Close this process's connections to `url` (a test's schema, once the test is over)."""
    with _pools_lock:
        found = _pools.pop((os.getpid(), url), None)
    if found is not None:
        found.close()


@atexit.register
def _close_all() -> None:
    for pid, url in list(_pools):
        if pid == os.getpid():
            close_pool(url)


def _prepare(url: str, conninfo: str, schema: str | None) -> None:
    """Fail at once, saying why, when the server cannot be reached; create the schema when missing."""
    import psycopg

    try:
        con = psycopg.connect(conninfo, autocommit=True, connect_timeout=10)
    except psycopg.OperationalError as error:
        reason = str(error).strip().splitlines()[0] if str(error).strip() else type(error).__name__
        raise RuntimeError(f"cannot connect to the catalogue at {redact(url)} (VIPMG_CATALOGUE_URL): {reason}"
                           ) from None
    with con:
        if schema and not con.execute("SELECT 1 FROM pg_namespace WHERE nspname = %s", (schema,)).fetchone():
            try:
                con.execute(f"CREATE SCHEMA IF NOT EXISTS {_quote(schema)}")
            except psycopg.errors.UniqueViolation:  # another process created it at the same moment
                pass


@contextmanager
def connect(url: str) -> Iterator[Connection]:
    with pool(url).connection() as con:
        yield Connection(con)


@contextmanager
def transaction(url: str, *, count: bool = True) -> Iterator[Connection]:
    """READ COMMITTED after a transaction-scoped advisory lock: each statement sees every writer that committed
    before it got the lock, and writers of the same schema queue (SQLite's BEGIN IMMEDIATE). The change counter
    moves in the same transaction, so `changes()` moves exactly when something commits."""
    with connect(url) as con, con.raw.transaction():
        con.raw.execute("SELECT pg_advisory_xact_lock(%s, hashtext(current_schema()))", (LOCK_CLASS,))
        if count:  # (not while the schema itself is being made)
            con.raw.execute("UPDATE meta SET value = CAST(CAST(value AS BIGINT) + 1 AS TEXT) WHERE key = 'changes'")
        yield con


def changes(url: str) -> tuple:
    with connect(url) as con:
        row = con.raw.execute("SELECT value FROM meta WHERE key = 'changes'").fetchone()
    return (url, row[0] if row else None)

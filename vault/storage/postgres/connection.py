"""A PostgreSQL connection that behaves as the code expects of SQLite's (psycopg 3).

The one place besides ``dialect`` that knows PostgreSQL: statements are translated
(``dialect.translate``), ``BEGIN IMMEDIATE`` becomes a transaction holding the vault's
write lock (``pg_advisory_xact_lock``: every write group of every process runs alone,
as SQLite's writers do, which keeps audit appends dense and ordered), a read's
``BEGIN`` a ``REPEATABLE READ`` snapshot, and the driver's errors become
``vault.errors`` here, so nothing above knows which driver is in use. Parameters are
bound by the client (``ClientCursor``), as SQLite binds them: untyped, so a ``NULL`` or
a number compares with any column as it does there.
"""

from __future__ import annotations

import ipaddress
import re
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager, suppress
from dataclasses import dataclass
from typing import Any
from urllib.parse import unquote

import psycopg
from psycopg import ClientCursor, errors, sql
from psycopg.adapt import Buffer
from psycopg.types.numeric import Int8Dumper
from psycopg.types.string import TextLoader

from crypto.secret import Secret
from vault.errors import StoreError, WriteFailed
from vault.storage.postgres.dialect import numbered, translate

# The key of the advisory lock every write transaction holds: a fixed number
# (the bytes "perm" "anen"), the same in every process of every version.
WRITE_LOCK = 0x7065726D616E656E
BEGIN_WRITE = "BEGIN"
TAKE_WRITE_LOCK = f"SELECT pg_advisory_xact_lock({WRITE_LOCK})"
BEGIN_READ = "BEGIN ISOLATION LEVEL REPEATABLE READ"
CONNECT_SECONDS = 10
# How long a statement waits for a lock (the write lock above all) before failing, as
# SQLite's busy_timeout: a process stuck holding it costs the others one error, not a hang.
LOCK_TIMEOUT_MS = 10_000


class _BoolAsInteger(Int8Dumper):
    """``True``/``False`` are stored as 1/0, as SQLite stores them (INTEGER columns)."""

    def dump(self, obj: Any) -> Buffer:
        return b"1" if obj else b"0"


class Cursor:
    """The rows of one statement: ``fetchone``, ``fetchall``, ``rowcount``, iteration."""

    def __init__(self, rows: list[tuple[Any, ...]], rowcount: int) -> None:
        self._rows = rows
        self._next = 0
        self.rowcount = rowcount

    def fetchone(self) -> tuple[Any, ...] | None:
        if self._next >= len(self._rows):
            return None
        row = self._rows[self._next]
        self._next += 1
        return row

    def fetchall(self) -> list[tuple[Any, ...]]:
        rows = self._rows[self._next :]
        self._next = len(self._rows)
        return rows

    def __iter__(self) -> Iterator[tuple[Any, ...]]:
        while (row := self.fetchone()) is not None:
            yield row


class PostgresConnection:
    """``vault.storage.store.Connection`` over one psycopg connection (autocommit, own BEGIN)."""

    backend = "postgres"

    def __init__(self, conn: psycopg.Connection[tuple[Any, ...]], url: Secret) -> None:
        self._conn = conn
        self._url = url
        self._watches: list[_Watch] = []

    @property
    def raw(self) -> psycopg.Connection[tuple[Any, ...]]:
        """The psycopg connection (for this package only: the schema, watches)."""
        return self._conn

    def add_watch(self, triggers: Iterable[str], fired: Callable[[], None]) -> None:
        """Call ``fired`` on every statement of this connection that makes one of the changes
        ``triggers`` names (``Writer.watch``; SQLite uses TEMP triggers). A statement on the
        table counts even if it changes no row, or is rolled back: never fewer calls than
        the triggers would make, sometimes more."""
        self._watches.extend(parse_watch(when, fired) for when in triggers)

    def _saw(self, statement: str) -> None:
        for watch in self._watches:
            if watch.matches(statement):
                watch.fired()

    def execute(
        self, statement: str, parameters: Sequence[Any] | Mapping[str, Any] = (), /
    ) -> Cursor:
        if self._watches:
            self._saw(statement)
        if statement in ("BEGIN IMMEDIATE", "BEGIN") and self._conn.broken:
            self._reconnect()  # between transactions nothing is lost (a database restart)
        with translated_errors(self._url):
            if statement == "BEGIN IMMEDIATE":
                self._conn.execute(BEGIN_WRITE)
                self._conn.execute(TAKE_WRITE_LOCK)
                return Cursor([], -1)
            if statement == "BEGIN":
                self._conn.execute(BEGIN_READ)
                return Cursor([], -1)
            cur = self._conn.cursor()
            cur.execute(translate(statement), _parameters(statement, parameters))
            rows = cur.fetchall() if cur.description is not None else []
            return Cursor(rows, cur.rowcount)

    def executemany(
        self, statement: str, parameters: Iterable[Sequence[Any] | Mapping[str, Any]], /
    ) -> Cursor:
        if self._watches:
            self._saw(statement)
        with translated_errors(self._url):
            cur = self._conn.cursor()
            cur.executemany(translate(statement), [_parameters(statement, p) for p in parameters])
            return Cursor([], cur.rowcount)

    def execute_native(self, statement: str | sql.Composed) -> None:
        """A statement in PostgreSQL's own spelling, untranslated, without parameters."""
        with translated_errors(self._url):
            self._conn.execute(statement)

    def _reconnect(self) -> None:
        fresh = connect(self._url)
        self._conn.close()
        self._conn = fresh._conn

    def close(self) -> None:
        self._conn.close()


def _parameters(
    statement: str, given: Sequence[Any] | Mapping[str, Any]
) -> tuple[Any, ...] | dict[str, Any]:
    """Positional (``?``), numbered (``?1``) or named (``:name``) parameters, as psycopg
    takes them."""
    if isinstance(given, Mapping):
        return dict(given)
    if numbered(statement):
        return {f"_{n}": value for n, value in enumerate(given, start=1)}
    return tuple(given)


def connect(url: Secret) -> PostgresConnection:
    """Open a connection to the PostgreSQL database ``url`` names (autocommit), refusing one
    that reached another machine without verified TLS (whatever the address said: libpq
    also reads ``PGHOST``, ``PGSSLMODE`` and service files)."""
    text = url.value.decode("utf-8", "replace")
    try:
        psycopg.conninfo.conninfo_to_dict(text)
    except psycopg.ProgrammingError:  # its message quotes the address: not shown
        raise StoreError(
            "the setting database_url is not a PostgreSQL address libpq can read: a user name"
            " or password holding %, @, : or / must write them %25, %40, %3A, %2F"
        ) from None
    try:
        conn = psycopg.connect(
            text,
            autocommit=True,
            cursor_factory=ClientCursor,
            connect_timeout=CONNECT_SECONDS,
            application_name="permanence",
        )
    except psycopg.Error as e:  # the socket, the address, the role, the password, the name
        said = " ".join(line for line in str(e).splitlines() if not line[:1].isspace())
        reason = _without_secret(said, url) or "no reason given"  # libpq's hints left out
        raise StoreError(f"the PostgreSQL database cannot be reached: {reason}") from None
    if not _verified_or_local(conn):
        conn.close()
        raise StoreError(
            "the PostgreSQL connection reached another machine without verified TLS:"
            " add sslmode=verify-full to database_url (docs/operations.md)"
        )
    with translated_errors(url):
        conn.execute(f"SET lock_timeout = {int(LOCK_TIMEOUT_MS)}")
    conn.adapters.register_dumper(bool, _BoolAsInteger)
    # JSON comes back as its text, as SQLite's ``->`` gives it.
    conn.adapters.register_loader("jsonb", TextLoader)
    conn.adapters.register_loader("json", TextLoader)
    return PostgresConnection(conn, url)


def _verified_or_local(conn: psycopg.Connection[Any]) -> bool:
    """Whether the connection libpq made is over a Unix socket or the loopback, or TLS with
    the server's certificate verified (``sslmode`` verify-ca or verify-full)."""
    host = conn.info.host or ""
    address = conn.info.hostaddr or ""
    if host.startswith("/") or (_loopback(host) and (not address or _loopback(address))):
        return True
    options = {o.keyword: o.val for o in conn.pgconn.info}
    mode = (options.get(b"sslmode") or b"").decode("ascii", "replace")
    return bool(conn.pgconn.ssl_in_use) and mode in ("verify-ca", "verify-full")


def _loopback(host: str) -> bool:
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return host.lower() == "localhost"


def _without_secret(message: str, url: Secret) -> str:
    """The driver's message, never holding the URL's password (nor the URL): the password
    as libpq read it, as typed, percent-decoded, and each piece of it between ``@`` and
    ``:`` (an unencoded ``@`` makes libpq take the rest for the host name)."""
    text = url.value.decode("utf-8", "replace")
    secrets: set[str] = {text}
    with suppress(psycopg.ProgrammingError):
        secrets.add(str(psycopg.conninfo.conninfo_to_dict(text).get("password") or ""))
    authority = text.partition("://")[2].partition("/")[0]
    typed = authority.rpartition("@")[0].partition(":")[2]
    for form in (typed, unquote(typed)):
        secrets.add(form)
        secrets.update(re.split(r"[@:]", form))
    for secret in sorted((s for s in secrets if len(s) >= 2), key=len, reverse=True):
        message = message.replace(secret, "***")
    return " ".join(message.split())


@contextmanager
def translated_errors(url: Secret) -> Iterator[None]:
    """Turn psycopg's errors into ``vault.errors``, as ``store.translated_errors`` does SQLite's."""
    try:
        yield
    except (errors.IntegrityError, errors.RaiseException) as e:
        raise WriteFailed(_message(e, url)) from None
    except psycopg.OperationalError as e:
        if isinstance(e, errors.QueryCanceled | errors.LockNotAvailable) or e.sqlstate:
            raise StoreError(_message(e, url)) from None
        raise StoreError(
            "the PostgreSQL database cannot be reached: "
            + (_without_secret(str(e), url) or "no reason given")
        ) from None
    except psycopg.Error as e:
        raise StoreError(_message(e, url)) from None


def _message(error: psycopg.Error, url: Secret) -> str:
    primary = error.diag.message_primary if error.diag is not None else None
    return _without_secret(primary or str(error), url)


_WRITE = re.compile(
    r"^\s*(?:(UPDATE)|(INSERT)\s+(?:OR\s+\w+\s+)?INTO|(DELETE)\s+FROM)\s+(\w+)(.*)$",
    re.I | re.S,
)
_WATCHED = re.compile(
    r"^AFTER\s+(UPDATE|INSERT|DELETE)(?:\s+OF\s+([\w\s,]+?))?\s+ON\s+(\w+)$", re.I
)


@dataclass(frozen=True, slots=True)
class _Watch:
    event: str
    table: str
    columns: tuple[str, ...]
    fired: Callable[[], None]

    def matches(self, statement: str) -> bool:
        found = _WRITE.match(statement)
        if found is None:
            return False
        rest = found.group(5)
        events = {"UPDATE"} if found.group(1) else {"INSERT"} if found.group(2) else {"DELETE"}
        if "INSERT" in events and re.search(r"\bDO\s+UPDATE\b", rest, re.I):
            events.add("UPDATE")  # an upsert may update the row instead
        if self.event not in events or found.group(4).lower() != self.table:
            return False
        return not self.columns or any(
            re.search(rf"\b{re.escape(c)}\b", rest, re.I) for c in self.columns
        )


def parse_watch(when: str, fired: Callable[[], None]) -> _Watch:
    """``AFTER <event> [OF <columns>] ON <table>`` (``Writer.watch``'s spelling)."""
    found = _WATCHED.match(when.strip())
    if found is None:
        raise ValueError(f"not a watched change: {when!r}")
    columns = tuple(c.strip().lower() for c in (found.group(2) or "").split(",") if c.strip())
    return _Watch(found.group(1).upper(), found.group(3).lower(), columns, fired)

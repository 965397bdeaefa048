"""The vault's schema on PostgreSQL: one baseline at version 16, then one twin per migration.

``baseline.sql`` is what SQLite's migrations 1 to 16 build, in PostgreSQL's spelling
(checked by a test that builds both and compares them). Every SQLite migration after 16
needs its PostgreSQL twin in ``TWINS`` (same number; a test refuses a migration without
one). ``schema_migrations`` records the same numbers and names as on SQLite.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import UTC, datetime
from importlib import resources
from typing import Protocol

from vault.errors import StoreError
from vault.storage.postgres.connection import PostgresConnection

BASELINE_VERSION = 16


def _twin(name: str) -> str:
    return resources.files("vault.storage.postgres").joinpath(name).read_text(encoding="utf-8")


# Number → PostgreSQL text of each SQLite migration after the baseline.
TWINS: dict[int, str] = {17: _twin("0017_processes.sql")}
# Text sorts and compares as SQLite's BINARY (and citext as NOCASE, ASCII letters only)
# only under these: C.UTF-8 sorts as C, but citext folds non-ASCII letters under it.
C_LOCALES = ("C", "POSIX")


class Migration(Protocol):
    @property
    def number(self) -> int: ...
    @property
    def name(self) -> str: ...


def baseline_sql() -> str:
    package = resources.files("vault.storage.postgres")
    return package.joinpath("baseline.sql").read_text(encoding="utf-8")


def current_version(conn: PostgresConnection) -> int:
    row = conn.execute("SELECT to_regclass('schema_migrations') IS NOT NULL").fetchone()
    if not row or not row[0]:
        return 0
    found = conn.execute("SELECT max(number) FROM schema_migrations").fetchone()
    return int(found[0] or 0) if found else 0


def check_collation(conn: PostgresConnection) -> None:
    row = conn.execute(
        # datlocprovider (PostgreSQL 15: 'c' libc, 'i' ICU) read through jsonb: NULL before 15.
        "SELECT datcollate, datctype, to_jsonb(d) ->> 'datlocprovider' FROM pg_database d"
        " WHERE datname = current_database()"
    ).fetchone()
    if (
        row is None
        or row[0] not in C_LOCALES
        or row[1] not in C_LOCALES
        or row[2] not in (None, "c")
    ):
        raise StoreError(
            "the PostgreSQL database must be created with LC_COLLATE 'C' and LC_CTYPE 'C'"
            " (text then sorts as Permanence expects; docs/operations.md)"
        )


def foreign_tables(conn: PostgresConnection) -> int:
    """How many tables the database's current schema holds."""
    row = conn.execute(
        "SELECT count(*) FROM pg_tables WHERE schemaname = current_schema()"
    ).fetchone()
    return int(row[0]) if row else 0


def migrate_postgres(
    conn: PostgresConnection,
    migrations: Sequence[Migration],
    *,
    upto: int | None = None,
    progress: Callable[[Migration], None] | None = None,
) -> int:
    """Bring the database to the latest version (``upto`` at most); return the version."""
    latest = max((m.number for m in migrations), default=0)
    target = latest if upto is None else min(upto, latest)
    check_collation(conn)
    version = current_version(conn)
    if version > latest:
        raise StoreError(
            f"this database is at schema version {version}, newer than this program"
            f" ({latest}); upgrade Permanence"
        )
    if version >= target:
        return version
    if target < BASELINE_VERSION:
        raise StoreError(
            f"a PostgreSQL vault starts at schema version {BASELINE_VERSION}, not {target}"
        )
    conn.execute("BEGIN IMMEDIATE")  # the write lock: one process migrates, the others wait
    try:
        version = current_version(conn)  # another process may have migrated meanwhile
        if version == 0:
            if foreign_tables(conn):
                raise StoreError(
                    "the PostgreSQL database already holds tables that are not a Permanence"
                    " vault's; give Permanence an empty database"
                )
            conn.execute_native(baseline_sql())
            _record(conn, [m for m in migrations if m.number <= BASELINE_VERSION], progress)
            version = BASELINE_VERSION
        later = sorted(
            (m for m in migrations if version < m.number <= target), key=lambda m: m.number
        )
        for m in later:
            twin = TWINS.get(m.number)
            if twin is None:
                raise StoreError(f"migration {m.number} has no PostgreSQL version")
            conn.execute_native(twin)
            _record(conn, [m], progress)
            version = m.number
        conn.execute("COMMIT")
    except BaseException:
        conn.execute("ROLLBACK")
        raise
    return version


def realign_identities(conn: PostgresConnection) -> None:
    """Set every identity column's next value one past its largest, as SQLite's next rowid
    is: after rows were copied in with their own ids (``migrate-to``)."""
    columns = conn.execute(
        "SELECT table_name, column_name FROM information_schema.columns"
        " WHERE table_schema = current_schema() AND is_identity = 'YES'"
    ).fetchall()
    for table, column in columns:
        largest = f"SELECT coalesce(max({column}), 0) + 1 FROM {table}"  # noqa: S608 - catalogue names
        conn.execute(
            f"SELECT setval(pg_get_serial_sequence(?, ?), ({largest}), false)", (table, column)
        )


def _record(
    conn: PostgresConnection,
    migrations: Sequence[Migration],
    progress: Callable[[Migration], None] | None,
) -> None:
    at = datetime.now(UTC).replace(tzinfo=None).isoformat(timespec="milliseconds") + "Z"
    for m in sorted(migrations, key=lambda m: m.number):
        if progress is not None:
            progress(m)
        conn.execute(
            "INSERT INTO schema_migrations (number, name, applied_at) VALUES (?, ?, ?)",
            (m.number, m.name, at),
        )

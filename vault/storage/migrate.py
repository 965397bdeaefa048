"""Numbered schema migrations, applied in order, each in its own transaction.

The database records every migration it has applied in ``schema_migrations``;
opening a database newer than this code is refused rather than guessed at.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from importlib import resources

from audit.schema import SCHEMA_SQL as AUDIT_SCHEMA_SQL
from vault.errors import StoreError
from vault.storage.store import Connection, translated_errors


@dataclass(frozen=True, slots=True)
class Migration:
    number: int
    name: str
    sql: str


def _sql(name: str) -> str:
    return resources.files("vault.storage.schema").joinpath(name).read_text(encoding="utf-8")


def _migrations() -> list[Migration]:
    return [
        Migration(1, "foundation", _sql("0001_foundation.sql")),
        Migration(2, "audit log", AUDIT_SCHEMA_SQL),
        Migration(3, "accounts", _sql("0003_accounts.sql")),
        Migration(4, "items", _sql("0004_items.sql")),
        Migration(5, "audit index", _sql("0005_audit_index.sql")),
        Migration(6, "recovery challenges", _sql("0006_recovery_challenge.sql")),
        Migration(7, "refusal counts", _sql("0007_refusal_counts.sql")),
        Migration(8, "team keys and documents", _sql("0008_team.sql")),
        # Acknowledged items rebuild the item table: before anything else refers to it.
        Migration(9, "acknowledged items", _sql("0009_acknowledged.sql")),
        Migration(10, "requests and deposit labels", _sql("0010_requests.sql")),
        Migration(11, "on-call ladder and escalation", _sql("0011_escalation.sql")),
        Migration(12, "contact details and digest", _sql("0012_contacts.sql")),
        # Forms rebuild the item table in place (the tables referring to it stay).
        Migration(13, "forms", _sql("0013_forms.sql")),
        Migration(14, "appointments", _sql("0014_appointments.sql")),
        Migration(15, "order statuses", _sql("0015_orders.sql")),
        Migration(16, "audit retention", _sql("0016_retention.sql")),
    ]


def all_migrations() -> Sequence[Migration]:
    return tuple(_migrations())


def is_postgres(conn: Connection) -> bool:
    """Whether ``conn`` is the distributed backend's (``vault.storage.postgres``)."""
    return getattr(conn, "backend", "sqlite") == "postgres"


def current_version(conn: Connection) -> int:
    if is_postgres(conn):
        from vault.storage.postgres.schema import current_version as pg_version

        return pg_version(conn)  # type: ignore[arg-type]
    with translated_errors():
        conn.execute(
            "CREATE TABLE IF NOT EXISTS schema_migrations ("
            " number INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at TEXT NOT NULL) STRICT"
        )
        row = conn.execute("SELECT max(number) FROM schema_migrations").fetchone()
    return int(row[0] or 0)


def migrate(
    conn: Connection,
    migrations: Sequence[Migration] | None = None,
    *,
    upto: int | None = None,
    progress: Callable[[Migration], None] | None = None,
) -> int:
    """Apply every migration not yet applied (up to ``upto``); return the new version."""
    migrations = all_migrations() if migrations is None else migrations
    if is_postgres(conn):
        from vault.storage.postgres.schema import migrate_postgres

        return migrate_postgres(conn, migrations, upto=upto, progress=progress)  # type: ignore[arg-type]
    latest = max((m.number for m in migrations), default=0)
    version = current_version(conn)
    if version > latest:
        raise StoreError(
            f"this database is at schema version {version}, newer than this program"
            f" ({latest}); upgrade Permanence"
        )
    for m in sorted(migrations, key=lambda m: m.number):
        if m.number <= version or (upto is not None and m.number > upto):
            continue
        if progress is not None:
            progress(m)
        with translated_errors():
            conn.execute("BEGIN IMMEDIATE")
            try:
                for statement in statements(m.sql):
                    conn.execute(statement)
                conn.execute(
                    "INSERT INTO schema_migrations (number, name, applied_at)"
                    " VALUES (?, ?, strftime('%Y-%m-%dT%H:%M:%fZ', 'now'))",
                    (m.number, m.name),
                )
                conn.execute("COMMIT")
            except BaseException:
                conn.execute("ROLLBACK")
                raise
        version = m.number
    return version


def statements(sql: str) -> list[str]:
    """Split a migration into statements, keeping trigger bodies whole."""
    out: list[str] = []
    buf: list[str] = []
    for line in sql.splitlines():
        if line.strip().startswith("--") and not buf:
            continue
        buf.append(line)
        joined = "\n".join(buf).strip()
        if joined.endswith(";") and _complete(joined):
            out.append(joined)
            buf = []
    tail = "\n".join(buf).strip()
    if tail:
        out.append(tail)
    return out


def _complete(statement: str) -> bool:
    # sqlite3.complete_statement equivalent without importing a driver: a
    # CREATE TRIGGER is complete only once its BEGIN ... END; has closed.
    upper = statement.upper()
    if "CREATE TRIGGER" in upper:
        return upper.rstrip().endswith("END;")
    return True

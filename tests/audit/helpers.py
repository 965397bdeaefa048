"""Helpers for the audit tests: a real SQLCipher database with the audit schema, or on the
distributed test backend (``tests/backends``) a PostgreSQL database with the vault's.

Tests name a database by a path, as for SQLCipher; on PostgreSQL the path is a marker
file and the database is the one ``open_db`` made for it (``reopen``, ``copy_db``)."""

from __future__ import annotations

import os
import shutil
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from audit.entry import Action, Actor, AuditEntry
from audit.keys import NoteSigner
from audit.log import AuditLog
from audit.schema import SCHEMA_SQL
from crypto.secret import Secret
from tests.backends import DISTRIBUTED
from vault.errors import WriteFailed
from vault.storage.migrate import Migration, all_migrations, migrate
from vault.storage.store import Connection, DriverError, connect
from vault.storage.writer import Writer

SHARED = Path(__file__).resolve().parents[2].parent / "shared"
VECTORS = SHARED / "vectors"
KEY = Secret(bytes(range(32)))
ORIGIN = "permanence.test/audit"
T0 = datetime(2026, 11, 27, 9, 0, tzinfo=UTC)
BIG_LOG_SIZE = 1200

AUDIT_MIGRATION = Migration(2, "audit", SCHEMA_SQL)


def migrations() -> list[Migration]:
    """The foundation migration and the audit schema, as the lead's migration 2 will apply it,
    with the audit index (5) and retention (16) migrations that change the audit tables."""
    kept = [m for m in all_migrations() if m.number in (1, 5, 16)]
    return sorted([*kept, AUDIT_MIGRATION], key=lambda m: m.number)


# What a guard trigger's refusal raises on a raw connection: the driver's error on
# SQLCipher, ``WriteFailed`` from the PostgreSQL connection (it translates its errors).
REFUSED = (DriverError, WriteFailed)
_DATABASES: dict[Path, str] = {}  # marker path → PostgreSQL database name


def open_db(path: Path, *, keep: bool = False) -> Connection:
    """A new audit database at ``path`` (``keep``: not dropped after the test)."""
    if DISTRIBUTED:
        from tests.backends.postgres import shared_cluster

        url = shared_cluster().new_database(keep=keep)
        _DATABASES[path] = url.value.decode().split("/")[3].split("?")[0]
        path.write_text("a PostgreSQL database of tests/audit/helpers.py\n")
        return reopen(path)
    conn = connect(path, KEY, create=True)
    migrate(conn, migrations())
    return conn


def reopen(path: Path) -> Connection:
    """Another connection to the database ``open_db`` made at ``path``."""
    if DISTRIBUTED:
        from tests.backends.postgres import shared_cluster
        from vault.storage.postgres.connection import connect as connect_postgres

        return connect_postgres(shared_cluster().url(_DATABASES[path]))
    return connect(path, KEY)


def copy_db(source: Path, target: Path) -> None:
    """``target`` becomes a copy of the (closed) database at ``source``."""
    if DISTRIBUTED:
        from tests.backends.postgres import shared_cluster

        url = shared_cluster().new_database(template=_DATABASES[source])
        _DATABASES[target] = url.value.decode().split("/")[3].split("?")[0]
        target.write_text("a PostgreSQL database of tests/audit/helpers.py\n")
        return
    shutil.copy(source, target)
    for suffix in ("-wal", "-shm"):
        if os.path.exists(str(source) + suffix):
            shutil.copy(str(source) + suffix, str(target) + suffix)


def make_signer(name: str = ORIGIN, seed: int = 7) -> NoteSigner:
    from crypto.signing import SigningKey

    return NoteSigner(name, SigningKey(bytes([seed]) * 32))


def entry(i: int, **kw: object) -> AuditEntry:
    """A typical entry: a client member reading an item."""
    fields: dict[str, object] = {
        "actor": Actor(account=f"acc-{i % 7}", name=f"user{i % 7}", role="client"),
        "targets": {"item": f"item-{i}", "client": f"client-{i % 3}"},
        "request": f"req-{i:08d}",
        "ip": "192.0.2.10",
    }
    fields.update(kw)
    return AuditEntry.new(Action.ITEM_READ, now=T0 + timedelta(seconds=i), **fields)


def fill(writer: Writer, start: int, count: int, per_txn: int = 100) -> None:
    """Append ``count`` entries from ``start``, ``per_txn`` per writer transaction."""
    log = AuditLog()

    def batch(lo: int, hi: int) -> Callable[[Connection], None]:
        def fn(conn: Connection) -> None:
            for i in range(lo, hi):
                log.append(conn, entry(i))

        return fn

    futures = [
        writer.submit(batch(lo, min(lo + per_txn, start + count)))
        for lo in range(start, start + count, per_txn)
    ]
    for f in futures:
        f.result()


def drop_trigger(conn: Connection, name: str) -> None:
    """Drop one guard trigger, as an operator with the key could."""
    if DISTRIBUTED:
        (table,) = conn.execute(
            "SELECT c.relname FROM pg_trigger t JOIN pg_class c ON c.oid = t.tgrelid"
            " WHERE t.tgname = ?",
            (name,),
        ).fetchone()
        conn.execute(f'DROP TRIGGER "{name}" ON "{table}"')
    else:
        conn.execute(f'DROP TRIGGER "{name}"')


def attacker(path: Path) -> Connection:
    """Open the database as an operator with the key would, and drop the guard triggers."""
    conn = reopen(path)
    if DISTRIBUTED:
        triggers = conn.execute(
            "SELECT t.tgname, c.relname FROM pg_trigger t JOIN pg_class c ON c.oid = t.tgrelid"
            " WHERE NOT t.tgisinternal AND t.tgname LIKE 'audit_%'"
        ).fetchall()
        for name, table in triggers:
            conn.execute(f'DROP TRIGGER "{name}" ON "{table}"')
        return conn
    names = conn.execute(
        "SELECT name FROM sqlite_master WHERE type = 'trigger' AND name LIKE 'audit_%'"
    ).fetchall()
    for (name,) in names:
        conn.execute(f'DROP TRIGGER "{name}"')
    return conn


def rebuild_hashes(conn: Connection) -> None:
    """Recompute every stored hash from the leaves, as a careful attacker would (no triggers)."""
    from audit import merkle

    conn.execute("DELETE FROM audit_nodes")
    rows = conn.execute("SELECT idx, leaf FROM audit_entries ORDER BY idx").fetchall()
    nodes: list[tuple[int, int, bytes]] = []
    tree = merkle.CompactRange(lambda level, index, h: nodes.append((level, index, h)))
    for idx, leaf in rows:
        h = merkle.leaf_hash(bytes(leaf))
        conn.execute("UPDATE audit_entries SET hash = ? WHERE idx = ?", (h, idx))
        tree.append(h)
    conn.executemany("INSERT INTO audit_nodes (level, idx, hash) VALUES (?, ?, ?)", nodes)


def rewrite_entry(conn: Connection, index: int, leaf: bytes) -> None:
    """Replace the entry at ``index`` and recompute every hash (triggers already dropped)."""
    conn.execute("UPDATE audit_entries SET leaf = ? WHERE idx = ?", (leaf, index))
    rebuild_hashes(conn)


def resign(bundle: dict[str, Any], forger: NoteSigner, origin: str = ORIGIN) -> None:
    """A forger's bundle: every checkpoint recomputed over the (rewritten) entries of the
    bundle's JSON object and signed by ``forger``, whose key the bundle then carries."""
    from audit import merkle
    from audit import note as notes
    from audit.checkpoint import Checkpoint

    hashes = [merkle.leaf_hash(e.encode()) for e in bundle["entries"]]
    for c in bundle["checkpoints"]:
        size = Checkpoint.parse(notes.split(c["note"])[0]).size
        tree = merkle.CompactRange()
        for h in hashes[:size]:
            tree.append(h)
        c["note"] = notes.sign(Checkpoint(origin, size, tree.root()).body(), forger)
        c["cosigners"] = []
    bundle["verifier_key"] = str(forger.verifier)

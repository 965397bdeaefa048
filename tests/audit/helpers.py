"""Helpers for the audit tests: a real SQLCipher database with the audit schema."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from audit.entry import Action, Actor, AuditEntry
from audit.keys import NoteSigner
from audit.log import AuditLog
from audit.schema import SCHEMA_SQL
from crypto.secret import Secret
from vault.storage.migrate import Migration, all_migrations, migrate
from vault.storage.store import Connection, connect
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


def open_db(path: Path) -> Connection:
    conn = connect(path, KEY, create=True)
    migrate(conn, migrations())
    return conn


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


def attacker(path: Path) -> Connection:
    """Open the database as an operator with the key would, and drop the guard triggers."""
    conn = connect(path, KEY)
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

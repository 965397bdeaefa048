"""What the migration tests arrange: a database as an older release left it.

``early_vault`` migrates a new database only up to a given migration and writes, in raw SQL
(the use cases speak the current schema), practice ``p`` and two of its members, ``m`` and
``s``; the test then adds the rows its migration must carry over.
"""

from __future__ import annotations

from pathlib import Path

from vault.storage.migrate import migrate
from vault.storage.store import Connection, connect, new_key


def early_vault(folder: Path, upto: int, at: str) -> Connection:
    """A database in ``folder`` migrated up to migration ``upto``, with practice ``p`` and
    member accounts ``m`` and ``s``, all created ``at``; the caller closes it."""
    conn = connect(folder / "v.db", new_key(), create=True)
    migrate(conn, upto=upto)
    conn.execute("INSERT INTO practice (id, name, created_at) VALUES ('p', 'Cabinet', ?)", (at,))
    for aid in ("m", "s"):
        conn.execute(
            "INSERT INTO account (id, username, display_name, role, practice_id, status,"
            " created_at) VALUES (?, ?, ?, 'member', 'p', 'active', ?)",
            (aid, aid, aid.upper(), at),
        )
    return conn

"""Where to reach an account until vault/notify/contacts.py (the ``contacts`` branch) lands.

The same signature as ``contacts.reachable``: a member or secretary whose username is an
e-mail address is reached there by mail (what notifications did before contact details
existed); anyone else cannot be reached. Replaced by ``contacts.reachable`` at the merge.
"""

from __future__ import annotations

import re

from vault.storage.store import Connection

_ADDRESS = re.compile(r"^[^@\s]+@[^@\s]+$")


def reachable(conn: Connection, account_id: str, urgency: str) -> list[tuple[str, str]]:
    """(channel, address) pairs to tell ``account_id`` of an item of ``urgency``."""
    row = conn.execute("SELECT username FROM account WHERE id = ?", (account_id,)).fetchone()
    if row is None or not _ADDRESS.match(str(row[0])):
        return []
    return [("email", str(row[0]))]

"""Eight single-use backup codes that stand in for a lost authenticator, stored hashed."""

from __future__ import annotations

import hmac

from crypto.encoding import CROCKFORD_ALPHABET
from crypto.secret import Secret
from vault.clock import iso
from vault.env import Env
from vault.storage.store import Connection

COUNT = 8
_LENGTH = 10  # 50 bits each


def _normalise(code: str) -> str:
    return code.upper().replace(" ", "").replace("-", "").replace("O", "0").replace("I", "1")


def looks_like_backup_code(code: str) -> bool:
    c = _normalise(code)
    return len(c) == _LENGTH and all(ch in CROCKFORD_ALPHABET for ch in c)


def code_hash(secret: Secret, code: str) -> bytes:
    return hmac.new(secret.value, b"backup-code\0" + _normalise(code).encode(), "sha256").digest()


def generate(env: Env, conn: Connection, account_id: str) -> list[str]:
    """Replace the account's backup codes with eight new ones; return them (shown once)."""
    codes = []
    for _ in range(COUNT):
        raw = env.randbytes(_LENGTH)
        code = "".join(CROCKFORD_ALPHABET[b % 32] for b in raw)
        codes.append(f"{code[:5]}-{code[5:]}")
    conn.execute("DELETE FROM backup_code WHERE account_id = ?", (account_id,))
    conn.executemany(
        "INSERT INTO backup_code (account_id, code_hash) VALUES (?, ?)",
        [(account_id, code_hash(env.server_secret, c)) for c in codes],
    )
    return codes


def consume(env: Env, conn: Connection, account_id: str, code: str) -> bool:
    """Use ``code`` once: True if it was an unused code of this account."""
    cur = conn.execute(
        "UPDATE backup_code SET used_at = ? WHERE account_id = ? AND code_hash = ?"
        " AND used_at IS NULL",
        (iso(env.now()), account_id, code_hash(env.server_secret, code)),
    )
    return int(cur.rowcount) == 1


def remaining(conn: Connection, account_id: str) -> int:
    row = conn.execute(
        "SELECT count(*) FROM backup_code WHERE account_id = ? AND used_at IS NULL", (account_id,)
    ).fetchone()
    return int(row[0])


__all__ = ["COUNT", "consume", "generate", "looks_like_backup_code", "remaining"]

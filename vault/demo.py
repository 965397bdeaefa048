"""A demo vault (``permanence demo``): its mark, and current codes for its accounts."""

from __future__ import annotations

from crypto import totp
from crypto.secret import Secret
from vault.env import Env
from vault.errors import Forbidden, NotFound
from vault.identity.usernames import normal_username


def mark_as_demo(env: Env) -> None:
    """Mark this vault as a demo vault (``demo_code`` works only there)."""
    env.db.write(lambda c: c.execute("INSERT INTO vault_meta VALUES ('demo', '1')"))


def is_demo(env: Env) -> bool:
    row = env.db.read(
        lambda c: c.execute("SELECT value FROM vault_meta WHERE key = 'demo'").fetchone()
    )
    return row is not None and row[0] == "1"


def practice_by_name(env: Env, name: str) -> tuple[str, bytes | None]:
    """The id and public key of the practice named ``name``."""
    row = env.db.read(
        lambda c: c.execute(
            "SELECT id, public_key FROM practice WHERE name = ?", (name,)
        ).fetchone()
    )
    if row is None:
        raise NotFound()
    return str(row[0]), None if row[1] is None else bytes(row[1])


def demo_code(env: Env, username: str) -> str:
    """A current authenticator code of the demo account ``username`` (demo vaults only)."""
    if not is_demo(env):
        raise Forbidden("demo-code only works on a vault created by 'permanence demo'")
    row = env.db.read(
        lambda c: c.execute(
            "SELECT totp_secret FROM account WHERE username = ?", (normal_username(username),)
        ).fetchone()
    )
    if row is None or row[0] is None:
        raise Forbidden(f"no enrolled demo account named {username!r}")
    return totp.code_at(Secret(bytes(row[0])), env.now())

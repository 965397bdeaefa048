"""A demo vault (``permanence demo``): its mark, and current codes for its accounts."""

from __future__ import annotations

from audit.entry import Action
from crypto import totp
from crypto.secret import Secret
from vault.clock import iso
from vault.env import Env, RequestInfo
from vault.errors import Forbidden, NotFound
from vault.identity.usernames import normal_username
from vault.notify.contacts import EMAIL, SMS, normal_email, normal_phone
from vault.storage.store import Connection


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


# Fictional addresses and numbers (.example; 06 39 98 xx xx is kept by ARCEP for fiction).
DEMO_CONTACTS = {
    "dr.martin": ("dr.martin@cabinet-martin.example", "+33639980042"),
    "sophie": ("sophie@secretariat.example", "+33639980043"),
}


def demo_ladder(member_id: str) -> dict[str, object]:
    """The demo practice's on-call ladder: Dr Martin every day, all day, 10 minutes."""
    return {
        "delay_minutes": 10,
        "rungs": [
            {
                "account_id": member_id,
                "days": [1, 2, 3, 4, 5, 6, 7],
                "start": "00:00",
                "end": "00:00",
            }
        ],
    }


def add_verified_contacts(
    env: Env, request: RequestInfo, account_id: str, email: str, phone: str
) -> None:
    """Give a demo account verified contact details without codes (demo vaults only)."""
    if not is_demo(env):
        raise Forbidden("demo contacts only go into a vault created by 'permanence demo'")
    now = iso(env.now())

    def tx(conn: Connection) -> None:
        for channel, address in ((EMAIL, normal_email(email)), (SMS, normal_phone(phone))):
            conn.execute(
                "INSERT INTO contact (account_id, channel, address, verified_at)"
                " VALUES (?, ?, ?, ?)"
                " ON CONFLICT (account_id, channel) DO UPDATE SET address = excluded.address,"
                " verified_at = excluded.verified_at",
                (account_id, channel, address, now),
            )
            env.record(
                conn,
                Action.CONTACT_VERIFIED,
                request,
                targets={"account": account_id},
                detail={"channel": channel, "demo": True},
            )

    env.db.write(tx)

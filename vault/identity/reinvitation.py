"""A new invitation link for an account that never completed enrolment.

Links get lost and expire (``accounts.INVITATION_DAYS``); the username stays
taken by the invited account, so an admin issues that account a new link
instead of inviting the name again. Every earlier link of the account stops
working at once (its expiry is set to now), the new one is single-use as any,
and the re-issue is audited (``account.reinvited``).
"""

from __future__ import annotations

from datetime import timedelta

from audit.entry import Action
from crypto.encoding import b64url_encode
from vault.clock import iso
from vault.env import Env, Principal, RequestInfo
from vault.errors import Conflict, Forbidden
from vault.identity.accounts import (
    INVITATION_DAYS,
    TOKEN_BYTES,
    Invitation,
    get,
    invitation_hash,
)
from vault.identity.roles import Role
from vault.storage.store import Connection


def reissue(env: Env, request: RequestInfo, by: Principal, account_id: str) -> Invitation:
    """A fresh single-use link for ``account_id`` (still invited); older links are void."""
    if by.role != Role.ADMIN:
        raise Forbidden()
    token = b64url_encode(env.randbytes(TOKEN_BYTES))
    now = env.now()

    def tx(conn: Connection) -> Invitation:
        account = get(conn, account_id)
        if account.status != "invited" or account.enrolled_at is not None:
            raise Conflict("This account has already completed enrolment: it needs no invitation.")
        revoked = conn.execute(
            "UPDATE invitation SET expires_at = ? WHERE account_id = ? AND used_at IS NULL"
            " AND expires_at > ?",
            (iso(now), account_id, iso(now)),
        ).rowcount
        conn.execute(
            "INSERT INTO invitation (token_hash, account_id, created_by, created_at, expires_at)"
            " VALUES (?, ?, ?, ?, ?)",
            (
                invitation_hash(token),
                account_id,
                by.account_id,
                iso(now),
                iso(now + timedelta(days=INVITATION_DAYS)),
            ),
        )
        targets = {"account": account_id}
        if account.practice_id:
            targets["practice"] = account.practice_id
        env.record(
            conn,
            Action.ACCOUNT_REINVITED,
            request,
            actor=by.actor,
            targets=targets,
            detail={"revoked": int(revoked)},
        )
        return Invitation(account_id, token)

    return env.db.write(tx)

"""Signing in: pre-login (salt and KDF parameters), then auth key and TOTP together.

Whatever fails — unknown name, wrong password, wrong or replayed code —
the caller gets the same ``LoginFailed``. A disabled account gets the same
too, unless password and code are both right: then ``AccountDisabled`` tells
its owner to contact the administrator (docs/decisions.md, journey-defects). A valid TOTP
code is consumed even when the password was wrong, so a code seen once can
never be replayed. Throttling is checked before any slow work.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache

from audit.entry import Action, Actor, Outcome
from crypto import totp
from crypto.encoding import b64url_encode
from crypto.kdf import KdfParams, fake_kdf_params
from crypto.password_hash import hash_auth_key, verify_auth_key
from crypto.pseudonym import name_pseudonym
from crypto.secret import Secret
from vault.env import Env, Principal, RequestInfo
from vault.errors import AccountDisabled, CodeJustUsed, LoginFailed, SecondFactorRequired, Throttled
from vault.identity import backup_codes, refusals, sessions, throttle
from vault.identity.roles import Role
from vault.identity.usernames import normal_username
from vault.storage.store import Connection


@cache
def _dummy_hash() -> str:
    # Unknown names are checked against this, so they take as long as known ones.
    return hash_auth_key(Secret(bytes(32)))


@dataclass(frozen=True, slots=True)
class SignedIn:
    token: str
    csrf_token: str
    principal: Principal
    keys: dict[str, object]  # what the browser needs to unlock its keys (all public or wrapped)
    must_reenrol_totp: bool


def prelogin(env: Env, username: str) -> KdfParams:
    """The account's salt and parameters; stable fake ones for names that cannot sign in.

    A disabled account keeps its real ones, so that its owner's right password can be
    recognised and they be told the account is disabled (``login``)."""
    name = normal_username(username)
    row = env.db.read(
        lambda c: c.execute(
            "SELECT kdf_salt, kdf_ops, kdf_mem FROM account WHERE username = ?"
            " AND status IN ('active', 'disabled')",
            (name,),
        ).fetchone()
    )
    if row is None:
        return fake_kdf_params(env.server_secret, name)
    return KdfParams(salt=bytes(row[0]), ops=int(row[1]), mem=int(row[2]))


UNKNOWN_NAME = "unknown:"  # what stands for a typed name that is no account: + its pseudonym


def typed_name_actor(env: Env, conn: Connection, name: str) -> Actor:
    """Who a typed (normalised) username stands for in the audit log.

    An account's name is recorded with its id; a name that is no account — a
    typo, a guess, a password typed into the wrong field — never as typed, but
    as ``unknown:`` and its pseudonym (keyed hash, ``crypto.pseudonym``), the
    same for every attempt with that name.
    """
    row = conn.execute("SELECT id FROM account WHERE username = ?", (name,)).fetchone()
    if row is not None:
        return Actor(account=str(row[0]), name=name)
    return Actor(name=UNKNOWN_NAME + name_pseudonym(env.server_secret, name))


def reserve_attempt(env: Env, request: RequestInfo, username: str) -> list[int]:
    """Check the limits and count this attempt as a failure, in one transaction.

    Counting before the slow verification closes the race in which a burst of
    concurrent guesses all pass the check before any failure is recorded. A
    success gives the reservation back (``release``). Returns the reserved rows.
    A refusal while throttled is counted (``vault.identity.refusals``) under the source
    address, whichever limit refused it, so one source is one count however
    many names it tries.
    """
    now = env.now()
    account = throttle.account_subject(env.server_secret, username)
    address = throttle.ip_subject(request.ip)

    # A refusal is returned, not raised: its count must commit (raised, it would roll back).
    def tx(conn: Connection) -> list[int] | Throttled:
        by_address = throttle.wait_seconds(conn, address, throttle.IP_LIMIT, now)
        by_account = throttle.wait_seconds(conn, account, throttle.ACCOUNT_LIMIT, now)
        if by_address or by_account:
            refusal = refusals.Refusal(
                Action.LOGIN_FAILED, account, lambda: typed_name_actor(env, conn, username)
            )
            refusals.count(env, conn, request, address, refusal)
            return Throttled(max(by_address, by_account))
        refusals.flush(env, conn, [address])
        return throttle.record_failure(conn, [account, address], now)

    reserved = env.db.write(tx)
    if isinstance(reserved, Throttled):
        raise reserved
    return reserved


def release(env: Env, conn: Connection, username: str, reserved: list[int]) -> None:
    """After a success: forget the account's failures and give back the reserved rows."""
    throttle.forget(conn, throttle.account_subject(env.server_secret, username))
    throttle.discard(conn, reserved)


def login(env: Env, request: RequestInfo, username: str, auth_key: Secret, code: str) -> SignedIn:
    """Verify auth key and second factor; open a session. Slow (Argon2): run off the event loop."""
    name = normal_username(username)[:64]
    reserved = reserve_attempt(env, request, name)
    row = env.db.read(
        lambda c: c.execute(
            "SELECT id, auth_hash, role, practice_id, status FROM account"
            " WHERE username = ? AND status IN ('active', 'disabled')",
            (name,),
        ).fetchone()
    )
    password_ok = verify_auth_key(row[1] if row else _dummy_hash(), auth_key) and row is not None

    # A failure is returned, not raised: its entry (and a code spent) must commit.
    def tx(conn: Connection) -> SignedIn | LoginFailed | AccountDisabled:
        second_ok, used_backup = False, False
        if row is not None:
            second_ok = _consume_totp(conn, row[0], code, env)
            if not second_ok and password_ok and backup_codes.looks_like_backup_code(code):
                second_ok = used_backup = backup_codes.consume(env, conn, row[0], code)
        if not (password_ok and second_ok):
            env.record(
                conn,
                Action.LOGIN_FAILED,
                request,
                actor=typed_name_actor(env, conn, name),
                outcome=Outcome.DENIED,
            )
            return LoginFailed()
        account_id, _, role, practice_id, status = row
        if status == "disabled":  # both factors right: the owner, told why (and audited)
            env.record(
                conn,
                Action.LOGIN_FAILED,
                request,
                actor=typed_name_actor(env, conn, name),
                outcome=Outcome.DENIED,
                detail={"reason": "disabled"},
            )
            return AccountDisabled()
        principal = Principal(account_id, name, Role(role), practice_id)
        if used_backup:
            conn.execute("UPDATE account SET must_reenroll_totp = 1 WHERE id = ?", (account_id,))
        release(env, conn, name, reserved)
        token, csrf = sessions.create(env, conn, account_id, request.ip, request.user_agent)
        env.record(
            conn,
            Action.LOGIN_SUCCEEDED,
            request,
            actor=principal.actor,
            detail={"second_factor": "backup_code" if used_backup else "totp"},
        )
        reenrol = conn.execute(
            "SELECT must_reenroll_totp FROM account WHERE id = ?", (account_id,)
        ).fetchone()[0]
        return SignedIn(token, csrf, principal, key_bundle(conn, account_id), bool(reenrol))

    result = env.db.write(tx)
    if isinstance(result, LoginFailed | AccountDisabled):
        raise result
    return result


def _consume_totp(conn: Connection, account_id: str, code: str, env: Env) -> bool:
    secret, last = conn.execute(
        "SELECT totp_secret, totp_last_step FROM account WHERE id = ?", (account_id,)
    ).fetchone()
    if secret is None:
        return False
    step = totp.verify(Secret(bytes(secret)), code, env.now(), last)
    if step is None:
        return False
    cur = conn.execute(
        "UPDATE account SET totp_last_step = ? WHERE id = ? AND totp_last_step < ?",
        (step, account_id, step),
    )
    return int(cur.rowcount) == 1


def consume_fresh_totp(env: Env, conn: Connection, account_id: str, code: str) -> bool:
    """A current code, never used before (callers count the attempt: ``second_factor``)."""
    return _consume_totp(conn, account_id, code, env)


def second_factor(env: Env, request: RequestInfo, principal: Principal) -> list[int]:
    """Count a sensitive action's code check as an attempt, before it runs.

    The same per-account and per-IP limits as signing in apply, so a stolen
    session cannot try every code; ``confirm_second_factor`` gives it back on success.
    """
    return reserve_attempt(env, request, principal.username)


def confirm_second_factor(
    env: Env, conn: Connection, principal: Principal, code: str, reserved: list[int]
) -> bool:
    """Inside the action's transaction: consume ``code``; on success release the attempt."""
    if not _consume_totp(conn, principal.account_id, code, env):
        return False
    release(env, conn, principal.username, reserved)
    return True


def second_factor_refusal(
    env: Env, conn: Connection, principal: Principal, code: str
) -> SecondFactorRequired:
    """Why ``confirm_second_factor`` refused ``code``: ``CodeJustUsed`` when it is still
    current but is the very code this account used last (to sign in a moment ago, say),
    so the person waits for the next one; ``SecondFactorRequired`` otherwise."""
    secret, last = conn.execute(
        "SELECT totp_secret, totp_last_step FROM account WHERE id = ?", (principal.account_id,)
    ).fetchone()
    if secret is not None and totp.verify(Secret(bytes(secret)), code, env.now(), last - 1) == last:
        return CodeJustUsed()
    return SecondFactorRequired()


def keys_of(env: Env, principal: Principal) -> dict[str, object]:
    """The signed-in account's key bundle (see ``key_bundle``)."""
    return env.db.read(lambda c: key_bundle(c, principal.account_id))


def key_bundle(conn: Connection, account_id: str) -> dict[str, object]:
    """What the browser needs to unlock the user's keys: public or wrapped, nothing secret."""
    row = conn.execute(
        "SELECT a.id, a.username, a.role, a.wrapped_kek, a.x25519_pk, a.ed25519_pk,"
        " a.practice_id, p.name, p.public_key, g.sealed FROM account a"
        " LEFT JOIN practice p ON p.id = a.practice_id"
        " LEFT JOIN practice_grant g ON g.practice_id = a.practice_id AND g.account_id = a.id"
        " WHERE a.id = ?",
        (account_id,),
    ).fetchone()
    aid, username, role, wrapped, xpk, epk, pid, pname, ppk, grant = row
    bundle: dict[str, object] = {
        "account_id": aid,
        "username": username,
        "role": role,
        "wrapped_kek": b64url_encode(bytes(wrapped)),
        "x25519_pk": b64url_encode(bytes(xpk)),
        "ed25519_pk": b64url_encode(bytes(epk)),
    }
    if pid is not None:
        bundle["practice"] = {
            "id": pid,
            "name": pname,
            "public_key": None if ppk is None else b64url_encode(bytes(ppk)),
            "grant": None if grant is None else b64url_encode(bytes(grant)),
        }
    return bundle

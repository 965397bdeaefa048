"""Changing what proves who you are: password, recovery, authenticator, backup codes.

Each asks for a fresh TOTP code (docs/design.md §7) and revokes every session of the
account, so a stolen session does not survive the change.
"""

from __future__ import annotations

import hashlib
import uuid
from dataclasses import dataclass, field
from datetime import timedelta

from audit.entry import Action, Actor, Outcome
from crypto import totp
from crypto.encoding import b64url_encode
from crypto.errors import CryptoError
from crypto.password_hash import hash_auth_key, verify_auth_key
from crypto.recovery import CHALLENGE_BYTES, recovery_proof_message
from crypto.secret import Secret
from crypto.signing import VerifyKey
from crypto.user_keys import WRAPPED_BYTES
from vault.clock import iso
from vault.env import Env, Principal, RequestInfo
from vault.errors import InvalidInput, LoginFailed, SecondFactorRequired, Throttled
from vault.identity import backup_codes, sessions, throttle
from vault.identity.authentication import (
    confirm_second_factor,
    consume_fresh_totp,
    release,
    reserve_attempt,
    second_factor,
    second_factor_refusal,
)
from vault.identity.keymaterial import PasswordMaterial
from vault.identity.roles import Role, min_password_length
from vault.identity.usernames import normal_username
from vault.ids import new_uuid
from vault.storage.store import Connection

# How long a recovery challenge stays usable: the browser asks for it when the form is
# submitted, then only derives the new password's keys (about a second) before answering.
RECOVERY_CHALLENGE_SECONDS = 300


def recovery_message(account_id: str, challenge: bytes, material: PasswordMaterial) -> bytes:
    """What the browser signs with the user's Ed25519 key to prove it opened the recovery wrap."""
    return recovery_proof_message(
        uuid.UUID(account_id),
        challenge,
        material.kdf.salt,
        material.auth_key.value,
        material.wrapped_kek,
    )


def _challenge_hash(challenge: bytes) -> bytes:
    return hashlib.blake2b(challenge, digest_size=32, person=b"perm-recovery").digest()


def _require_totp(
    env: Env, conn: Connection, principal: Principal, code: str, reserved: list[int]
) -> None:
    if not confirm_second_factor(env, conn, principal, code, reserved):
        raise second_factor_refusal(env, conn, principal, code)


def check_second_factor(env: Env, request: RequestInfo, principal: Principal, code: str) -> None:
    """A fresh code for a sensitive action, counted by the throttle."""
    reserved = second_factor(env, request, principal)
    env.db.write(lambda conn: _require_totp(env, conn, principal, code, reserved))


def change_password(
    env: Env,
    request: RequestInfo,
    principal: Principal,
    current_auth_key: Secret,
    code: str,
    material: PasswordMaterial,
) -> None:
    """Re-wrap the keys under the new password's kek; the data is not re-encrypted."""
    reserved = second_factor(env, request, principal)  # also counts the password check
    stored = env.db.read(
        lambda c: c.execute(
            "SELECT auth_hash FROM account WHERE id = ?", (principal.account_id,)
        ).fetchone()[0]
    )
    if not verify_auth_key(stored, current_auth_key):
        raise LoginFailed("The current password is not right.")
    new_hash = hash_auth_key(material.auth_key)

    def tx(conn: Connection) -> None:
        _require_totp(env, conn, principal, code, reserved)
        _store_password(conn, principal.account_id, material, new_hash)
        sessions.revoke_all(env, conn, principal.account_id)
        env.record(
            conn,
            Action.PASSWORD_CHANGED,
            request,
            actor=principal.actor,
            targets={"account": principal.account_id},
        )

    env.db.write(tx)


def _store_password(
    conn: Connection, account_id: str, material: PasswordMaterial, auth_hash: str
) -> None:
    conn.execute(
        "UPDATE account SET kdf_salt = ?, kdf_ops = ?, kdf_mem = ?, auth_hash = ?,"
        " wrapped_kek = ? WHERE id = ?",
        (
            material.kdf.salt,
            material.kdf.ops,
            material.kdf.mem,
            auth_hash,
            material.wrapped_kek,
            account_id,
        ),
    )


@dataclass(frozen=True, slots=True)
class RecoveryStart:
    account_id: str
    wrapped_recovery: bytes
    challenge: bytes = field(repr=False)  # single-use, signed into the recovery message
    min_password_length: int  # the new password's, for the account's role

    def to_json(self) -> dict[str, str | int]:
        return {
            "account_id": self.account_id,
            "wrapped_recovery": b64url_encode(self.wrapped_recovery),
            "challenge": b64url_encode(self.challenge),
            "min_password_length": self.min_password_length,
        }


def recovery_start(env: Env, request: RequestInfo, username: str) -> RecoveryStart:
    """The recovery-wrapped keys and a fresh single-use challenge (stored hashed).

    Names that do not exist get stable look-alike bytes and a challenge like any other
    (stored too, bound to no account), so the answer does not tell who exists.
    Throttled per source address (``throttle.RECOVERY_LIMIT``, every start counts,
    whatever the name); a throttled call is refused after a read, writing nothing.
    """
    name = normal_username(username)
    challenge = env.randbytes(CHALLENGE_BYTES)
    now = env.now()
    subject = throttle.recovery_subject(request.ip)

    def wait(conn: Connection) -> int:
        return throttle.wait_seconds(conn, subject, throttle.RECOVERY_LIMIT, now)

    if waiting := env.db.read(wait):
        raise Throttled(waiting)

    def tx(conn: Connection) -> tuple[str, bytes, str] | None:
        if waiting := wait(conn):  # a burst of starts raced the read above
            raise Throttled(waiting)
        throttle.record_failure(conn, [subject], now)
        row = conn.execute(
            "SELECT id, wrapped_recovery, role FROM account"
            " WHERE username = ? AND status = 'active'",
            (name,),
        ).fetchone()
        conn.execute("DELETE FROM recovery_challenge WHERE expires_at <= ?", (iso(now),))
        conn.execute(
            "INSERT INTO recovery_challenge (challenge_hash, account_id, expires_at)"
            " VALUES (?, ?, ?)",
            (
                _challenge_hash(challenge),
                None if row is None else row[0],
                iso(now + timedelta(seconds=RECOVERY_CHALLENGE_SECONDS)),
            ),
        )
        return None if row is None else (str(row[0]), bytes(row[1]), str(row[2]))

    found = env.db.write(tx)
    if found is not None:
        account_id, wrapped, role = found
        return RecoveryStart(account_id, wrapped, challenge, min_password_length(Role(role)))

    def derived(label: bytes, size: int) -> bytes:
        return hashlib.blake2b(
            label + b"\0" + name.encode(), key=env.server_secret.value, digest_size=size
        ).digest()

    # Random-looking throughout, like a real wrap (no repeated block), stable per name.
    body = derived(b"fake-recovery-1", 64) + derived(b"fake-recovery-2", WRAPPED_BYTES - 2 - 64)
    fake_id = derived(b"fake-recovery-id", 16)
    # Some names that do not exist answer the longer minimum too, stable per name, so the
    # minimum does not tell an existing admin or auditor from a name nobody holds.
    role = Role.ADMIN if derived(b"fake-recovery-role", 1)[0] < 64 else Role.MEMBER
    return RecoveryStart(
        new_uuid(lambda n: fake_id[:n]),
        bytes([1, 2]) + body,
        challenge,
        min_password_length(role),
    )


def _consume_challenge(env: Env, challenge: bytes) -> str | None:
    """Delete the challenge (used once, whatever follows); the account it was issued for."""
    now = iso(env.now())

    def tx(conn: Connection) -> str | None:
        row = conn.execute(
            "SELECT account_id, expires_at FROM recovery_challenge WHERE challenge_hash = ?",
            (_challenge_hash(challenge),),
        ).fetchone()
        if row is None:
            return None
        conn.execute(
            "DELETE FROM recovery_challenge WHERE challenge_hash = ?", (_challenge_hash(challenge),)
        )
        return None if row[0] is None or row[1] <= now else str(row[0])

    return env.db.write(tx)


def recovery_finish(
    env: Env,
    request: RequestInfo,
    username: str,
    code: str,
    material: PasswordMaterial,
    challenge: bytes,
    signature: bytes,
) -> None:
    """Set a new password with proof of the recovery code (a signature over a single-use
    challenge) and a TOTP code."""
    name = normal_username(username)
    reserved = reserve_attempt(env, request, name)
    issued_for = _consume_challenge(env, challenge) if len(challenge) == CHALLENGE_BYTES else None
    row = env.db.read(
        lambda c: c.execute(
            "SELECT id, ed25519_pk FROM account WHERE username = ? AND status = 'active'", (name,)
        ).fetchone()
    )
    signed = False
    if row is not None and issued_for == row[0]:
        try:
            VerifyKey(bytes(row[1])).verify(
                recovery_message(row[0], challenge, material), signature
            )
            signed = True
        except CryptoError:
            signed = False
    new_hash = hash_auth_key(material.auth_key)

    def tx(conn: Connection) -> bool:
        # A valid code is used up even when the rest fails: it can never be tried again.
        fresh = row is not None and consume_fresh_totp(env, conn, row[0], code)
        if not (fresh and signed) or row is None:
            env.record(conn, Action.RECOVERY_USED, request, outcome=Outcome.DENIED)
            return False
        release(env, conn, name, reserved)
        _store_password(conn, row[0], material, new_hash)
        sessions.revoke_all(env, conn, row[0])
        (role,) = conn.execute("SELECT role FROM account WHERE id = ?", (row[0],)).fetchone()
        actor = Actor(account=row[0], name=name, role=role)
        env.record(conn, Action.RECOVERY_USED, request, actor=actor, targets={"account": row[0]})
        env.record(conn, Action.PASSWORD_CHANGED, request, actor=actor, targets={"account": row[0]})
        return True

    if not env.db.write(tx):
        raise LoginFailed(
            "Recovery failed: check your username, recovery code and authenticator code."
        )


def totp_offer(env: Env, principal: Principal) -> Secret:
    """A new authenticator secret to confirm (kept pending until confirmed)."""
    fresh = totp.new_totp_secret(env.randbytes)

    def tx(conn: Connection) -> Secret:
        conn.execute(
            "UPDATE account SET pending_totp = ? WHERE id = ?", (fresh.value, principal.account_id)
        )
        return fresh

    return env.db.write(tx)


def totp_confirm(env: Env, request: RequestInfo, principal: Principal, code: str) -> None:
    """Switch to the pending authenticator once a code from it checks; revoke all sessions."""
    now = env.now()

    def tx(conn: Connection) -> None:
        (pending,) = conn.execute(
            "SELECT pending_totp FROM account WHERE id = ?", (principal.account_id,)
        ).fetchone()
        step = None if pending is None else totp.verify(Secret(bytes(pending)), code, now)
        if step is None:
            raise SecondFactorRequired(
                "The authenticator code is not right. Check the time on your phone and try again."
            )
        conn.execute(
            "UPDATE account SET totp_secret = pending_totp, pending_totp = NULL,"
            " totp_last_step = ?, must_reenroll_totp = 0 WHERE id = ?",
            (step, principal.account_id),
        )
        sessions.revoke_all(env, conn, principal.account_id)
        env.record(
            conn,
            Action.TOTP_RESET,
            request,
            actor=principal.actor,
            targets={"account": principal.account_id},
        )

    env.db.write(tx)


def new_backup_codes(env: Env, request: RequestInfo, principal: Principal, code: str) -> list[str]:
    reserved = second_factor(env, request, principal)

    def tx(conn: Connection) -> list[str]:
        _require_totp(env, conn, principal, code, reserved)
        codes = backup_codes.generate(env, conn, principal.account_id)
        env.record(
            conn,
            Action.TOTP_RESET,
            request,
            actor=principal.actor,
            targets={"account": principal.account_id},
            detail={"backup_codes": "renewed", "at": iso(env.now())},
        )
        return codes

    return env.db.write(tx)


__all__ = [
    "InvalidInput",
    "RecoveryStart",
    "change_password",
    "check_second_factor",
    "new_backup_codes",
    "recovery_finish",
    "recovery_start",
    "totp_confirm",
    "totp_offer",
]

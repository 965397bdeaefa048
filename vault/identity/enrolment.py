"""Enrolment: an invitee's browser registers keys, password proof and authenticator at once.

Everything arrives in one request and is stored in one transaction, so an
interrupted enrolment leaves the invitation as it was: usable again.
"""

from __future__ import annotations

from dataclasses import dataclass

from audit.entry import Action, Actor
from crypto import totp
from crypto.fingerprint import user_fingerprint
from crypto.password_hash import hash_auth_key
from crypto.secret import Secret
from vault.clock import iso
from vault.env import Env, RequestInfo
from vault.errors import Conflict, InvalidInput, SecondFactorRequired
from vault.identity import accounts, backup_codes
from vault.identity.keymaterial import EnrolmentMaterial
from vault.identity.roles import Role, min_password_length
from vault.storage.store import Connection


@dataclass(frozen=True, slots=True)
class EnrolmentOffer:
    """What the enrolment page shows: nothing secret (the browser draws the TOTP secret)."""

    account_id: str
    username: str
    display_name: str
    role: Role
    practice_id: str | None
    practice_name: str | None
    practice_pk: bytes | None  # None: this member's browser creates the practice key
    min_password_length: int


@dataclass(frozen=True, slots=True)
class Enrolled:
    account_id: str
    username: str
    backup_codes: list[str]


def offer(env: Env, token: str) -> EnrolmentOffer:
    """What the enrolment page shows; reading it changes nothing and reveals no secret.

    A mail scanner or link preview that opens the link first learns the invitee's name
    and role, never the second factor: the authenticator secret is drawn by the browser
    that enrols (``enrol``).
    """

    def read(conn: Connection) -> EnrolmentOffer:
        account_id = accounts.pending_invitation(conn, token, env.now())
        account = accounts.get(conn, account_id)
        practice_pk = None
        if account.practice_id:
            practice_pk = conn.execute(
                "SELECT public_key FROM practice WHERE id = ?", (account.practice_id,)
            ).fetchone()[0]
        return EnrolmentOffer(
            account_id=account_id,
            username=account.username,
            display_name=account.display_name,
            role=account.role,
            practice_id=account.practice_id,
            practice_name=account.practice_name,
            practice_pk=None if practice_pk is None else bytes(practice_pk),
            min_password_length=min_password_length(account.role),
        )

    return env.db.read(read)


def authenticator_uri(env: Env, token: str, secret: Secret) -> str:
    """The ``otpauth://`` URI of a secret the enrolling browser drew (for its QR code).

    Only for a pending invitation; nothing is stored: the secret counts once it comes
    back with the enrolment and a code from the app (``enrol``).
    """
    _require_length(secret)
    username = env.db.read(
        lambda conn: accounts.get(conn, accounts.pending_invitation(conn, token, env.now()))
    ).username
    return totp.provisioning_uri(secret, username)


def _require_length(secret: Secret) -> None:
    if len(secret.value) != totp.SECRET_BYTES:
        raise InvalidInput()


def enrol(
    env: Env, request: RequestInfo, token: str, material: EnrolmentMaterial, code: str
) -> Enrolled:
    """Store the account's keys and the authenticator secret the browser drew (checked with a
    code from the app), consume the invitation, make backup codes."""
    auth_hash = hash_auth_key(material.password.auth_key)  # slow on purpose: before the writer
    now = env.now()

    def tx(conn: Connection) -> Enrolled:
        account_id = accounts.pending_invitation(conn, token, now)
        account = accounts.get(conn, account_id)
        # The code proves the invitee's app holds the secret their own browser drew.
        step = totp.verify(material.totp_secret, code, now)
        if step is None:
            raise SecondFactorRequired(
                "The authenticator code is not right. Check the time on your phone and try again."
            )
        kdf = material.password.kdf
        conn.execute(
            "UPDATE account SET status = 'active', kdf_salt = ?, kdf_ops = ?, kdf_mem = ?,"
            " auth_hash = ?, x25519_pk = ?, ed25519_pk = ?, wrapped_kek = ?,"
            " wrapped_recovery = ?, totp_secret = ?, totp_last_step = ?, pending_totp = NULL,"
            " enrolled_at = ? WHERE id = ?",
            (
                kdf.salt,
                kdf.ops,
                kdf.mem,
                auth_hash,
                material.x25519_pk,
                material.ed25519_pk,
                material.password.wrapped_kek,
                material.wrapped_recovery,
                material.totp_secret.value,
                step,
                iso(now),
                account_id,
            ),
        )
        conn.execute(
            "UPDATE invitation SET used_at = ? WHERE account_id = ? AND used_at IS NULL",
            (iso(now), account_id),
        )
        who = _actor(account)
        env.record(
            conn, Action.ACCOUNT_ENROLLED, request, actor=who, targets={"account": account_id}
        )
        env.record(
            conn,
            Action.KEY_REGISTERED,
            request,
            actor=who,
            targets={"account": account_id},
            detail={"fingerprint": _fingerprint(material)},
        )
        env.record(conn, Action.TOTP_ENROLLED, request, actor=who, targets={"account": account_id})
        if material.practice_pk is not None:
            _first_practice_key(env, conn, request, account, material)
        codes = backup_codes.generate(env, conn, account_id)
        return Enrolled(account_id, account.username, codes)

    return env.db.write(tx)


def _actor(account: accounts.Account) -> Actor:
    return Actor(account=account.id, name=account.username, role=str(account.role))


def _fingerprint(material: EnrolmentMaterial) -> str:
    return user_fingerprint(material.x25519_pk, material.ed25519_pk)


def _first_practice_key(
    env: Env,
    conn: Connection,
    request: RequestInfo,
    account: accounts.Account,
    material: EnrolmentMaterial,
) -> None:
    """The practice's first member creates its key; any later attempt is refused."""
    if account.role != Role.MEMBER or account.practice_id is None:
        raise InvalidInput()
    cur = conn.execute(
        "UPDATE practice SET public_key = ? WHERE id = ? AND public_key IS NULL",
        (material.practice_pk, account.practice_id),
    )
    if cur.rowcount != 1:
        raise Conflict("This practice already has its key; a colleague will share it with you.")
    conn.execute(
        "INSERT INTO practice_grant (practice_id, account_id, sealed, granted_by, created_at)"
        " VALUES (?, ?, ?, ?, ?)",
        (account.practice_id, account.id, material.practice_grant, account.id, iso(env.now())),
    )
    env.record(
        conn,
        Action.KEY_REGISTERED,
        request,
        actor=_actor(account),
        targets={"practice": account.practice_id},
        detail={"practice_key": "created"},
    )
    env.record(
        conn,
        Action.KEY_GRANTED,
        request,
        actor=_actor(account),
        targets={"practice": account.practice_id, "account": account.id},
    )

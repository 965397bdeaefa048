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
from vault import accounts, backup_codes
from vault.clock import iso
from vault.env import Env, RequestInfo
from vault.errors import Conflict, InvalidInput, SecondFactorRequired
from vault.keymaterial import EnrolmentMaterial
from vault.roles import Role, min_password_length
from vault.store import Connection


@dataclass(frozen=True, slots=True)
class EnrolmentOffer:
    account_id: str
    username: str
    display_name: str
    role: Role
    practice_id: str | None
    practice_name: str | None
    practice_pk: bytes | None  # None: this member's browser creates the practice key
    totp_secret: Secret
    min_password_length: int

    @property
    def totp_uri(self) -> str:
        return totp.provisioning_uri(self.totp_secret, self.username)

    @property
    def totp_text(self) -> str:
        return totp.secret_base32(self.totp_secret)


@dataclass(frozen=True, slots=True)
class Enrolled:
    account_id: str
    username: str
    backup_codes: list[str]


def offer(env: Env, token: str) -> EnrolmentOffer:
    """What the enrolment page shows; creates the authenticator secret on first view."""
    fresh = totp.new_totp_secret(env.randbytes)

    def tx(conn: Connection) -> EnrolmentOffer:
        account_id = accounts.pending_invitation(conn, token, env.now())
        account = accounts.get(conn, account_id)
        row = conn.execute(
            "SELECT pending_totp FROM account WHERE id = ?", (account_id,)
        ).fetchone()
        secret = row[0]
        if secret is None:
            secret = fresh.value
            conn.execute("UPDATE account SET pending_totp = ? WHERE id = ?", (secret, account_id))
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
            totp_secret=Secret(bytes(secret)),
            min_password_length=min_password_length(account.role),
        )

    return env.db.write(tx)


def enroll(
    env: Env, request: RequestInfo, token: str, material: EnrolmentMaterial, code: str
) -> Enrolled:
    """Store the account's keys and authenticator, consume the invitation, make backup codes."""
    auth_hash = hash_auth_key(material.password.auth_key)  # slow on purpose: before the writer
    now = env.now()

    def tx(conn: Connection) -> Enrolled:
        account_id = accounts.pending_invitation(conn, token, now)
        account = accounts.get(conn, account_id)
        (pending,) = conn.execute(
            "SELECT pending_totp FROM account WHERE id = ?", (account_id,)
        ).fetchone()
        step = None if pending is None else totp.verify(Secret(bytes(pending)), code, now)
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
                bytes(pending),
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

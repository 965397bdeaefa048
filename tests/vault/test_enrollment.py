"""Enrolment: all or nothing; the practice key is born with its first member, once."""

from __future__ import annotations

import pytest

from cli.client import enrolment_body
from crypto import totp
from crypto.encoding import b64url_encode
from tests.people import ARRANGE, PASSWORDS, enrol
from vault import accounts, enrollment
from vault.env import Env
from vault.errors import Conflict, InvalidInput, SecondFactorRequired
from vault.keymaterial import EnrolmentMaterial
from vault.roles import Role


def _invite(env: Env, role: Role = Role.MEMBER, username: str = "doctor") -> str:
    practice = "Cabinet A" if role == Role.MEMBER else None
    return accounts.invite(
        env, ARRANGE, None, username=username, display_name="D", role=role, practice_name=practice
    ).token


def _state(env: Env) -> tuple[object, ...]:
    return env.db.read(
        lambda c: (
            c.execute("SELECT status, auth_hash, x25519_pk FROM account").fetchall(),
            c.execute("SELECT public_key FROM practice").fetchall(),
            c.execute("SELECT count(*) FROM practice_grant").fetchone()[0],
            c.execute("SELECT count(*) FROM backup_code").fetchone()[0],
            c.execute("SELECT used_at FROM invitation").fetchall(),
        )
    )


def test_a_wrong_code_changes_nothing_and_the_link_still_works(env: Env) -> None:
    """A failed enrolment leaves no half-made account: the same link enrols afterwards."""
    token = _invite(env)
    offer = enrollment.offer(env, token)
    body, _ = enrolment_body(
        offer.account_id,
        PASSWORDS[Role.MEMBER],
        "000000",
        practice_id=offer.practice_id,
        create_practice_key=True,
    )
    before = _state(env)
    with pytest.raises(SecondFactorRequired):
        enrollment.enroll(env, ARRANGE, token, EnrolmentMaterial.parse(body), "000000")
    assert _state(env) == before
    code = totp.code_at(offer.totp_secret, env.now())
    result = enrollment.enroll(env, ARRANGE, token, EnrolmentMaterial.parse(body), code)
    assert len(result.backup_codes) == 8
    assert env.db.read(lambda c: accounts.get(c, offer.account_id)).has_grant


def test_the_offer_keeps_its_authenticator_secret_until_enrolment(env: Env) -> None:
    """Reloading the enrolment page shows the same QR code (the phone already scanned it)."""
    token = _invite(env)
    assert enrollment.offer(env, token).totp_secret == enrollment.offer(env, token).totp_secret


def test_a_second_practice_key_is_refused(env: Env) -> None:
    """A later member's browser cannot replace the practice key the first member created."""
    enrol(env, Role.MEMBER, "doctor", practice="Cabinet A")
    token = accounts.invite(
        env,
        ARRANGE,
        None,
        username="nurse",
        display_name="N",
        role=Role.MEMBER,
        practice_name="Cabinet A",
    ).token
    offer = enrollment.offer(env, token)
    assert offer.practice_pk is not None
    body, _ = enrolment_body(
        offer.account_id,
        PASSWORDS[Role.MEMBER],
        "x",
        practice_id=offer.practice_id,
        create_practice_key=True,
    )
    with pytest.raises(Conflict):
        enrollment.enroll(
            env,
            ARRANGE,
            token,
            EnrolmentMaterial.parse(body),
            totp.code_at(offer.totp_secret, env.now()),
        )


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("auth_key", b64url_encode(bytes(31))),
        ("x25519_pk", "not base64!"),
        ("wrapped_kek", b64url_encode(bytes(107))),  # version 0
        ("wrapped_recovery", None),
        ("kdf", {"alg": "argon2id13", "ops": 2, "mem": 67108864, "salt": b64url_encode(bytes(16))}),
        ("kdf", {"alg": "argon2id13", "ops": 3, "mem": 2**31, "salt": b64url_encode(bytes(16))}),
        ("practice_grant", b64url_encode(bytes(98))),
    ],
)
def test_malformed_key_material_is_refused(env: Env, field: str, value: object) -> None:
    """Wrong lengths, versions, encodings or KDF strength: a clear 400, nothing stored."""
    token = _invite(env)
    offer = enrollment.offer(env, token)
    body, _ = enrolment_body(
        offer.account_id,
        PASSWORDS[Role.MEMBER],
        "x",
        practice_id=offer.practice_id,
        create_practice_key=True,
    )
    body[field] = value
    with pytest.raises(InvalidInput):
        EnrolmentMaterial.parse(body)

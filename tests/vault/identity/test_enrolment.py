"""Enrolment: all or nothing; the practice key is born with its first member, once."""

from __future__ import annotations

import pytest

from cli.client import enrolment_body
from crypto import totp
from crypto.encoding import b64url_encode
from crypto.secret import Secret
from tests.people import ARRANGE, PASSWORDS, enrol
from vault.env import Env
from vault.errors import Conflict, InvalidInput, InvitationInvalid, SecondFactorRequired
from vault.identity import accounts, enrolment
from vault.identity.keymaterial import EnrolmentMaterial
from vault.identity.roles import Role


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
    offer = enrolment.offer(env, token)
    secret = totp.new_totp_secret()
    body, _ = enrolment_body(
        offer.account_id,
        PASSWORDS[Role.MEMBER],
        "000000",
        totp_secret=secret,
        practice_id=offer.practice_id,
        create_practice_key=True,
    )
    before = _state(env)
    wrong = "000000" if totp.code_at(secret, env.now()) != "000000" else "111111"
    with pytest.raises(SecondFactorRequired):
        enrolment.enrol(env, ARRANGE, token, EnrolmentMaterial.parse(body), wrong)
    assert _state(env) == before
    code = totp.code_at(secret, env.now())
    result = enrolment.enrol(env, ARRANGE, token, EnrolmentMaterial.parse(body), code)
    assert len(result.backup_codes) == 8
    assert env.db.read(lambda c: accounts.get(c, offer.account_id)).has_grant


def test_opening_the_link_reveals_no_second_factor(env: Env) -> None:
    """Whoever opens the link first (an admin, a mail scanner) learns nothing that becomes
    the second factor: the offer holds no secret and stores none; the account's secret is
    the one the enrolling browser sent, checked with a code from it."""
    token = _invite(env)
    seen = enrolment.offer(env, token)
    assert not any(isinstance(v, Secret) for v in vars_of(seen).values())
    pending = env.db.read(lambda c: c.execute("SELECT pending_totp FROM account").fetchone()[0])
    assert pending is None
    secret = totp.new_totp_secret()
    body, _ = enrolment_body(
        seen.account_id,
        PASSWORDS[Role.MEMBER],
        "x",
        totp_secret=secret,
        practice_id=seen.practice_id,
        create_practice_key=True,
    )
    enrolment.enrol(
        env, ARRANGE, token, EnrolmentMaterial.parse(body), totp.code_at(secret, env.now())
    )
    stored = env.db.read(lambda c: c.execute("SELECT totp_secret FROM account").fetchone()[0])
    assert bytes(stored) == secret.value


def test_a_code_of_another_secret_does_not_enrol(env: Env) -> None:
    """The code must come from the secret sent with it (not from any other one)."""
    token = _invite(env)
    seen = enrolment.offer(env, token)
    sent, other = totp.new_totp_secret(), totp.new_totp_secret()
    body, _ = enrolment_body(
        seen.account_id,
        PASSWORDS[Role.MEMBER],
        "x",
        totp_secret=sent,
        practice_id=seen.practice_id,
        create_practice_key=True,
    )
    with pytest.raises(SecondFactorRequired):
        enrolment.enrol(
            env, ARRANGE, token, EnrolmentMaterial.parse(body), totp.code_at(other, env.now())
        )


def test_the_authenticator_picture_needs_a_live_invitation_and_stores_nothing(env: Env) -> None:
    """The QR code's URI names the invitee; an unknown or used link gets none."""
    token = _invite(env)
    secret = totp.new_totp_secret()
    before = _state(env)
    uri = enrolment.authenticator_uri(env, token, secret)
    assert uri == totp.provisioning_uri(secret, "doctor")
    assert _state(env) == before
    with pytest.raises(InvitationInvalid):
        enrolment.authenticator_uri(env, "no-such-token", secret)
    with pytest.raises(InvalidInput):
        enrolment.authenticator_uri(env, token, Secret(bytes(19)))


def vars_of(offer: enrolment.EnrolmentOffer) -> dict[str, object]:
    return {name: getattr(offer, name) for name in offer.__dataclass_fields__}


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
    offer = enrolment.offer(env, token)
    assert offer.practice_pk is not None
    secret = totp.new_totp_secret()
    body, _ = enrolment_body(
        offer.account_id,
        PASSWORDS[Role.MEMBER],
        "x",
        totp_secret=secret,
        practice_id=offer.practice_id,
        create_practice_key=True,
    )
    with pytest.raises(Conflict):
        enrolment.enrol(
            env,
            ARRANGE,
            token,
            EnrolmentMaterial.parse(body),
            totp.code_at(secret, env.now()),
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
        ("totp_secret", None),
        ("totp_secret", b64url_encode(bytes(19))),
        ("totp_secret", b64url_encode(bytes(32))),
    ],
)
def test_malformed_key_material_is_refused(env: Env, field: str, value: object) -> None:
    """Wrong lengths, versions, encodings or KDF strength: a clear 400, nothing stored."""
    token = _invite(env)
    offer = enrolment.offer(env, token)
    body, _ = enrolment_body(
        offer.account_id,
        PASSWORDS[Role.MEMBER],
        "x",
        totp_secret=totp.new_totp_secret(),
        practice_id=offer.practice_id,
        create_practice_key=True,
    )
    body[field] = value
    with pytest.raises(InvalidInput):
        EnrolmentMaterial.parse(body)


@pytest.mark.parametrize(
    ("field", "hex_key"),
    [
        ("x25519_pk", "00" * 32),  # was accepted: anyone "opens" what is sealed to it
        ("x25519_pk", "e0eb7a7c3b41b8ae1656e3faf19fc46ada098deb9c32b1fd866205165f49b800"),
        ("ed25519_pk", "01" + "00" * 31),  # the identity point
        ("ed25519_pk", "02" + "00" * 31),  # not on the curve
        ("practice_pk", "00" * 32),
    ],
)
def test_bogus_public_keys_are_refused_at_enrolment(env: Env, field: str, hex_key: str) -> None:
    """A key no one holds a secret for is a clear 400 and enrols nothing."""
    token = _invite(env)
    offer = enrolment.offer(env, token)
    secret = totp.new_totp_secret()
    body, _ = enrolment_body(
        offer.account_id,
        PASSWORDS[Role.MEMBER],
        totp.code_at(secret, env.now()),
        totp_secret=secret,
        practice_id=offer.practice_id,
        create_practice_key=True,
    )
    body[field] = b64url_encode(bytes.fromhex(hex_key))
    before = _state(env)
    with pytest.raises(InvalidInput):
        enrolment.enrol(env, ARRANGE, token, EnrolmentMaterial.parse(body), body["code"])
    assert _state(env) == before

"""Password change, recovery, authenticator reset, backup codes: fresh TOTP, sessions revoked."""

from __future__ import annotations

import uuid

import pytest

from cli.client import unlock
from crypto.kdf import KdfParams, derive_password_keys
from crypto.recovery import RecoveryCode
from crypto.secret import Secret
from crypto.user_keys import WrapPurpose, unwrap_user_keys, wrap_user_keys
from tests.people import ARRANGE, Person, enrol
from vault.env import Env, Principal, RequestInfo
from vault.errors import LoginFailed, SecondFactorRequired
from vault.identity import authentication, credentials, sessions
from vault.identity.keymaterial import PasswordMaterial
from vault.identity.roles import Role


def _principal(p: Person) -> Principal:
    return Principal(p.account_id, p.username, p.role, p.practice_id)


def _sign_in(env: Env, p: Person, password: str) -> authentication.SignedIn:
    params = authentication.prelogin(env, p.username)
    return authentication.login(
        env, ARRANGE, p.username, derive_password_keys(password, params).auth_key, p.code()
    )


def _material(env: Env, p: Person, old: str, new: str) -> tuple[PasswordMaterial, Secret]:
    """What the account page sends: the same keys re-wrapped under the new password's kek."""
    old_keys = derive_password_keys(old, authentication.prelogin(env, p.username))
    bundle = env.db.read(lambda c: authentication.key_bundle(c, p.account_id))
    user = unlock(bundle, old_keys.kek).keys
    kdf = KdfParams.generate()
    new_keys = derive_password_keys(new, kdf)
    wrapped = wrap_user_keys(user, new_keys.kek, WrapPurpose.PASSWORD, uuid.UUID(p.account_id))
    return PasswordMaterial(kdf, new_keys.auth_key, wrapped), old_keys.auth_key


def test_password_change_rewraps_keys_and_revokes_sessions(env: Env) -> None:
    """New password signs in and opens the same keys; the old one fails; sessions are gone."""
    doctor = enrol(env, Role.MEMBER, "doctor", practice="Cabinet A")
    before = _sign_in(env, doctor, doctor.password)
    old_kdf = authentication.prelogin(env, "doctor")
    material, current = _material(env, doctor, doctor.password, "a brand new password")
    credentials.change_password(env, ARRANGE, _principal(doctor), current, doctor.code(), material)
    assert sessions.lookup(env, before.token) is None
    with pytest.raises(LoginFailed):
        _sign_in(env, doctor, doctor.password)
    after = _sign_in(env, doctor, "a brand new password")
    old_kek = derive_password_keys(doctor.password, old_kdf).kek
    new_kek = derive_password_keys("a brand new password", material.kdf).kek
    assert (
        unlock(after.keys, new_kek).practice_secret == unlock(before.keys, old_kek).practice_secret
    )


def test_password_change_needs_the_current_password_and_a_fresh_code(env: Env) -> None:
    """Wrong current password or a replayed code: refused, nothing changed."""
    sec = enrol(env, Role.SECRETARY, "sec")
    material, current = _material(env, sec, sec.password, "another long password")
    with pytest.raises(LoginFailed):
        credentials.change_password(
            env, ARRANGE, _principal(sec), Secret(bytes(32)), sec.code(), material
        )
    used = sec.code()
    authentication.login(env, ARRANGE, "sec", current, used)
    with pytest.raises(SecondFactorRequired):
        credentials.change_password(env, ARRANGE, _principal(sec), current, used, material)
    _sign_in(env, sec, sec.password)  # unchanged


def test_recovery_code_resets_the_password_without_losing_keys(env: Env) -> None:
    """The recovery code (proved by a signature) and a code set a password opening the same keys."""
    doctor = enrol(env, Role.MEMBER, "doctor", practice="Cabinet A")
    start = credentials.recovery_start(env, ARRANGE, "doctor")
    recovery = RecoveryCode.parse(doctor.enrolment.recovery_code)
    user = unwrap_user_keys(
        start.wrapped_recovery, recovery.key, WrapPurpose.RECOVERY, uuid.UUID(start.account_id)
    )
    kdf = KdfParams.generate()
    new = derive_password_keys("recovered password!", kdf)
    material = PasswordMaterial(
        kdf,
        new.auth_key,
        wrap_user_keys(user, new.kek, WrapPurpose.PASSWORD, uuid.UUID(start.account_id)),
    )
    forged = user.signing_key.sign(b"not the recovery message")
    with pytest.raises(LoginFailed):
        credentials.recovery_finish(
            env, ARRANGE, "doctor", doctor.code(), material, start.challenge, forged
        )
    start = credentials.recovery_start(env, ARRANGE, "doctor")  # the failure used the challenge up
    message = credentials.recovery_message(start.account_id, start.challenge, material)
    signature = user.signing_key.sign(message)
    credentials.recovery_finish(
        env, ARRANGE, "doctor", doctor.code(), material, start.challenge, signature
    )
    with pytest.raises(LoginFailed):  # the same request again, with a fresh code
        credentials.recovery_finish(
            env, ARRANGE, "doctor", doctor.code(), material, start.challenge, signature
        )
    signed = _sign_in(env, doctor, "recovered password!")
    assert unlock(signed.keys, new.kek).practice_secret is not None


def test_recovery_start_does_not_reveal_who_exists(env: Env) -> None:
    """Unknown names get a stable look-alike of the same shape."""
    enrol(env, Role.SECRETARY, "sec")
    real, fake = (
        credentials.recovery_start(env, ARRANGE, "sec"),
        credentials.recovery_start(env, ARRANGE, "ghost"),
    )
    assert len(real.wrapped_recovery) == len(fake.wrapped_recovery)
    assert real.wrapped_recovery[:2] == fake.wrapped_recovery[:2]
    assert len(real.challenge) == len(fake.challenge) == 32
    again = credentials.recovery_start(env, ARRANGE, "Ghost")
    assert (again.account_id, again.wrapped_recovery) == (fake.account_id, fake.wrapped_recovery)
    assert again.challenge != fake.challenge


def test_recovery_start_names_the_role_minimum_without_telling_who_exists(env: Env) -> None:
    """The new password's minimum is the account's role's (16 for an admin, 12 for a
    member); names nobody holds answer one of the two, stable per name, and both occur."""
    enrol(env, Role.ADMIN, "root")
    enrol(env, Role.MEMBER, "doctor", practice="Cabinet A")
    sources = (RequestInfo(request_id="test", ip=f"192.0.2.{i}") for i in range(1, 255))

    def start(name: str) -> int:  # each from its own address: starts are throttled per source
        return credentials.recovery_start(env, next(sources), name).min_password_length

    assert start("root") == 16
    assert start("doctor") == 12
    fakes = {name: start(name) for name in (f"ghost{i}" for i in range(40))}
    assert set(fakes.values()) == {12, 16}
    assert all(start(n) == m for n, m in fakes.items())


def test_totp_reset_switches_secret_and_revokes_sessions(env: Env) -> None:
    """A new authenticator is used only once a code from it checks; all sessions end."""
    from crypto import totp

    sec = enrol(env, Role.SECRETARY, "sec")
    signed = _sign_in(env, sec, sec.password)
    secret = credentials.totp_offer(env, _principal(sec))
    with pytest.raises(SecondFactorRequired):
        credentials.totp_confirm(env, ARRANGE, _principal(sec), sec.code())  # old app's code
    credentials.totp_confirm(env, ARRANGE, _principal(sec), totp.code_at(secret, env.now()))
    assert sessions.lookup(env, signed.token) is None
    sec.totp_secret = secret
    _sign_in(env, sec, sec.password)


def test_new_backup_codes_replace_the_old_ones(env: Env) -> None:
    """After renewal, an old backup code no longer signs in; a new one does."""
    sec = enrol(env, Role.SECRETARY, "sec")
    codes = credentials.new_backup_codes(env, ARRANGE, _principal(sec), sec.code())
    assert len(set(codes)) == 8
    key = derive_password_keys(sec.password, authentication.prelogin(env, "sec")).auth_key
    with pytest.raises(LoginFailed):
        authentication.login(env, ARRANGE, "sec", key, sec.enrolment.backup_codes[0])
    assert authentication.login(env, ARRANGE, "sec", key, codes[0]).must_reenrol_totp


def test_fake_recovery_wraps_look_random_like_real_ones(env: Env) -> None:
    """A fake wrap repeats no 8-byte block (a real one never does), so names stay hidden."""
    from crypto.user_keys import WRAPPED_BYTES

    for name in ("ghost", "phantom", "x" * 60):
        fake = credentials.recovery_start(env, ARRANGE, name).wrapped_recovery
        assert len(fake) == WRAPPED_BYTES
        blocks = [fake[i : i + 8] for i in range(2, len(fake) - 8)]
        assert len(set(blocks)) == len(blocks)


def test_wrong_codes_for_sensitive_actions_are_throttled(env: Env) -> None:
    """A stolen session cannot try every code: the 4th quick wrong code is throttled."""
    from vault.errors import Throttled

    sec = enrol(env, Role.SECRETARY, "sec")
    for _ in range(3):
        with pytest.raises(SecondFactorRequired):
            credentials.new_backup_codes(env, ARRANGE, _principal(sec), "000000")
    with pytest.raises(Throttled):  # refused before any code is looked at
        credentials.new_backup_codes(env, ARRANGE, _principal(sec), "111111")

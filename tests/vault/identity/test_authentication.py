"""Signing in at the vault level: one failure for everything, TOTP never twice, backup codes."""

from __future__ import annotations

import pytest

from audit.entry import decode
from crypto import totp
from crypto.kdf import KdfParams, derive_password_keys
from crypto.secret import Secret
from tests.people import ARRANGE, Person, enrol
from tests.vault.conftest import Clock
from vault.env import Env, Principal
from vault.errors import AccountDisabled, CodeJustUsed, LoginFailed, SecondFactorRequired
from vault.identity import accounts, authentication, credentials
from vault.identity.roles import Role


def _auth_key(env: Env, person: Person, password: str | None = None) -> Secret:
    params = authentication.prelogin(env, person.username)
    return derive_password_keys(password or person.password, params).auth_key


def test_sign_in_opens_a_session_with_the_key_bundle(env: Env) -> None:
    """Right password and code: a session, and the wrapped keys and practice grant to unlock."""
    doctor = enrol(env, Role.MEMBER, "doctor", practice="Cabinet A")
    signed = authentication.login(env, ARRANGE, "Doctor", _auth_key(env, doctor), doctor.code())
    assert signed.principal.role == Role.MEMBER
    assert signed.keys["account_id"] == doctor.account_id
    assert signed.keys["practice"]["grant"]  # type: ignore[index]
    assert not signed.must_reenrol_totp


def test_a_code_is_refused_the_second_time_even_with_spaces(env: Env) -> None:
    """The step of a used code is burnt: the same code, typed '123 456', fails."""
    sec = enrol(env, Role.SECRETARY, "sec")
    key = _auth_key(env, sec)
    code = sec.code()
    authentication.login(env, ARRANGE, "sec", key, code)
    with pytest.raises(LoginFailed):
        authentication.login(env, ARRANGE, "sec", key, code[:3] + " " + code[3:])


def test_a_code_seen_in_a_failed_attempt_cannot_be_replayed(env: Env) -> None:
    """A valid code sent with a wrong password is consumed: the right password then fails."""
    sec = enrol(env, Role.SECRETARY, "sec")
    code = sec.code()
    with pytest.raises(LoginFailed):
        authentication.login(env, ARRANGE, "sec", Secret(bytes(32)), code)
    with pytest.raises(LoginFailed):
        authentication.login(env, ARRANGE, "sec", _auth_key(env, sec), code)
    authentication.login(env, ARRANGE, "sec", _auth_key(env, sec), sec.code())


def test_every_failure_is_the_same_error(env: Env) -> None:
    """Unknown name, wrong password, wrong code, and a disabled account's wrong password or
    code: one message (a disabled account is named only to whoever holds both factors)."""
    sec = enrol(env, Role.SECRETARY, "sec")
    admin = enrol(env, Role.ADMIN, "root")
    key = _auth_key(env, sec)
    messages = set()
    for username, auth_key, code in [
        ("nobody", key, sec.code()),
        ("sec", Secret(bytes(32)), sec.code()),
        ("sec", key, "000000"),
    ]:
        with pytest.raises(LoginFailed) as caught:
            authentication.login(env, ARRANGE, username, auth_key, code)
        messages.add(str(caught.value))
    accounts.set_disabled(
        env, ARRANGE, Principal(admin.account_id, "root", Role.ADMIN), sec.account_id, True
    )
    with pytest.raises(LoginFailed) as caught:
        authentication.login(env, ARRANGE, "sec", Secret(bytes(32)), sec.code())
    assert type(caught.value) is LoginFailed
    messages.add(str(caught.value))
    assert len(messages) == 1


def test_a_disabled_account_is_told_so_with_the_right_password_and_code(env: Env) -> None:
    """Both factors right: ``AccountDisabled`` (contact the administrator), no session, and
    a denied ``login.failed`` entry with reason ``disabled``; pre-login keeps the account's
    own salt so that its owner's password can be recognised."""
    sec = enrol(env, Role.SECRETARY, "sec")
    admin = enrol(env, Role.ADMIN, "root")
    params = authentication.prelogin(env, "sec")
    accounts.set_disabled(
        env, ARRANGE, Principal(admin.account_id, "root", Role.ADMIN), sec.account_id, True
    )
    assert authentication.prelogin(env, "sec") == params
    with pytest.raises(LoginFailed) as wrong_code:
        authentication.login(env, ARRANGE, "sec", _auth_key(env, sec), "000000")
    assert type(wrong_code.value) is LoginFailed
    with pytest.raises(AccountDisabled) as caught:
        authentication.login(env, ARRANGE, "sec", _auth_key(env, sec), sec.code())
    assert str(caught.value) == "This account is disabled: contact your administrator."
    live = env.db.read(
        lambda c: c.execute(
            "SELECT count(*) FROM session WHERE account_id = ? AND revoked_at IS NULL",
            (sec.account_id,),
        ).fetchone()[0]
    )
    assert live == 0
    last = env.db.read(
        lambda c: (
            decode(
                bytes(c.execute("SELECT leaf FROM audit_entries ORDER BY idx DESC").fetchone()[0])
            ).entry
        )
    )
    assert (last.action, last.outcome, dict(last.detail)) == (
        "login.failed",
        "denied",
        {"reason": "disabled"},
    )
    assert last.actor.account == sec.account_id


def test_the_code_that_just_signed_in_is_refused_as_just_used(env: Env) -> None:
    """Still current, but used: wait for the next one (not "enter a current code")."""
    sec = enrol(env, Role.SECRETARY, "sec")
    code = sec.code()
    principal = authentication.login(env, ARRANGE, "sec", _auth_key(env, sec), code).principal
    with pytest.raises(CodeJustUsed) as caught:
        credentials.check_second_factor(env, ARRANGE, principal, code)
    assert "wait for the next code" in str(caught.value)
    assert caught.value.field == "code"
    wrong = "000000" if code != "000000" else "111111"
    with pytest.raises(SecondFactorRequired) as generic:
        credentials.check_second_factor(env, ARRANGE, principal, wrong)
    assert type(generic.value) is SecondFactorRequired
    credentials.check_second_factor(env, ARRANGE, principal, sec.code())


def test_prelogin_fakes_unknown_names_stably(env: Env) -> None:
    """Unknown names get a stable salt of the same shape; known ones get their own."""
    sec = enrol(env, Role.SECRETARY, "sec")
    fake = authentication.prelogin(env, "ghost")
    assert fake == authentication.prelogin(env, "GHOST")
    assert fake != authentication.prelogin(env, "phantom")
    real = authentication.prelogin(env, "sec")
    assert isinstance(real, KdfParams) and len(real.salt) == len(fake.salt) == 16
    assert (real.ops, real.mem) == (fake.ops, fake.mem)
    del sec


def test_a_backup_code_signs_in_once_and_forces_re_enrolment(env: Env) -> None:
    """A backup code replaces a lost authenticator once, and flags the account to re-enrol TOTP."""
    sec = enrol(env, Role.SECRETARY, "sec")
    key = _auth_key(env, sec)
    backup = sec.enrolment.backup_codes[0]
    signed = authentication.login(env, ARRANGE, "sec", key, backup.lower().replace("-", " "))
    assert signed.must_reenrol_totp
    with pytest.raises(LoginFailed):
        authentication.login(env, ARRANGE, "sec", key, backup)


def test_codes_from_the_next_and_previous_step_are_accepted(env: Env, clock: Clock) -> None:
    """±1 step of drift between phone and server is tolerated, no more."""
    sec = enrol(env, Role.SECRETARY, "sec")
    key = _auth_key(env, sec)
    step = totp.step_at(clock.now)
    authentication.login(env, ARRANGE, "sec", key, totp.code_at_step(sec.totp_secret, step + 1))
    with pytest.raises(LoginFailed):
        authentication.login(env, ARRANGE, "sec", key, totp.code_at_step(sec.totp_secret, step + 3))

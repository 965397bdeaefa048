"""Invitations and accounts: who may invite whom, single use, expiry, disabling."""

from __future__ import annotations

import pytest

from audit.entry import decode
from cli.client import enrolment_body
from crypto import totp
from tests.people import ARRANGE, PASSWORDS, enrol
from tests.vault.conftest import Clock
from vault.env import Env, Principal
from vault.errors import Conflict, Forbidden, InvalidInput, InvitationInvalid
from vault.identity import accounts, enrolment, sessions
from vault.identity.keymaterial import EnrolmentMaterial
from vault.identity.roles import Role


def _actions(env: Env) -> list[str]:
    """The actions recorded after entry 0 (``vault.initialised``, written by init)."""
    return env.db.read(
        lambda c: [
            decode(bytes(r[0])).entry.action
            for r in c.execute("SELECT leaf FROM audit_entries WHERE idx > 0 ORDER BY idx")
        ]
    )


def test_invitation_creates_an_invited_account_and_a_practice(env: Env) -> None:
    """An admin-level invite of a member creates the practice, the account, and audits both."""
    invitation = accounts.invite(
        env,
        ARRANGE,
        None,
        username="Dr.House",
        display_name="Gregory  House",
        role=Role.MEMBER,
        practice_name="Cabinet  Princeton",
    )
    account = env.db.read(lambda c: accounts.get(c, invitation.account_id))
    assert (account.username, account.display_name, account.status) == (
        "dr.house",
        "Gregory House",
        "invited",
    )
    assert account.practice_name == "Cabinet Princeton"
    assert _actions(env) == ["client.created", "account.invited"]
    assert invitation.link("https://v.example/").startswith("https://v.example/enrol/")


@pytest.mark.parametrize(
    ("kwargs", "error"),
    [
        ({"username": "ab", "role": Role.SECRETARY}, InvalidInput),
        ({"username": "bad name!", "role": Role.SECRETARY}, InvalidInput),
        ({"username": "doc", "role": Role.MEMBER}, InvalidInput),  # no practice named
        ({"username": "sec", "role": Role.SECRETARY, "practice_name": "X"}, InvalidInput),
        ({"username": "sec", "role": Role.SECRETARY, "display_name": " "}, InvalidInput),
    ],
)
def test_invalid_invitations_are_refused_and_leave_nothing(
    env: Env, kwargs: dict[str, object], error: type[Exception]
) -> None:
    """Bad usernames, names or role/practice combinations are refused before anything is stored."""
    args = {"display_name": "Someone", **kwargs}
    with pytest.raises(error):
        accounts.invite(env, ARRANGE, None, **args)  # type: ignore[arg-type]
    assert env.db.read(lambda c: c.execute("SELECT count(*) FROM account").fetchone()[0]) == 0
    assert _actions(env) == []


def test_usernames_are_unique_whatever_the_case(env: Env) -> None:
    """A second account with the same name in another case is a conflict."""
    accounts.invite(env, ARRANGE, None, username="sophie", display_name="S", role=Role.SECRETARY)
    with pytest.raises(Conflict):
        accounts.invite(
            env, ARRANGE, None, username="SOPHIE", display_name="S", role=Role.SECRETARY
        )


def test_only_admins_and_members_invite_and_members_only_colleagues(env: Env) -> None:
    """A member invites colleagues into their own practice only; secretaries invite nobody."""
    doctor = enrol(env, Role.MEMBER, "doctor", practice="Cabinet A")
    secretary = enrol(env, Role.SECRETARY, "secretary")
    as_doctor = Principal(doctor.account_id, "doctor", Role.MEMBER, doctor.practice_id)
    as_secretary = Principal(secretary.account_id, "secretary", Role.SECRETARY)
    colleague = accounts.invite(
        env, ARRANGE, as_doctor, username="nurse", display_name="N", role=Role.MEMBER
    )
    assert (
        env.db.read(lambda c: accounts.get(c, colleague.account_id)).practice_id
        == doctor.practice_id
    )
    with pytest.raises(Forbidden):
        accounts.invite(
            env, ARRANGE, as_doctor, username="x-admin", display_name="X", role=Role.ADMIN
        )
    with pytest.raises(Forbidden):
        accounts.invite(
            env,
            ARRANGE,
            as_secretary,
            username="yves",
            display_name="Y",
            role=Role.MEMBER,
            practice_name="P",
        )


def test_invitation_link_is_single_use(env: Env) -> None:
    """Once enrolled, the same link is refused."""
    invitation = accounts.invite(
        env, ARRANGE, None, username="sec", display_name="S", role=Role.SECRETARY
    )
    offer = enrolment.offer(env, invitation.token)
    secret = totp.new_totp_secret()
    body, _ = enrolment_body(
        offer.account_id,
        PASSWORDS[Role.SECRETARY],
        totp.code_at(secret, env.now()),
        totp_secret=secret,
    )
    enrolment.enrol(env, ARRANGE, invitation.token, EnrolmentMaterial.parse(body), body["code"])
    with pytest.raises(InvitationInvalid):
        enrolment.offer(env, invitation.token)


def test_invitation_expires_after_seven_days(env: Env, clock: Clock) -> None:
    """A link is refused once its seven days are over; an unknown token is refused the same way."""
    invitation = accounts.invite(
        env, ARRANGE, None, username="sec", display_name="S", role=Role.SECRETARY
    )
    clock.advance(days=7, seconds=1)
    with pytest.raises(InvitationInvalid):
        enrolment.offer(env, invitation.token)
    with pytest.raises(InvitationInvalid):
        enrolment.offer(env, "no-such-token")


def test_disabling_revokes_sessions_and_re_enabling_restores(env: Env) -> None:
    """A disabled account's sessions die at once; an admin cannot disable themself."""
    admin = enrol(env, Role.ADMIN, "root")
    secretary = enrol(env, Role.SECRETARY, "sec")
    as_admin = Principal(admin.account_id, "root", Role.ADMIN)
    token, _ = env.db.write(lambda c: sessions.create(env, c, secretary.account_id, None, None))
    assert sessions.lookup(env, token) is not None
    accounts.set_disabled(env, ARRANGE, as_admin, secretary.account_id, True)
    assert sessions.lookup(env, token) is None
    with pytest.raises(Conflict):
        accounts.set_disabled(env, ARRANGE, as_admin, secretary.account_id, True)
    with pytest.raises(InvalidInput):
        accounts.set_disabled(env, ARRANGE, as_admin, admin.account_id, True)
    accounts.set_disabled(env, ARRANGE, as_admin, secretary.account_id, False)
    assert env.db.read(lambda c: accounts.get(c, secretary.account_id)).status == "active"
    assert sessions.lookup(env, token) is None  # revoked sessions stay revoked
    assert {"account.disabled", "account.enabled"} <= set(_actions(env))

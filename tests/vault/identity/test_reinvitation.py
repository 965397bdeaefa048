"""A lost or expired invitation issued again, for an account that never enrolled."""

from __future__ import annotations

import pytest

from audit.entry import decode
from tests.people import ARRANGE, enrol
from tests.vault.conftest import Clock
from vault.env import Env, Principal
from vault.errors import Conflict, Forbidden, InvitationInvalid, NotFound
from vault.identity import accounts, enrolment, reinvitation
from vault.identity.roles import Role


def _admin(env: Env) -> Principal:
    root = enrol(env, Role.ADMIN, "root")
    return Principal(root.account_id, "root", Role.ADMIN)


def _invite(env: Env, username: str = "dr.lost") -> accounts.Invitation:
    return accounts.invite(
        env,
        ARRANGE,
        None,
        username=username,
        display_name="Dr Lost",
        role=Role.MEMBER,
        practice_name="Cabinet A",
    )


def _last_entry(env: Env) -> object:
    return env.db.read(
        lambda c: (
            decode(
                bytes(c.execute("SELECT leaf FROM audit_entries ORDER BY idx DESC").fetchone()[0])
            ).entry
        )
    )


def test_a_new_link_voids_the_old_one_and_is_audited(env: Env) -> None:
    admin = _admin(env)
    first = _invite(env)
    again = reinvitation.reissue(env, ARRANGE, admin, first.account_id)
    assert again.account_id == first.account_id
    assert again.token != first.token
    with pytest.raises(InvitationInvalid):
        enrolment.offer(env, first.token)
    assert enrolment.offer(env, again.token).username == "dr.lost"
    entry = _last_entry(env)
    assert entry.action == "account.reinvited"  # type: ignore[attr-defined]
    assert entry.actor.account == admin.account_id  # type: ignore[attr-defined]
    assert entry.targets["account"] == first.account_id  # type: ignore[attr-defined]
    assert "practice" in entry.targets  # type: ignore[attr-defined]
    assert dict(entry.detail) == {"revoked": 1}  # type: ignore[attr-defined]


def test_an_expired_link_can_be_issued_again(env: Env, clock: Clock) -> None:
    admin = _admin(env)
    first = _invite(env)
    clock.advance(days=accounts.INVITATION_DAYS + 1)
    with pytest.raises(InvitationInvalid):
        enrolment.offer(env, first.token)
    again = reinvitation.reissue(env, ARRANGE, admin, first.account_id)
    assert enrolment.offer(env, again.token).username == "dr.lost"
    assert dict(_last_entry(env).detail) == {"revoked": 0}  # type: ignore[attr-defined]


def test_inviting_the_name_again_points_to_the_new_link(env: Env) -> None:
    """The name stays taken, and the refusal says what to do instead, at the username field."""
    _invite(env)
    with pytest.raises(Conflict) as caught:
        _invite(env)
    assert "New invitation link" in str(caught.value)
    assert caught.value.field == "username"


def test_only_an_admin_and_only_for_an_account_that_never_enrolled(env: Env) -> None:
    admin = _admin(env)
    member = enrol(env, Role.MEMBER, "dr.done", practice="Cabinet A")
    with pytest.raises(Conflict):
        reinvitation.reissue(env, ARRANGE, admin, member.account_id)
    with pytest.raises(Conflict) as caught:
        _invite(env, "dr.done")
    assert str(caught.value) == "This username is already taken."
    pending = _invite(env)
    as_member = Principal(member.account_id, "dr.done", Role.MEMBER, None)
    with pytest.raises(Forbidden):
        reinvitation.reissue(env, ARRANGE, as_member, pending.account_id)
    with pytest.raises(NotFound):
        reinvitation.reissue(env, ARRANGE, admin, "not-an-id")
    accounts.set_disabled(env, ARRANGE, admin, pending.account_id, True)
    with pytest.raises(Conflict):
        reinvitation.reissue(env, ARRANGE, admin, pending.account_id)

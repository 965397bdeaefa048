"""Practice key grants between colleagues, and secretaries' assignments."""

from __future__ import annotations

import uuid

import pytest

from cli.client import unlock
from crypto.grants import GrantKind, seal_grant
from crypto.kdf import derive_password_keys
from crypto.secret import Secret
from tests.people import ARRANGE, Person, enrol
from vault.env import Env, Principal
from vault.errors import Conflict, Forbidden, NotFound, SecondFactorRequired
from vault.identity import authentication, practices
from vault.identity.roles import Role


def _p(person: Person) -> Principal:
    return Principal(person.account_id, person.username, person.role, person.practice_id)


def _practice_secret(env: Env, person: Person) -> Secret:
    kdf = authentication.prelogin(env, person.username)
    bundle = env.db.read(lambda c: authentication.key_bundle(c, person.account_id))
    secret = unlock(bundle, derive_password_keys(person.password, kdf).kek).practice_secret
    assert secret is not None
    return secret


def test_a_member_shares_the_practice_key_with_a_colleague(env: Env) -> None:
    """The colleague waits for the key, then opens exactly the first member's practice key."""
    doctor = enrol(env, Role.MEMBER, "doctor", practice="Cabinet A")
    nurse = enrol(env, Role.MEMBER, "nurse", practice="Cabinet A")
    pending = practices.pending_grants(env, _p(doctor))
    assert [g.username for g in pending] == ["nurse"]
    secret = _practice_secret(env, doctor)
    grant = seal_grant(
        GrantKind.PRACTICE_SECRET_KEY,
        uuid.UUID(doctor.practice_id),
        secret,
        pending[0].x25519_pk,
    )
    with pytest.raises(SecondFactorRequired):
        practices.grant(env, ARRANGE, _p(doctor), nurse.account_id, grant, "000000")
    practices.grant(env, ARRANGE, _p(doctor), nurse.account_id, grant, doctor.code())
    assert _practice_secret(env, nurse) == secret
    assert practices.pending_grants(env, _p(doctor)) == []
    with pytest.raises(Conflict):
        practices.grant(env, ARRANGE, _p(doctor), nurse.account_id, grant, doctor.code())


def test_grants_stay_inside_the_practice(env: Env) -> None:
    """Another practice's member is invisible (404), and only members can grant."""
    doctor = enrol(env, Role.MEMBER, "doctor", practice="Cabinet A")
    lawyer = enrol(env, Role.MEMBER, "lawyer", practice="Etude B")
    secretary = enrol(env, Role.SECRETARY, "sec")
    with pytest.raises(NotFound):
        practices.grant(env, ARRANGE, _p(doctor), lawyer.account_id, bytes(99), doctor.code())
    with pytest.raises(NotFound):
        practices.grant(env, ARRANGE, _p(secretary), lawyer.account_id, bytes(99), secretary.code())
    with pytest.raises(Forbidden):
        practices.pending_grants(env, _p(secretary))


def test_assignments_by_admins_only(env: Env) -> None:
    """Admins assign and unassign secretaries; the list of served practices follows."""
    admin = enrol(env, Role.ADMIN, "root")
    doctor = enrol(env, Role.MEMBER, "doctor", practice="Cabinet A")
    sec = enrol(env, Role.SECRETARY, "sec")
    assert doctor.practice_id is not None
    with pytest.raises(Forbidden):
        practices.set_assignment(env, ARRANGE, _p(doctor), sec.account_id, doctor.practice_id, True)
    practices.set_assignment(env, ARRANGE, _p(admin), sec.account_id, doctor.practice_id, True)
    assert [p[1] for p in practices.assigned_practices(env, sec.account_id)] == ["Cabinet A"]
    with pytest.raises(Conflict):
        practices.set_assignment(env, ARRANGE, _p(admin), sec.account_id, doctor.practice_id, True)
    with pytest.raises(NotFound):  # only secretaries are assigned
        practices.set_assignment(
            env, ARRANGE, _p(admin), doctor.account_id, doctor.practice_id, True
        )
    practices.set_assignment(env, ARRANGE, _p(admin), sec.account_id, doctor.practice_id, False)
    assert practices.assigned_practices(env, sec.account_id) == []
    listing = practices.list_practices(env)
    assert listing[0].name == "Cabinet A" and listing[0].fingerprint is not None

"""Team key versions: who is sealed to, the server's checks, re-keying when someone leaves."""

from __future__ import annotations

import uuid
from dataclasses import replace

import pytest

from crypto.errors import DecryptionFailed
from crypto.grants import GrantKind, open_grant
from crypto.instruction import DocType, open_instruction
from crypto.teamkey import open_team_key
from tests.factories import REQ, World, add_account, assign, audit_actions
from tests.teamkeys import Made, create, document, make_version, team_of
from vault.errors import Conflict, Forbidden, InvalidInput, NotFound
from vault.identity.roles import Role
from vault.team import documents, keys
from vault.team.access import TeamAccount, team_account


def _remove_assignment(w: World) -> None:
    w.env.db.write(
        lambda c: c.execute(
            "DELETE FROM assignment WHERE secretary_id = ? AND practice_id = ?",
            (w.secretary.id, w.practice.id),
        )
    )


def test_the_team_is_the_granted_members_and_assigned_secretaries(world: World) -> None:
    """Recipients: members holding the practice key and assigned secretaries — never an
    admin, an auditor, another practice's people or a member awaiting the key."""
    w = world
    add_account(w.env, Role.ADMIN, "root")
    add_account(w.env, Role.AUDITOR, "auditor")
    add_account(w.env, Role.MEMBER, "waiting", w.practice, granted=False)
    assert {a.id for a in team_of(w.env, w.practice.id)} == {w.member.id, w.secretary.id}


def test_version_one_then_state_for_member_and_secretary(world: World) -> None:
    w = world
    state = keys.state(w.env, REQ, w.member.principal, w.practice.id)
    assert (state.current_version, state.rekey_due, state.versions) == (None, False, [])
    made = create(w.env, w.practice.id, w.member)
    member_state = keys.state(w.env, REQ, w.member.principal, w.practice.id)
    assert member_state.current_version == 1 and member_state.missing == []
    assert {a.id for a in member_state.recipients} == {w.member.id, w.secretary.id}
    seen = keys.state(w.env, REQ, w.secretary.principal, w.practice.id)
    assert seen.recipients == [] and seen.versions[0].creator.id == w.member.id
    v = seen.versions[0]
    assert v.grant is not None
    key = open_team_key(
        v.grant,
        record=v.record,
        signature=v.signature,
        creator_verify_key=w.member.keys.public_keys.verify_key,
        creator_id=uuid.UUID(w.member.id),
        client_id=uuid.UUID(w.practice.id),
        version=1,
        recipient_id=uuid.UUID(w.secretary.id),
        recipient_secret_key=w.secretary.keys.x25519_secret,
    )
    assert key == made.key
    assert "team.key_created" in audit_actions(w.env)


def test_outsiders_get_a_404_and_secretaries_cannot_make_versions(world: World) -> None:
    w = world
    for outsider in (w.outsider, w.stranger):
        with pytest.raises(NotFound):
            keys.state(w.env, REQ, outsider.principal, w.practice.id)
        made = make_version(w.env, w.practice.id, outsider, 1)
        with pytest.raises(NotFound):
            keys.create_version(w.env, REQ, outsider.principal, w.practice.id, made.new)
    made = make_version(w.env, w.practice.id, w.secretary, 1)
    with pytest.raises(Forbidden):
        keys.create_version(w.env, REQ, w.secretary.principal, w.practice.id, made.new)
    assert audit_actions(w.env).count("access.denied") >= 2  # repeats are counted, not appended


def test_a_version_must_name_exactly_the_team_and_be_the_next(world: World) -> None:
    """Leaving someone out, adding an outsider, a wrong number, someone else's signature,
    a malformed grant: each refused, and nothing is stored."""
    w = world
    team = team_of(w.env, w.practice.id)
    outsider = replace(team[0], id=w.outsider.id)
    for recipients in (team[:1], [*team, outsider]):
        made = make_version(w.env, w.practice.id, w.member, 1, recipients=recipients)
        with pytest.raises(Conflict):
            keys.create_version(w.env, REQ, w.member.principal, w.practice.id, made.new)
    made = make_version(w.env, w.practice.id, w.member, 2)
    with pytest.raises(Conflict):
        keys.create_version(w.env, REQ, w.member.principal, w.practice.id, made.new)
    made = make_version(w.env, w.practice.id, w.member, 1)
    forged = replace(made.new, signature=bytes(64))
    with pytest.raises(InvalidInput):
        keys.create_version(w.env, REQ, w.member.principal, w.practice.id, forged)
    short = replace(made.new, grants={k: v[:98] for k, v in made.new.grants.items()})
    with pytest.raises(InvalidInput):
        keys.create_version(w.env, REQ, w.member.principal, w.practice.id, short)
    fewer = replace(made.new, grants=dict(list(made.new.grants.items())[:1]))
    with pytest.raises(Conflict):
        keys.create_version(w.env, REQ, w.member.principal, w.practice.id, fewer)
    assert keys.state(w.env, REQ, w.member.principal, w.practice.id).current_version is None


def test_removed_secretary_gets_no_grant_and_cannot_open_the_new_version(world: World) -> None:
    """After her assignment ended, re-keying is due, writing under version 1 is refused;
    version 2 is sealed to the member alone and re-encrypts the card; her keys open
    neither version 2's grant nor its envelope; she gets 404."""
    w = world
    v1 = create(w.env, w.practice.id, w.member)
    doc_id, env1 = document(v1.key, w.member, w.practice.id, version=1)
    documents.write_document(w.env, REQ, w.member.principal, w.practice.id, doc_id, env1)
    _remove_assignment(w)
    state = keys.state(w.env, REQ, w.member.principal, w.practice.id)
    assert state.rekey_due and [a.id for a in state.recipients] == [w.member.id]
    _, env2 = document(v1.key, w.member, w.practice.id, version=1, revision=2, document_id=doc_id)
    with pytest.raises(Conflict, match="lost access"):
        documents.write_document(w.env, REQ, w.member.principal, w.practice.id, doc_id, env2)
    # Version 2 must leave her out: a version sealed to her too is refused.
    with_her = make_version(w.env, w.practice.id, w.member, 2, recipients=team_of_before(w))
    with pytest.raises(Conflict):
        keys.create_version(w.env, REQ, w.member.principal, w.practice.id, with_her.new)
    key2 = make_version(w.env, w.practice.id, w.member, 2).key
    _, reencrypted = document(
        key2, w.member, w.practice.id, version=2, revision=2, document_id=doc_id
    )
    v2 = create(w.env, w.practice.id, w.member, 2, documents=[(doc_id, reencrypted)], key=key2)
    assert set(v2.new.grants) == {w.member.id}
    state = keys.state(w.env, REQ, w.member.principal, w.practice.id)
    assert (state.current_version, state.rekey_due) == (2, False)
    stored = w.env.db.read(
        lambda c: c.execute("SELECT account_id FROM team_key_grant WHERE version = 2").fetchall()
    )
    assert [r[0] for r in stored] == [w.member.id]  # no grant of version 2 exists for her
    with pytest.raises(DecryptionFailed):
        open_grant(
            v2.new.grants[w.member.id],
            GrantKind.TEAM_KEY,
            uuid.UUID(w.practice.id),
            w.secretary.keys.x25519_secret,
        )
    with pytest.raises(DecryptionFailed):  # a key sealed to her under version 2's record
        _her_v2(w, v2, with_her.new.grants[w.secretary.id])
    with pytest.raises(DecryptionFailed):
        open_instruction(
            reencrypted,
            v1.key,  # the only team key she ever held
            w.member.keys.public_keys.verify_key,
            client_id=uuid.UUID(w.practice.id),
            document_id=uuid.UUID(doc_id),
            author_id=uuid.UUID(w.member.id),
            version=2,
        )
    with pytest.raises(NotFound):
        keys.state(w.env, REQ, w.secretary.principal, w.practice.id)
    with pytest.raises(NotFound):
        documents.list_documents(w.env, REQ, w.secretary.principal, w.practice.id)
    latest = documents.list_documents(w.env, REQ, w.member.principal, w.practice.id)
    assert [(d.revision, d.version) for d in latest] == [(2, 2)]
    _, header_body = open_instruction(
        latest[0].envelope,
        key2,
        w.member.keys.public_keys.verify_key,
        client_id=uuid.UUID(w.practice.id),
        document_id=uuid.UUID(doc_id),
        author_id=uuid.UUID(w.member.id),
        version=2,
        type=DocType.PRACTICE_CARD,
    )
    assert header_body == {"name": "Cabinet Martin"}


def team_of_before(w: World) -> list[TeamAccount]:
    """The team as it was (the member and the secretary), for a version that includes her."""
    return [
        *team_of(w.env, w.practice.id),
        w.env.db.read(lambda c: team_account(c, w.secretary.id)),
    ]


def _her_v2(w: World, v2: Made, grant: bytes) -> None:
    """A team key sealed to her, presented under version 2's record, is refused."""
    open_team_key(
        grant,
        record=v2.new.record,
        signature=v2.new.signature,
        creator_verify_key=w.member.keys.public_keys.verify_key,
        creator_id=uuid.UUID(w.member.id),
        client_id=uuid.UUID(w.practice.id),
        version=2,
        recipient_id=uuid.UUID(w.secretary.id),
        recipient_secret_key=w.secretary.keys.x25519_secret,
    )


def test_a_newcomer_gets_a_record_of_the_same_version(world: World) -> None:
    """A secretary assigned after version 1 is missing; a member adds her with a new record
    of version 1 (same commit) and her grant; then nobody is missing."""
    w = world
    v1 = create(w.env, w.practice.id, w.member)
    newcomer = add_account(w.env, Role.SECRETARY, "nina")
    assign(w.env, newcomer, w.practice)
    state = keys.state(w.env, REQ, w.member.principal, w.practice.id)
    assert state.missing == [newcomer.id] and not state.rekey_due
    added = make_version(w.env, w.practice.id, w.member, 1, key=v1.key)
    only_new = replace(added.new, grants={newcomer.id: added.new.grants[newcomer.id]})
    with pytest.raises(Conflict):  # grants for people who hold one already
        keys.add_recipients(w.env, REQ, w.member.principal, w.practice.id, added.new)
    other_key = make_version(w.env, w.practice.id, w.member, 1)
    with pytest.raises(InvalidInput):  # another key under version 1
        keys.add_recipients(
            w.env,
            REQ,
            w.member.principal,
            w.practice.id,
            replace(other_key.new, grants=only_new.grants),
        )
    keys.add_recipients(w.env, REQ, w.member.principal, w.practice.id, only_new)
    seen = keys.state(w.env, REQ, newcomer.principal, w.practice.id)
    assert seen.versions[0].grant is not None and seen.missing == []
    key = open_team_key(
        seen.versions[0].grant,
        record=seen.versions[0].record,
        signature=seen.versions[0].signature,
        creator_verify_key=w.member.keys.public_keys.verify_key,
        creator_id=uuid.UUID(w.member.id),
        client_id=uuid.UUID(w.practice.id),
        version=1,
        recipient_id=uuid.UUID(newcomer.id),
        recipient_secret_key=newcomer.keys.x25519_secret,
    )
    assert key == v1.key
    with pytest.raises(Conflict):
        keys.add_recipients(w.env, REQ, w.member.principal, w.practice.id, only_new)
    assert "team.recipients_added" in audit_actions(w.env)


def test_a_disabled_member_makes_re_keying_due(world: World) -> None:
    """A colleague disabled by an admin is no longer of the team: the next version leaves
    them out, and until then nothing is written."""
    w = world
    colleague = add_account(w.env, Role.MEMBER, "dr.durand", w.practice)
    v1 = create(w.env, w.practice.id, w.member)
    assert colleague.id in v1.new.grants
    w.env.db.write(
        lambda c: c.execute("UPDATE account SET status = 'disabled' WHERE id = ?", (colleague.id,))
    )
    assert keys.state(w.env, REQ, w.member.principal, w.practice.id).rekey_due
    with pytest.raises(NotFound):
        keys.state(w.env, REQ, colleague.principal, w.practice.id)
    v2 = create(w.env, w.practice.id, w.member, 2)
    assert set(v2.new.grants) == {w.member.id, w.secretary.id}
    assert not keys.state(w.env, REQ, w.member.principal, w.practice.id).rekey_due

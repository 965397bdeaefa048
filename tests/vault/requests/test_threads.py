"""Requests and replies stored with their state in one transaction, and who reaches a thread."""

from __future__ import annotations

import uuid

import pytest

from crypto.instruction import DocType, open_instruction
from crypto.signing import VerifyKey
from tests.factories import REQ, World, assigned_secretary, audit_actions, deposit_item
from tests.teamkeys import Made, create, document
from vault.errors import Forbidden, InvalidInput, NotFound
from vault.requests import state, threads, writes

CANARY = "CANARY-rq7"


@pytest.fixture
def team(world: World) -> Made:
    return create(world.env, world.practice.id, world.member)


def _request(w: World, team: Made, text: str = f"Rappeler Mme X {CANARY}") -> str:
    rid, envelope = document(
        team.key,
        w.member,
        w.practice.id,
        version=1,
        doc_type=DocType.REQUEST,
        body={"text": text, "due": ""},
    )
    writes.create_request(w.env, REQ, w.member.principal, w.practice.id, rid, envelope)
    return rid


def _reply(w: World, team: Made, author: object, subject: str, text: str) -> tuple[str, bytes]:
    return document(
        team.key,
        author,  # type: ignore[arg-type]
        w.practice.id,
        version=1,
        doc_type=DocType.REPLY,
        body={"text": text},
        subject_id=uuid.UUID(subject),
    )


def test_a_request_and_its_done_note_are_stored_with_their_state(world: World, team: Made) -> None:
    w = world
    rid = _request(w, team)
    assert state.one(w.env, REQ, w.member.principal, w.practice.id, rid).status == "open"
    reply_id, note = _reply(w, team, w.secretary, rid, f"Fait, RDV jeudi {CANARY}")
    done = writes.complete_request(
        w.env, REQ, w.secretary.principal, w.practice.id, rid, reply_id, note
    )
    assert done.status == "done" and done.reply_id == reply_id
    [stored] = threads.request_thread(w.env, REQ, w.member.principal, w.practice.id, rid)
    assert stored.document_id == reply_id and stored.author.id == w.secretary.id
    _, body = open_instruction(
        stored.envelope,
        team.key,
        VerifyKey(stored.author.ed25519_pk),
        client_id=uuid.UUID(w.practice.id),
        document_id=uuid.UUID(reply_id),
        author_id=uuid.UUID(w.secretary.id),
        version=1,
        type=DocType.REPLY,
        subject_id=uuid.UUID(rid),
    )
    assert body == {"text": f"Fait, RDV jeudi {CANARY}"}
    actions = audit_actions(w.env)
    assert "request.opened" in actions and "request.done" in actions
    assert actions.count("instruction.written") == 2


def test_a_done_note_about_something_else_changes_nothing(world: World, team: Made) -> None:
    """A failure mid-operation leaves no partial state: the request stays open."""
    w = world
    rid = _request(w, team)
    other = _request(w, team, "autre")
    reply_id, note = _reply(w, team, w.secretary, other, "pas la bonne")
    before = audit_actions(w.env)
    with pytest.raises(InvalidInput):
        writes.complete_request(
            w.env, REQ, w.secretary.principal, w.practice.id, rid, reply_id, note
        )
    assert state.one(w.env, REQ, w.member.principal, w.practice.id, rid).status == "open"
    assert audit_actions(w.env) == before
    assert threads.request_thread(w.env, REQ, w.member.principal, w.practice.id, rid) == []


def test_a_request_sent_as_a_reply_or_by_a_secretary_is_refused(world: World, team: Made) -> None:
    w = world
    rid, envelope = _reply(w, team, w.member, str(uuid.uuid4()), "not a request")
    with pytest.raises(InvalidInput):
        writes.create_request(w.env, REQ, w.member.principal, w.practice.id, rid, envelope)
    with pytest.raises(Forbidden):
        writes.create_request(w.env, REQ, w.secretary.principal, w.practice.id, rid, envelope)
    assert state.of_practice(w.env, REQ, w.member.principal, w.practice.id) == []


def test_the_thread_of_an_item_is_the_practice_and_its_depositor(world: World, team: Made) -> None:
    w = world
    iid = deposit_item(w)
    colleague = assigned_secretary(w.env, "claire", w.practice)
    rid, envelope = _reply(w, team, w.member, iid, f"rappelée, RDV pris lundi 9 h {CANARY}")
    threads.reply_to_item(w.env, REQ, w.member.principal, iid, rid, envelope)
    sid, answer = _reply(w, team, w.secretary, iid, "merci")
    threads.reply_to_item(w.env, REQ, w.secretary.principal, iid, sid, answer)
    for reader in (w.member, w.secretary):
        pid, thread = threads.item_thread(w.env, REQ, reader.principal, iid)
        assert pid == w.practice.id and [d.document_id for d in thread] == [rid, sid]
    # Another secretary of the same practice, a member of another practice, the other
    # practice's secretary: the 404 of an outsider, reading or writing.
    cid, theirs = _reply(w, team, colleague, iid, "moi aussi")
    for outsider in (colleague, w.outsider, w.stranger):
        with pytest.raises(NotFound):
            threads.item_thread(w.env, REQ, outsider.principal, iid)
        with pytest.raises(NotFound):
            threads.reply_to_item(w.env, REQ, outsider.principal, iid, cid, theirs)
    assert len(threads.item_thread(w.env, REQ, w.member.principal, iid)[1]) == 2


def test_threads_of_requests_reach_the_team_only(world: World, team: Made) -> None:
    w = world
    rid = _request(w, team)
    aid, answer = _reply(w, team, w.member, rid, "et aussi Mme Y")
    threads.reply_to_request(w.env, REQ, w.member.principal, w.practice.id, rid, aid, answer)
    assert len(threads.request_thread(w.env, REQ, w.secretary.principal, w.practice.id, rid)) == 1
    for outsider in (w.outsider, w.stranger):
        with pytest.raises(NotFound):
            threads.request_thread(w.env, REQ, outsider.principal, w.practice.id, rid)
        with pytest.raises(NotFound):
            writes.create_request(
                w.env, REQ, outsider.principal, w.practice.id, str(uuid.uuid4()), answer
            )


def test_the_generic_document_routes_keep_an_items_thread_from_other_secretaries(
    world: World, team: Made
) -> None:
    """Through vault/team too, another assigned secretary neither lists, reads nor writes
    replies about a deposit that is not hers; the depositor does."""
    from vault.team import documents

    w = world
    iid = deposit_item(w)
    colleague = assigned_secretary(w.env, "claire", w.practice)
    rid, envelope = _reply(w, team, w.member, iid, f"rappelée {CANARY}")
    threads.reply_to_item(w.env, REQ, w.member.principal, iid, rid, envelope)
    listed = documents.list_documents(w.env, REQ, colleague.principal, w.practice.id)
    assert rid not in [d.document_id for d in listed]
    with pytest.raises(NotFound):
        documents.read_document(w.env, REQ, colleague.principal, w.practice.id, rid)
    cid, theirs = _reply(w, team, colleague, iid, "moi aussi")
    with pytest.raises(NotFound):
        documents.write_document(w.env, REQ, colleague.principal, w.practice.id, cid, theirs)
    mine = documents.list_documents(w.env, REQ, w.secretary.principal, w.practice.id)
    assert rid in [d.document_id for d in mine]
    assert documents.read_document(w.env, REQ, w.secretary.principal, w.practice.id, rid)

"""Team documents: the server checks of a revision, and every read audited."""

from __future__ import annotations

import json
import uuid

import pytest

from audit.entry import decode
from crypto.instruction import DocType
from tests.factories import REQ, World, assigned_secretary, audit_actions, deposit_item, seal
from tests.teamkeys import create, document
from vault.errors import Conflict, Forbidden, InvalidInput, NotFound
from vault.items import deposits
from vault.requests import writes
from vault.team import documents
from vault.team.documents import write_document


def _reads(w: World) -> list[dict[str, str | int | bool | None]]:
    rows = w.env.db.read(
        lambda c: c.execute("SELECT leaf FROM audit_entries ORDER BY idx").fetchall()
    )
    out = []
    for (leaf,) in rows:
        entry = decode(bytes(leaf)).entry
        if entry.action == "instruction.read":
            out.append({"actor": entry.actor.account, **entry.targets, **entry.detail})
    return out


def test_revisions_follow_one_another_and_are_all_kept(world: World) -> None:
    w = world
    made = create(w.env, w.practice.id, w.member)
    doc_id, first = document(made.key, w.member, w.practice.id, version=1)
    assert write_document(w.env, REQ, w.member.principal, w.practice.id, doc_id, first).created
    with pytest.raises(Conflict, match="changed since"):  # revision 1 again
        write_document(w.env, REQ, w.member.principal, w.practice.id, doc_id, first)
    _, skipped = document(
        made.key, w.member, w.practice.id, version=1, revision=3, document_id=doc_id
    )
    with pytest.raises(Conflict, match="changed since"):
        write_document(w.env, REQ, w.member.principal, w.practice.id, doc_id, skipped)
    _, second = document(
        made.key,
        w.member,
        w.practice.id,
        version=1,
        revision=2,
        document_id=doc_id,
        body={"name": "Cabinet Martin & associés"},
    )
    written = write_document(w.env, REQ, w.member.principal, w.practice.id, doc_id, second)
    assert (written.revision, written.created) == (2, False)
    history = documents.read_document(
        w.env, REQ, w.secretary.principal, w.practice.id, doc_id, history=True
    )
    assert [d.revision for d in history] == [1, 2] and history[-1].envelope == second
    assert audit_actions(w.env).count("instruction.written") == 2


def test_envelopes_that_do_not_match_are_refused(world: World) -> None:
    """Another practice, document or author in the header, another type or subject than
    stored, a forged signature, a fresh document that does not start at revision 1."""
    w = world
    made = create(w.env, w.practice.id, w.member)
    doc_id, env = document(made.key, w.member, w.practice.id, version=1)
    other_doc = str(uuid.uuid4())
    with pytest.raises(InvalidInput):
        write_document(w.env, REQ, w.member.principal, w.practice.id, other_doc, env)
    _, foreign = document(made.key, w.member, w.other.id, version=1, document_id=doc_id)
    with pytest.raises(InvalidInput):
        write_document(w.env, REQ, w.member.principal, w.practice.id, doc_id, foreign)
    by_secretary = document(made.key, w.secretary, w.practice.id, version=1, doc_type=DocType.REPLY)
    with pytest.raises(InvalidInput):  # signed by her, sent by the member
        write_document(w.env, REQ, w.member.principal, w.practice.id, *by_secretary)
    tampered = env[:-1] + bytes([env[-1] ^ 1])
    with pytest.raises(InvalidInput):
        write_document(w.env, REQ, w.member.principal, w.practice.id, doc_id, tampered)
    with pytest.raises(InvalidInput, match="version is not supported"):
        write_document(w.env, REQ, w.member.principal, w.practice.id, doc_id, b"\x02" + env[1:])
    write_document(w.env, REQ, w.member.principal, w.practice.id, doc_id, env)
    _, retyped = document(
        made.key,
        w.member,
        w.practice.id,
        version=1,
        revision=2,
        document_id=doc_id,
        doc_type=DocType.CALL_RULES,
    )
    with pytest.raises(InvalidInput):
        write_document(w.env, REQ, w.member.principal, w.practice.id, doc_id, retyped)
    _, unborn = document(made.key, w.member, w.practice.id, version=1, revision=2)
    with pytest.raises(Conflict):
        write_document(w.env, REQ, w.member.principal, w.practice.id, unborn_id(unborn), unborn)


def unborn_id(envelope: bytes) -> str:
    return str(uuid.UUID(bytes=envelope[2:18]))


def test_roles_per_type(world: World) -> None:
    """A secretary writes replies (and revises only her own), never the practice's
    instructions or requests; no team key yet is a clear 409."""
    w = world
    doc_id, env = str(uuid.uuid4()), b""
    with pytest.raises(Conflict, match="no team key"):
        write_document(w.env, REQ, w.member.principal, w.practice.id, doc_id, env)
    made = create(w.env, w.practice.id, w.member)
    for doc_type in (DocType.PRACTICE_CARD, DocType.ON_CALL, DocType.REQUEST):
        with pytest.raises(Forbidden):
            write_document(
                w.env,
                REQ,
                w.secretary.principal,
                w.practice.id,
                *document(made.key, w.secretary, w.practice.id, version=1, doc_type=doc_type),
            )
    subject = uuid.UUID(deposit_item(w))
    reply = document(
        made.key, w.secretary, w.practice.id, version=1, doc_type=DocType.REPLY, subject_id=subject
    )
    assert write_document(w.env, REQ, w.secretary.principal, w.practice.id, *reply).created
    members_reply = document(
        made.key, w.member, w.practice.id, version=1, doc_type=DocType.REPLY, subject_id=subject
    )
    write_document(w.env, REQ, w.member.principal, w.practice.id, *members_reply)
    _, hers = document(
        made.key,
        w.secretary,
        w.practice.id,
        version=1,
        revision=2,
        doc_type=DocType.REPLY,
        subject_id=subject,
        document_id=members_reply[0],
    )
    with pytest.raises(Forbidden):
        write_document(w.env, REQ, w.secretary.principal, w.practice.id, members_reply[0], hers)
    found = documents.list_documents(
        w.env,
        REQ,
        w.member.principal,
        w.practice.id,
        doc_type=DocType.REPLY,
        subject_id=str(subject),
    )
    assert [d.author.id for d in found] == [w.secretary.id, w.member.id]
    assert found[0].author.role == "secretary"


def test_a_reply_is_only_about_an_item_or_request_of_the_practice_the_writer_reaches(
    world: World,
) -> None:
    """Before the fix a secretary (or a member) stored a reply about any id: unknown, an
    item or a request of another practice. Only another secretary's item was refused."""
    w = world
    made = create(w.env, w.practice.id, w.member)
    own = deposit_item(w)
    colleague = assigned_secretary(w.env, "lea", w.practice)
    hers, envelope = seal(colleague, w.practice)
    d = deposits.Deposit(item_id=hers, practice_id=w.practice.id, envelope=envelope)
    deposits.deposit(w.env, REQ, colleague.principal, d)
    foreign_item, envelope = seal(w.stranger, w.other)
    d = deposits.Deposit(item_id=foreign_item, practice_id=w.other.id, envelope=envelope)
    deposits.deposit(w.env, REQ, w.stranger.principal, d)
    other_key = create(w.env, w.other.id, w.outsider).key
    foreign_request, envelope = document(
        other_key, w.outsider, w.other.id, version=1, doc_type=DocType.REQUEST
    )
    writes.create_request(w.env, REQ, w.outsider.principal, w.other.id, foreign_request, envelope)
    request_id, envelope = document(
        made.key, w.member, w.practice.id, version=1, doc_type=DocType.REQUEST
    )
    writes.create_request(w.env, REQ, w.member.principal, w.practice.id, request_id, envelope)

    def reply(author: object, subject: str) -> tuple[str, bytes]:
        return document(
            made.key,
            author,  # type: ignore[arg-type]
            w.practice.id,
            version=1,
            doc_type=DocType.REPLY,
            subject_id=uuid.UUID(subject),
        )

    refused = [
        (w.secretary, [str(uuid.uuid4()), hers, foreign_item, foreign_request, w.practice.id]),
        (w.member, [str(uuid.uuid4()), foreign_item, foreign_request, w.member.id]),
    ]
    for author, subjects in refused:
        for subject in subjects:
            with pytest.raises(NotFound):
                write_document(w.env, REQ, author.principal, w.practice.id, *reply(author, subject))
    allowed = [(w.secretary, [own, request_id]), (w.member, [own, hers, request_id])]
    for author, subjects in allowed:
        for subject in subjects:
            written = write_document(
                w.env, REQ, author.principal, w.practice.id, *reply(author, subject)
            )
            assert written.created
    stored = w.env.db.read(
        lambda c: c.execute("SELECT subject_id FROM team_document WHERE type = 17").fetchall()
    )
    assert sorted(r[0] for r in stored) == sorted([own, request_id, own, hers, request_id])


def test_every_read_is_one_audit_entry_with_the_ids_and_no_content(world: World) -> None:
    w = world
    made = create(w.env, w.practice.id, w.member)
    canary = "CANARY-9b1f"
    ids = []
    for doc_type in (DocType.PRACTICE_CARD, DocType.CALL_RULES, DocType.ON_CALL):
        doc = document(
            made.key, w.member, w.practice.id, version=1, doc_type=doc_type, body={"x": canary}
        )
        write_document(w.env, REQ, w.member.principal, w.practice.id, *doc)
        ids.append(doc[0])
    listed = documents.list_documents(w.env, REQ, w.secretary.principal, w.practice.id)
    assert [d.document_id for d in listed] == ids
    only = documents.list_documents(
        w.env, REQ, w.secretary.principal, w.practice.id, doc_type=DocType.ON_CALL
    )
    assert [d.document_id for d in only] == ids[2:]
    documents.read_document(w.env, REQ, w.member.principal, w.practice.id, ids[0])
    assert (
        documents.list_documents(
            w.env, REQ, w.member.principal, w.practice.id, doc_type=DocType.REPLY
        )
        == []
    )
    reads = _reads(w)
    assert [(r["actor"], r["documents"], r["count"]) for r in reads] == [
        (w.secretary.id, ",".join(sorted(ids)), 3),
        (w.secretary.id, ids[2], 1),
        (w.member.id, ids[0], 1),
    ]
    assert all(r["practice"] == w.practice.id for r in reads)
    assert canary not in json.dumps(reads)


def test_outsiders_get_an_audited_404(world: World) -> None:
    w = world
    made = create(w.env, w.practice.id, w.member)
    doc = document(made.key, w.member, w.practice.id, version=1)
    write_document(w.env, REQ, w.member.principal, w.practice.id, *doc)
    for outsider in (w.outsider, w.stranger):
        with pytest.raises(NotFound):
            documents.list_documents(w.env, REQ, outsider.principal, w.practice.id)
        with pytest.raises(NotFound):
            documents.read_document(w.env, REQ, outsider.principal, w.practice.id, doc[0])
        with pytest.raises(NotFound):
            write_document(w.env, REQ, outsider.principal, w.practice.id, *doc)
    # The document id under the outsider's own practice: still a 404, nothing said of it.
    other = create(w.env, w.other.id, w.outsider)
    _, moved = document(other.key, w.outsider, w.other.id, version=1, document_id=doc[0])
    with pytest.raises(NotFound):
        write_document(w.env, REQ, w.outsider.principal, w.other.id, doc[0], moved)
    with pytest.raises(NotFound):
        documents.read_document(w.env, REQ, w.outsider.principal, w.other.id, doc[0])
    with pytest.raises(NotFound):
        documents.read_document(w.env, REQ, w.member.principal, w.practice.id, "not-an-id")
    assert _reads(w) == []
    assert "access.denied" in audit_actions(w.env)

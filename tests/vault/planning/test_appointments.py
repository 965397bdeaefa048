"""Appointments: booked by the secretary who deposited the item, decided by a member, audited."""

from __future__ import annotations

import uuid
from collections.abc import Mapping

import pytest

from crypto.envelope import ItemKind
from crypto.instruction import DocType, open_instruction
from crypto.signing import VerifyKey
from tests.factories import REQ, World, assigned_secretary, audit_actions, deposit_form
from tests.teamkeys import Made, create, document
from vault.errors import Conflict, Forbidden, InvalidInput, NotFound
from vault.planning import appointments
from vault.requests import threads

CANARY = "CANARY-ap14"


@pytest.fixture
def team(world: World) -> Made:
    return create(world.env, world.practice.id, world.member)


TEMPLATE = str(uuid.uuid4())


def _deposit(w: World, kind: ItemKind = ItemKind.FORM) -> str:
    return deposit_form(w, TEMPLATE, "RDV", kind=kind)


def _reply(w: World, team: Made, item_id: str, body: Mapping[str, object]) -> tuple[str, bytes]:
    return document(
        team.key,
        w.member,
        w.practice.id,
        version=1,
        doc_type=DocType.REPLY,
        body=body,
        subject_id=uuid.UUID(item_id),
    )


def test_booked_then_confirmed_with_who_and_when(world: World, team: Made) -> None:
    w = world
    iid = _deposit(w)
    booked = appointments.book(w.env, REQ, w.secretary.principal, w.practice.id, iid)
    assert (booked.status, booked.booked_by.id, booked.booked_at) == (
        "requested",
        w.secretary.id,
        w.clock.at,
    )
    assert booked.decided_by is None and booked.reply_id is None
    w.clock.advance(300)
    confirmed = appointments.decide(
        w.env, REQ, w.member.principal, w.practice.id, iid, "confirmed", None
    )
    assert confirmed.status == "confirmed" and confirmed.decided_at == w.clock.at
    assert confirmed.decided_by is not None and confirmed.decided_by.id == w.member.id
    [seen] = appointments.of_practice(w.env, REQ, w.secretary.principal, w.practice.id)
    assert seen == confirmed
    assert audit_actions(w.env)[-2:] == ["appointment.requested", "appointment.confirmed"]


def test_a_move_carries_the_new_time_encrypted_for_the_secretary(world: World, team: Made) -> None:
    w = world
    iid = _deposit(w)
    appointments.book(w.env, REQ, w.secretary.principal, w.practice.id, iid)
    body = {"text": f"Jeudi 10 h {CANARY}", "start": "2026-12-03T10:00", "minutes": "30"}
    rid, envelope = _reply(w, team, iid, body)
    moved = appointments.decide(
        w.env, REQ, w.member.principal, w.practice.id, iid, "moved", (rid, envelope)
    )
    assert (moved.status, moved.reply_id) == ("moved", rid)
    # The secretary reads the reply on her own deposit's thread, and nothing in clear is kept.
    _, replies = threads.item_thread(w.env, REQ, w.secretary.principal, iid)
    [reply] = replies
    _, opened = open_instruction(
        reply.envelope,
        team.key,
        VerifyKey(reply.author.ed25519_pk),
        client_id=uuid.UUID(w.practice.id),
        document_id=uuid.UUID(rid),
        author_id=uuid.UUID(w.member.id),
        version=1,
        type=DocType.REPLY,
        subject_id=uuid.UUID(iid),
    )
    assert opened["start"] == "2026-12-03T10:00"
    assert CANARY.encode() not in reply.envelope
    assert audit_actions(w.env)[-3:] == [
        "instruction.written",
        "appointment.moved",
        "instruction.read",
    ]


def test_a_move_or_a_refusal_needs_its_reply_and_nothing_changes(world: World, team: Made) -> None:
    w = world
    iid = _deposit(w)
    appointments.book(w.env, REQ, w.secretary.principal, w.practice.id, iid)
    before = audit_actions(w.env)
    for status in ("moved", "declined"):
        with pytest.raises(InvalidInput):
            appointments.decide(w.env, REQ, w.member.principal, w.practice.id, iid, status, None)
    with pytest.raises(InvalidInput):
        appointments.decide(w.env, REQ, w.member.principal, w.practice.id, iid, "requested", None)
    # A reply about another item fails the whole decision: state unchanged.
    other = _deposit(w)
    rid, envelope = _reply(w, team, other, {"text": "non"})
    with pytest.raises(InvalidInput):
        appointments.decide(
            w.env, REQ, w.member.principal, w.practice.id, iid, "declined", (rid, envelope)
        )
    [state] = [
        a
        for a in appointments.of_practice(w.env, REQ, w.member.principal, w.practice.id)
        if a.item_id == iid
    ]
    assert state.status == "requested"
    assert audit_actions(w.env)[len(before) :] == ["item.deposited"]


def test_who_may_book_and_decide(world: World, team: Made) -> None:
    w = world
    iid = _deposit(w)
    colleague = assigned_secretary(w.env, "claire", w.practice)
    with pytest.raises(NotFound):  # not her deposit
        appointments.book(w.env, REQ, colleague.principal, w.practice.id, iid)
    with pytest.raises(Forbidden):
        appointments.book(w.env, REQ, w.member.principal, w.practice.id, iid)
    with pytest.raises(NotFound):
        appointments.book(w.env, REQ, w.secretary.principal, w.practice.id, str(uuid.uuid4()))
    note = _deposit(w, ItemKind.CALL_NOTE)
    with pytest.raises(InvalidInput):  # a call note is not an appointment
        appointments.book(w.env, REQ, w.secretary.principal, w.practice.id, note)
    appointments.book(w.env, REQ, w.secretary.principal, w.practice.id, iid)
    with pytest.raises(Conflict):
        appointments.book(w.env, REQ, w.secretary.principal, w.practice.id, iid)
    with pytest.raises(Forbidden):
        appointments.decide(
            w.env, REQ, w.secretary.principal, w.practice.id, iid, "confirmed", None
        )
    with pytest.raises(NotFound):
        appointments.decide(
            w.env, REQ, w.member.principal, w.practice.id, str(uuid.uuid4()), "confirmed", None
        )
    assert appointments.of_practice(w.env, REQ, colleague.principal, w.practice.id) == []
    assert len(appointments.of_practice(w.env, REQ, w.member.principal, w.practice.id)) == 1
    assert "access.denied" in audit_actions(w.env)

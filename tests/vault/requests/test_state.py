"""The request state machine (open → taken → done), who may move it, and its audit trail."""

from __future__ import annotations

import uuid

import pytest

from tests.factories import REQ, World, add_account, assign, audit_actions
from vault.errors import Forbidden, NotFound, RequestTaken
from vault.identity.roles import Role
from vault.requests import state


def _open(w: World) -> str:
    rid = str(uuid.uuid4())
    w.env.db.write(
        lambda c: state.open_request(w.env, c, REQ, w.member.principal, w.practice.id, rid)
    )
    return rid


def _done(w: World, who: object, rid: str) -> state.RequestState:
    reply = str(uuid.uuid4())
    return w.env.db.write(
        lambda c: state.mark_done(w.env, c, REQ, who.principal, w.practice.id, rid, reply)  # type: ignore[attr-defined]
    )


def test_a_request_is_opened_taken_and_done_with_who_and_when(world: World) -> None:
    w = world
    rid = _open(w)
    [opened] = state.of_practice(w.env, REQ, w.member.principal, w.practice.id)
    assert (opened.id, opened.status, opened.created_by.id) == (rid, "open", w.member.id)
    assert opened.taken_by is None and opened.done_by is None
    w.clock.advance(60)
    taken = state.take(w.env, REQ, w.secretary.principal, w.practice.id, rid)
    assert taken.status == "taken" and taken.taken_by is not None
    assert taken.taken_by.id == w.secretary.id and taken.taken_at == w.clock.at
    w.clock.advance(120)
    done = _done(w, w.secretary, rid)
    assert done.status == "done" and done.done_by is not None and done.done_at == w.clock.at
    assert done.taken_at == taken.taken_at and done.reply_id is not None
    seen = state.one(w.env, REQ, w.member.principal, w.practice.id, rid)
    assert seen == done
    actions = audit_actions(w.env)
    assert actions[-3:] == ["request.opened", "request.taken", "request.done"]


def test_taking_again_changes_nothing(world: World) -> None:
    rid = _open(world)
    first = state.take(world.env, REQ, world.secretary.principal, world.practice.id, rid)
    before = len(audit_actions(world.env))
    world.clock.advance(30)
    assert state.take(world.env, REQ, world.secretary.principal, world.practice.id, rid) == first
    assert len(audit_actions(world.env)) == before


def test_a_second_secretary_is_told_who_took_it(world: World) -> None:
    w = world
    colleague = add_account(w.env, Role.SECRETARY, "claire")
    assign(w.env, colleague, w.practice)
    rid = _open(w)
    state.take(w.env, REQ, w.secretary.principal, w.practice.id, rid)
    with pytest.raises(RequestTaken) as taken:
        state.take(w.env, REQ, colleague.principal, w.practice.id, rid)
    assert taken.value.by == w.secretary.principal.username.title() and not taken.value.done
    with pytest.raises(RequestTaken):
        _done(w, colleague, rid)
    _done(w, w.secretary, rid)
    with pytest.raises(RequestTaken) as finished:
        state.take(w.env, REQ, colleague.principal, w.practice.id, rid)
    assert finished.value.done
    with pytest.raises(RequestTaken):
        _done(w, w.secretary, rid)  # done once only
    assert state.one(w.env, REQ, w.member.principal, w.practice.id, rid).status == "done"


def test_an_open_request_can_be_marked_done_at_once(world: World) -> None:
    rid = _open(world)
    done = _done(world, world.secretary, rid)
    assert done.taken_by == done.done_by and done.taken_at == done.done_at


def test_roles_the_state_machine_refuses(world: World) -> None:
    """A member takes nothing, a secretary opens nothing (403: they reach the practice)."""
    w = world
    rid = _open(w)
    with pytest.raises(Forbidden):
        state.take(w.env, REQ, w.member.principal, w.practice.id, rid)
    with pytest.raises(Forbidden):
        w.env.db.write(
            lambda c: state.open_request(
                w.env, c, REQ, w.secretary.principal, w.practice.id, str(uuid.uuid4())
            )
        )


def test_outsiders_get_404_and_an_audited_denial(world: World) -> None:
    w = world
    rid = _open(w)
    for outsider in (w.outsider, w.stranger):
        before = audit_actions(w.env).count("access.denied")
        with pytest.raises(NotFound):
            state.take(w.env, REQ, outsider.principal, w.practice.id, rid)
        with pytest.raises(NotFound):
            state.of_practice(w.env, REQ, outsider.principal, w.practice.id)
        with pytest.raises(NotFound):
            state.one(w.env, REQ, outsider.principal, w.practice.id, rid)
        assert audit_actions(w.env).count("access.denied") > before
    # the stranger's own practice does not hold the request either
    with pytest.raises(NotFound):
        state.take(w.env, REQ, w.stranger.principal, w.other.id, rid)
    assert state.one(w.env, REQ, w.member.principal, w.practice.id, rid).status == "open"


def test_a_member_not_granted_the_key_reaches_no_request(world: World) -> None:
    w = world
    waiting = add_account(w.env, Role.MEMBER, "newcomer", w.practice, granted=False)
    _open(w)
    with pytest.raises(NotFound):
        state.of_practice(w.env, REQ, waiting.principal, w.practice.id)


def test_an_unknown_or_malformed_request_id_is_404(world: World) -> None:
    w = world
    for rid in (str(uuid.uuid4()), "not-an-id", str(uuid.uuid4()).upper()):
        with pytest.raises(NotFound):
            state.take(w.env, REQ, w.secretary.principal, w.practice.id, rid)


def test_an_ended_assignment_ends_access(world: World) -> None:
    w = world
    rid = _open(w)
    w.env.db.write(
        lambda c: c.execute("DELETE FROM assignment WHERE secretary_id = ?", (w.secretary.id,))
    )
    with pytest.raises(NotFound):
        state.take(w.env, REQ, w.secretary.principal, w.practice.id, rid)

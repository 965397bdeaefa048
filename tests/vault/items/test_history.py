"""Acknowledging, handling and undoing (vault/items/history.py, inbox.set_status/undo_status):
who and when recorded, the undo window on an injected clock, a truthful history and audit."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest

from audit.log import AuditLog
from crypto.envelope import Urgency
from tests.factories import REQ, World, add_account, deposit_as_secretary, seal
from vault.errors import Conflict, NotFound
from vault.identity.roles import Role
from vault.items import inbox
from vault.items.history import UNDO_WINDOW


def _deposit(world: World, urgency: Urgency = Urgency.NORMAL) -> str:
    iid, envelope = seal(world.secretary, world.practice, urgency=urgency)
    deposit_as_secretary(world, envelope, iid)
    return iid


def _entries(world: World) -> list[dict[str, object]]:
    log = AuditLog()
    return world.env.db.read(lambda c: [json.loads(leaf) for leaf in log.leaves(c)])


def _row(world: World, iid: str) -> inbox.ItemSummary:
    page = inbox.inbox(world.env, world.member.principal, inbox.InboxFilter(), None)
    return next(i for i in page.items if i.id == iid)


def test_acknowledge_then_handle_records_who_and_when(world: World) -> None:
    iid = _deposit(world)
    p = world.member.principal
    inbox.set_status(world.env, REQ, p, iid, "acknowledged")
    acknowledged_at = world.clock.at
    row = _row(world, iid)
    assert (row.status, row.changed_by, row.changed_at) == (
        "acknowledged",
        "Dr.Martin@Example.Org",
        acknowledged_at,
    )
    world.clock.advance(600)
    inbox.set_status(world.env, REQ, p, iid, "handled")
    d = inbox.detail(world.env, REQ, p, iid)
    assert d.item.status == "handled"
    assert [(h.status, h.by_id, h.undo) for h in d.history] == [
        ("new", world.secretary.id, False),
        ("acknowledged", p.account_id, False),
        ("handled", p.account_id, False),
    ]
    assert d.history[-1].at == acknowledged_at + timedelta(seconds=600)
    # Backwards is refused: "acknowledged" after "handled" is not a move forward.
    with pytest.raises(Conflict):
        inbox.set_status(world.env, REQ, p, iid, "acknowledged")


def test_undo_within_the_window_goes_back_and_is_a_change_of_its_own(world: World) -> None:
    """Undo takes the item back to the status before, as a new history row marked undo
    and an ``item.status_undone`` entry; nothing is deleted."""
    iid = _deposit(world, Urgency.URGENT)
    p = world.member.principal
    inbox.read_envelope(world.env, REQ, p, iid)
    inbox.set_status(world.env, REQ, p, iid, "handled")
    assert _row(world, iid).undo_until == world.clock.at + UNDO_WINDOW
    world.clock.advance(UNDO_WINDOW.total_seconds() - 1)
    assert inbox.undo_status(world.env, REQ, p, iid) == "read"
    d = inbox.detail(world.env, REQ, p, iid)
    assert d.item.status == "read"
    assert [(h.status, h.undo) for h in d.history] == [
        ("new", False),
        ("read", False),
        ("handled", False),
        ("read", True),
    ]
    # The urgent item is pinned again at the top: it is not handled any more.
    assert inbox.inbox(world.env, p, inbox.InboxFilter(), None).items[0].id == iid
    last = _entries(world)[-1]
    assert last["action"] == "item.status_undone"
    assert last["detail"] == {"status": "read", "undone": "handled"}
    assert last["targets"] == {"practice": world.practice.id, "item": iid}
    # An undo cannot itself be undone; the status can be set again.
    assert _row(world, iid).undo_until is None
    with pytest.raises(Conflict):
        inbox.undo_status(world.env, REQ, p, iid)
    inbox.set_status(world.env, REQ, p, iid, "acknowledged")
    assert inbox.undo_status(world.env, REQ, p, iid) == "read"


def test_undo_after_the_window_is_refused_and_changes_nothing(world: World) -> None:
    iid = _deposit(world)
    p = world.member.principal
    inbox.set_status(world.env, REQ, p, iid, "acknowledged")
    world.clock.advance(UNDO_WINDOW.total_seconds() + 1)
    assert _row(world, iid).undo_until is None
    before = len(_entries(world))
    with pytest.raises(Conflict):
        inbox.undo_status(world.env, REQ, p, iid)
    assert _row(world, iid).status == "acknowledged"
    assert len(_entries(world)) == before
    assert len(inbox.detail(world.env, REQ, p, iid).history) == 2


def test_only_the_author_of_the_latest_change_may_undo_it(world: World) -> None:
    """A colleague cannot undo my acknowledgement; once they mark it handled, my undo of
    the acknowledgement would rewrite their decision, so it is refused too."""
    iid = _deposit(world)
    me = world.member.principal
    colleague = add_account(world.env, Role.MEMBER, "dr.petit@example.org", world.practice)
    inbox.set_status(world.env, REQ, me, iid, "acknowledged")
    assert inbox.detail(world.env, REQ, colleague.principal, iid).item.undo_until is None
    with pytest.raises(Conflict):
        inbox.undo_status(world.env, REQ, colleague.principal, iid)
    inbox.set_status(world.env, REQ, colleague.principal, iid, "handled")
    with pytest.raises(Conflict):
        inbox.undo_status(world.env, REQ, me, iid)
    assert inbox.undo_status(world.env, REQ, colleague.principal, iid) == "acknowledged"
    row = _row(world, iid)
    assert (row.status, row.changed_by) == ("acknowledged", "Dr.Petit@Example.Org")


def test_reading_is_not_undone_and_outsiders_get_a_404(world: World) -> None:
    iid = _deposit(world)
    inbox.read_envelope(world.env, REQ, world.member.principal, iid)
    with pytest.raises(Conflict):
        inbox.undo_status(world.env, REQ, world.member.principal, iid)
    with pytest.raises(NotFound):
        inbox.undo_status(world.env, REQ, world.outsider.principal, iid)
    assert _entries(world)[-1]["action"] == "access.denied"

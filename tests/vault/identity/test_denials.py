"""Denials of signed-in accounts: only well-formed ids are stored, and a flood of them is
counted instead of appended one entry each (a member hitting /audit from 8 threads wrote
~750 entries a second; ``GET /items/%00`` stored ``{"item": "\\u0000"}`` for ever)."""

from __future__ import annotations

import uuid

import pytest

from audit.entry import AuditEntry, decode
from tests.factories import (
    REQ,
    World,
    deposit_as_secretary,
    seal,
)
from vault.env import Env
from vault.errors import NotFound
from vault.identity import refusals
from vault.items import inbox
from vault.items.access import deny


def _entries(env: Env, start: int = 0) -> list[AuditEntry]:
    return env.db.read(lambda c: [decode(leaf).entry for leaf in env.log.leaves(c, start)])


def _size(env: Env) -> int:
    return env.db.read(env.log.size)


@pytest.mark.parametrize("sent", ["\x00", "a" * 64, "../../etc", str(uuid.uuid4()).upper()])
def test_only_well_formed_ids_are_stored_as_targets(world: World, sent: str) -> None:
    start = _size(world.env)
    with pytest.raises(NotFound):
        inbox.read_envelope(world.env, REQ, world.outsider.principal, sent)
    (entry,) = _entries(world.env, start)
    assert entry.action == "access.denied"
    assert dict(entry.targets) == {"item": "invalid"}


def test_a_flood_of_denials_is_one_entry_and_a_count(world: World) -> None:
    env, who = world.env, world.outsider.principal
    start = _size(env)
    for _ in range(50):
        raise_ = deny(env, REQ, who, item=str(uuid.uuid4()))  # ids that are no item
        assert isinstance(raise_, NotFound)
    assert _size(env) == start + 1
    first = _entries(env, start)[0]
    assert first.targets["item"] != "invalid"  # the first one, as it was
    world.clock.advance(seconds=refusals.WINDOW.total_seconds())
    refusals.flush_closed(env)
    counted = _entries(env, start + 1)
    assert [(e.action, e.outcome, e.detail["reason"], e.detail["count"]) for e in counted] == [
        ("access.denied", "denied", "repeated", 49)
    ]
    assert counted[0].actor.account == who.account_id


def test_each_existing_item_tried_is_named_once_per_window(world: World) -> None:
    """The auditor sees which items another practice's member tried, however often."""
    env, who = world.env, world.outsider.principal
    ids = []
    for _ in range(2):
        iid, envelope = seal(world.secretary, world.practice)
        deposit_as_secretary(world, envelope, iid)
        ids.append(iid)
    start = _size(env)
    for _ in range(10):
        for iid in ids:
            with pytest.raises(NotFound):
                inbox.read_envelope(env, REQ, who, iid)
    named = [e.targets["item"] for e in _entries(env, start)]
    assert named == ids  # each once, the repeats counted
    world.clock.advance(seconds=refusals.WINDOW.total_seconds())
    with pytest.raises(NotFound):
        inbox.read_envelope(env, REQ, who, ids[0])  # a new window: named again
    entries = _entries(env, start + 2)
    assert [e.detail.get("count") for e in entries] == [9, None]
    assert entries[-1].targets["item"] == ids[0]

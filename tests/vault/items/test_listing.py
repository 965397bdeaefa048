"""Envelopes in batches (vault/items/listing.py): listing is not reading (issue 12).

One ``items.listed`` entry names every id of an inbox page and no status changes; an id
of another practice makes the whole batch the same audited 404 as for one item; search
batches cover the whole history, one ``items.searched`` entry each, without any query.
"""

from __future__ import annotations

import json
from datetime import timedelta

import pytest

from audit.log import AuditLog
from crypto.envelope import Urgency
from tests.factories import (
    REQ,
    Seeded,
    World,
    add_account,
    audit_actions,
    deposit_as_secretary,
    seal,
)
from tests.factories import seed_items as seed
from vault.errors import AwaitingPracticeKey, InvalidInput, NotFound
from vault.identity.roles import Role
from vault.items import access_log, deposits, inbox, listing


def _deposit(world: World, n: int) -> list[str]:
    ids = []
    for _ in range(n):
        iid, envelope = seal(world.secretary, world.practice)
        deposit_as_secretary(world, envelope, iid)
        world.clock.advance(1)
        ids.append(iid)
    return ids


def _statuses(world: World, ids: list[str]) -> list[str]:
    marks = ",".join("?" * len(ids))
    return world.env.db.read(
        lambda c: [
            r[0]
            for r in c.execute(f"SELECT status FROM item WHERE id IN ({marks})", ids)  # noqa: S608
        ]
    )


def _last_entry(world: World) -> dict[str, object]:
    leaves = world.env.db.read(lambda c: list(AuditLog().leaves(c)))
    return dict(json.loads(leaves[-1]))


def test_a_page_of_envelopes_is_one_listed_entry_naming_every_id_and_changes_no_status(
    world: World,
) -> None:
    ids = _deposit(world, 50)
    before = len(audit_actions(world.env))
    batch = listing.listed(world.env, REQ, world.member.principal, ids)
    assert [e.id for e in batch.items] == ids
    assert {e.envelope for e in batch.items} == set(
        world.env.db.read(lambda c: [bytes(r[0]) for r in c.execute("SELECT envelope FROM item")])
    )
    assert set(batch.authors) == {world.secretary.id}
    assert audit_actions(world.env)[before:] == ["items.listed"]
    entry = _last_entry(world)
    targets = dict(entry["targets"])  # type: ignore[call-overload]
    assert targets.pop("practice") == world.practice.id
    named = [i for _, v in sorted(targets.items()) for i in v.split()]
    assert named == ids
    assert entry["detail"] == {"count": 50}
    assert set(_statuses(world, ids)) == {"new"}  # listing is not reading
    rows, _ = access_log.accesses(world.env, world.member.principal)
    assert [(r.kind, r.count, r.item_ids) for r in rows[:1]] == [("listed", 50, tuple(ids))]


def test_opening_an_item_still_reads_it(world: World) -> None:
    (iid,) = _deposit(world, 1)
    inbox.read_envelope(world.env, REQ, world.member.principal, iid)
    assert _statuses(world, [iid]) == ["read"]
    rows, _ = access_log.accesses(world.env, world.member.principal, kind="opened")
    assert [r.item_id for r in rows] == [iid]
    assert access_log.accesses(world.env, world.member.principal, kind="listed")[0] == []


def test_an_id_of_another_practice_is_the_same_audited_404_and_serves_nothing(
    world: World,
) -> None:
    (mine,) = _deposit(world, 1)
    theirs, envelope = seal(world.stranger, world.other)
    deposits.deposit(
        world.env,
        REQ,
        world.stranger.principal,
        deposits.Deposit(item_id=theirs, practice_id=world.other.id, envelope=envelope),
    )
    missing = "00000000-0000-4000-8000-000000000000"
    for bad in (theirs, missing):
        before = len(audit_actions(world.env))
        with pytest.raises(NotFound) as batch_error:
            listing.listed(world.env, REQ, world.member.principal, [mine, bad])
        assert audit_actions(world.env)[before:] == ["access.denied"]
        assert _last_entry(world)["targets"] == {"item": bad}
        with pytest.raises(NotFound) as single_error:
            inbox.read_envelope(world.env, REQ, world.member.principal, bad)
        assert str(batch_error.value) == str(single_error.value)
    assert "items.listed" not in audit_actions(world.env)
    assert _statuses(world, [theirs]) == ["new"]


@pytest.mark.parametrize(
    "ids",
    [
        [],
        "not a list",
        [1],
        ["a", "a"],
        [f"{i:08d}-0000-4000-8000-000000000000" for i in range(51)],
    ],
    ids=["empty", "text", "number", "twice", "51"],
)
def test_a_malformed_batch_is_refused_with_a_sentence(world: World, ids: object) -> None:
    with pytest.raises(InvalidInput, match="between 1 and 50"):
        listing.listed(world.env, REQ, world.member.principal, ids)


def test_a_secretary_or_a_member_waiting_for_the_key_gets_nothing(world: World) -> None:
    ids = _deposit(world, 1)
    with pytest.raises(InvalidInput):
        listing.listed(world.env, REQ, world.secretary.principal, ids)
    waiting = add_account(world.env, Role.MEMBER, "new.colleague", world.practice, granted=False)
    with pytest.raises(AwaitingPracticeKey):
        listing.listed(world.env, REQ, waiting.principal, ids)
    with pytest.raises(AwaitingPracticeKey):
        listing.searched(world.env, REQ, waiting.principal, None)


def test_search_batches_cover_the_whole_history_one_entry_each_without_the_query(
    world: World,
) -> None:
    start = world.clock.at - timedelta(days=400)
    items = [
        Seeded({"subject": f"n°{n}", "text": ""}, start + timedelta(hours=n)) for n in range(1201)
    ]
    secretary = world.secretary
    ids = seed(
        world.env,
        world.practice.id,
        world.practice.keys.public_key,
        secretary.id,
        secretary.keys.signing_key,
        items,
    )
    before = len(audit_actions(world.env))
    seen: list[str] = []
    after = None
    totals = []
    while True:
        batch = listing.searched(world.env, REQ, world.member.principal, after)
        totals.append(batch.total)
        seen.extend(e.id for e in batch.items)
        after = batch.next_cursor
        if after is None:
            break
    assert seen == list(reversed(ids))  # newest first, each once
    assert totals == [1201, None, None]
    assert audit_actions(world.env)[before:] == ["items.searched"] * 3
    entry = _last_entry(world)
    assert entry["detail"] == {"count": 201}
    assert entry["targets"] == {"practice": world.practice.id, "first": seen[1000], "last": ids[0]}
    assert set(_statuses(world, ids[:5])) == {"new"}
    rows, _ = access_log.accesses(world.env, world.member.principal, kind="searched")
    assert [r.count for r in rows] == [201, 500, 500]


def test_a_search_of_another_practice_sees_none_of_this_one(world: World) -> None:
    _deposit(world, 3)
    batch = listing.searched(world.env, REQ, world.outsider.principal, None)
    assert batch.items == [] and batch.total == 0


@pytest.mark.parametrize("cursor", ["x", "2026-11-28T09:00:00.000Z.not-an-id", "." * 100])
def test_a_bad_search_cursor_is_a_400(world: World, cursor: str) -> None:
    with pytest.raises(InvalidInput):
        listing.searched(world.env, REQ, world.member.principal, cursor)


def test_the_urgent_count_is_urgent_items_not_handled(world: World) -> None:
    urgent = []
    for _ in range(3):
        iid, envelope = seal(world.secretary, world.practice, urgency=Urgency.URGENT)
        deposit_as_secretary(world, envelope, iid)
        urgent.append(iid)
    _deposit(world, 2)
    assert listing.urgent_unhandled(world.env, world.member.principal) == 3
    inbox.set_status(world.env, REQ, world.member.principal, urgent[0], "handled")
    assert listing.urgent_unhandled(world.env, world.member.principal) == 2
    assert listing.urgent_unhandled(world.env, world.outsider.principal) == 0
    assert listing.urgent_unhandled(world.env, world.secretary.principal) == 0

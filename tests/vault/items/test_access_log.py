"""The practice's "what was accessed" (vault/items/access_log.py): each kind told apart."""

from __future__ import annotations

import pytest

from tests.factories import REQ, World, deposit_as_secretary, seal
from vault.errors import InvalidInput
from vault.items import access_log, inbox, listing


def test_every_kind_of_access_is_named_and_can_be_shown_alone(world: World) -> None:
    iid, envelope = seal(world.secretary, world.practice)
    deposit_as_secretary(world, envelope, iid)
    member = world.member.principal
    listing.listed(world.env, REQ, member, [iid])
    inbox.read_envelope(world.env, REQ, member, iid, search=True)  # the former search reading
    inbox.read_envelope(world.env, REQ, member, iid)
    listing.searched(world.env, REQ, member, None)
    inbox.set_status(world.env, REQ, member, iid, "handled")
    rows, more = access_log.accesses(world.env, member)
    kinds = [r.kind for r in rows]
    assert kinds == ["status", "searched", "status", "opened", "searched", "listed", "deposited"]
    assert more is None
    for kind in access_log.KINDS:
        shown, _ = access_log.accesses(world.env, member, kind=kind)
        assert {r.kind for r in shown} == ({kind} if kind != "downloaded" else set())
    assert access_log.accesses(world.env, world.outsider.principal)[0] == []


def test_pages_of_accesses_and_bad_requests(world: World) -> None:
    iid, envelope = seal(world.secretary, world.practice)
    deposit_as_secretary(world, envelope, iid)
    for _ in range(5):
        listing.listed(world.env, REQ, world.member.principal, [iid])
    first, more = access_log.accesses(world.env, world.member.principal, limit=3)
    assert len(first) == 3 and more == first[-1].audit_index
    rest, end = access_log.accesses(world.env, world.member.principal, before=more, limit=3)
    assert len(rest) == 3 and end is None  # 2 listings and the deposit
    with pytest.raises(InvalidInput):
        access_log.accesses(world.env, world.member.principal, kind="everything")
    with pytest.raises(InvalidInput):
        access_log.accesses(world.env, world.secretary.principal)

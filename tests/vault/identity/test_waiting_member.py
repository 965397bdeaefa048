"""A member nobody has granted the practice key yet reaches nothing of the practice.

An admin can invite an account into a practice that already has members; until a
member seals the practice key to it (the grant is the practice's approval), that
account sees no item, no metadata, no status and no access log, and cannot mark
anything handled. The grant opens everything at once.
"""

from __future__ import annotations

import pytest

from crypto.envelope import ItemKind
from tests.factories import (
    REQ,
    World,
    add_account,
    audit_actions,
    deposit_as_secretary,
    encrypted_file,
    seal,
    upload_stream,
)
from vault.clock import iso
from vault.errors import AwaitingPracticeKey, NotFound
from vault.identity.roles import Role
from vault.items import inbox


def _status(world: World, item_id: str) -> str:
    return str(
        world.env.db.read(
            lambda c: c.execute("SELECT status FROM item WHERE id = ?", (item_id,)).fetchone()[0]
        )
    )


def test_a_planted_member_sees_no_item_metadata_status_or_access_log(world: World) -> None:
    """Given an urgent note and an extract in the practice, and a member added by an admin
    who holds no grant: the inbox and the access log are refused, every item id is a 404
    (audited), and marking an item handled leaves it as it was."""
    iid, envelope = seal(world.secretary, world.practice)
    deposit_as_secretary(world, envelope, iid)
    stream, manifest = encrypted_file(b"a;b\n" * 10)
    xid, xenvelope = seal(
        world.secretary, world.practice, kind=ItemKind.EXTRACT, body=manifest.to_body()
    )
    deposit_as_secretary(world, xenvelope, xid, upload_id=upload_stream(world, xid, stream))
    planted = add_account(world.env, Role.MEMBER, "planted", world.practice, granted=False)
    p = planted.principal

    with pytest.raises(AwaitingPracticeKey):
        inbox.inbox(world.env, p, inbox.InboxFilter(), None)
    with pytest.raises(AwaitingPracticeKey):
        inbox.access_log(world.env, p)
    for call in (
        lambda: inbox.detail(world.env, REQ, p, iid),
        lambda: inbox.read_envelope(world.env, REQ, p, iid),
        lambda: inbox.set_status(world.env, REQ, p, iid, "handled"),
        lambda: inbox.open_download(world.env, REQ, p, xid),
    ):
        with pytest.raises(NotFound):
            call()
    # One entry per item tried (iid, xid); the repeats are counted (denials.record).
    assert audit_actions(world.env)[-3:] == ["item.deposited", "access.denied", "access.denied"]
    assert _status(world, iid) == "new"

    # The practice's own member is unaffected.
    assert {
        i.id
        for i in inbox.inbox(world.env, world.member.principal, inbox.InboxFilter(), None).items
    } == {iid, xid}


def test_the_grant_opens_the_practice_to_the_waiting_member(world: World) -> None:
    """Once a colleague's grant is stored, the same account lists, reads and marks items."""
    iid, envelope = seal(world.secretary, world.practice)
    deposit_as_secretary(world, envelope, iid)
    waiting = add_account(world.env, Role.MEMBER, "newcomer", world.practice, granted=False)
    world.env.db.write(
        lambda c: c.execute(
            "INSERT INTO practice_grant (practice_id, account_id, sealed, granted_by, created_at)"
            " VALUES (?, ?, x'00', ?, ?)",
            (world.practice.id, waiting.id, world.member.id, iso(world.env.now())),
        )
    )
    p = waiting.principal
    assert [i.id for i in inbox.inbox(world.env, p, inbox.InboxFilter(), None).items] == [iid]
    assert inbox.read_envelope(world.env, REQ, p, iid) == envelope
    inbox.set_status(world.env, REQ, p, iid, "handled")
    assert _status(world, iid) == "handled"
    assert inbox.access_log(world.env, p)[0]

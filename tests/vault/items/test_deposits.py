"""Deposits: every refusal of the server-side checks, idempotency, audit, blobs, statuses."""

from __future__ import annotations

import uuid
from dataclasses import replace
from datetime import UTC, datetime

import pytest

from crypto.envelope import ItemKind, Urgency, encode_body, open_item
from tests.factories import (
    REQ,
    World,
    audit_actions,
    deposit_as_secretary,
    seal,
)
from vault.errors import Conflict, InvalidInput, NotFound
from vault.items import deposits, inbox, uploads

# -- accepted deposits ---------------------------------------------------------------


def test_a_call_note_is_stored_audited_and_opens_for_the_practice(world: World) -> None:
    """Given a signed note, the row holds the envelope and clear metadata; the member's
    key opens it; item.deposited is in the audit log."""
    iid, env_bytes = seal(world.secretary, world.practice, urgency=Urgency.URGENT)
    started = datetime(2026, 11, 28, 8, 55, tzinfo=UTC)
    receipt = deposit_as_secretary(world, env_bytes, iid, call_started_at=started, call_seconds=95)
    assert receipt == deposits.Receipt(iid, created=True)
    page = inbox.inbox(world.env, world.member.principal, inbox.InboxFilter(), None)
    (summary,) = page.items
    assert (summary.kind, summary.urgency, summary.status) == ("call_note", "urgent", "new")
    assert summary.call_seconds == 95 and summary.call_started_at == started
    stored = inbox.read_envelope(world.env, REQ, world.member.principal, iid)
    opened = open_item(
        stored,
        author_verify_key=world.secretary.keys.public_keys.verify_key,
        practice_secret_key=world.practice.keys.secret_key,
        item_id=uuid.UUID(iid),
        client_id=uuid.UUID(world.practice.id),
        author_id=uuid.UUID(world.secretary.id),
    )
    assert opened.json()["caller_is"] == "third_party"
    assert "item.deposited" in audit_actions(world.env)


def test_the_same_deposit_twice_is_one_success(world: World) -> None:
    """A retry after a dropped connection (same id, same bytes) is answered as success."""
    iid, envelope = seal(world.secretary, world.practice)
    deposit_as_secretary(world, envelope, iid)
    assert deposit_as_secretary(world, envelope, iid) == deposits.Receipt(iid, created=False)
    assert audit_actions(world.env).count("item.deposited") == 1


# -- refusals --------------------------------------------------------------------------


def test_another_envelope_under_a_used_id_is_a_conflict(world: World) -> None:
    iid, envelope = seal(world.secretary, world.practice)
    deposit_as_secretary(world, envelope, iid)
    _, other = seal(world.secretary, world.practice, item_id=iid)
    with pytest.raises(Conflict, match="already used"):
        deposit_as_secretary(world, other, iid)


def test_an_unknown_version_is_refused(world: World) -> None:
    iid, envelope = seal(world.secretary, world.practice)
    with pytest.raises(InvalidInput, match="format version"):
        deposit_as_secretary(world, b"\x02" + envelope[1:], iid)


def test_an_oversized_envelope_is_refused(world: World) -> None:
    big = encode_body({"subject": "x", "text": "a" * (deposits.MAX_ENVELOPE_BYTES + 1)})
    iid, envelope = seal(world.secretary, world.practice, kind=ItemKind.MESSAGE, body=big)
    with pytest.raises(InvalidInput, match="structure, size or signature"):
        deposit_as_secretary(world, envelope, iid)


@pytest.mark.parametrize("cut", [0, 10, 51, 234])
def test_a_truncated_envelope_is_refused(world: World, cut: int) -> None:
    iid, envelope = seal(world.secretary, world.practice)
    with pytest.raises(InvalidInput):
        deposit_as_secretary(world, envelope[:cut], iid)


@pytest.mark.parametrize("where", [3, 60, 140, 200, -1])
def test_a_flipped_byte_breaks_the_signature(world: World, where: int) -> None:
    """Header, sealed key, signature, nonce or ciphertext altered: refused."""
    iid, envelope = seal(world.secretary, world.practice)
    bad = bytearray(envelope)
    bad[where] ^= 1
    with pytest.raises(InvalidInput):
        deposit_as_secretary(world, bytes(bad), iid)


def test_an_envelope_signed_by_another_secretary_is_refused(world: World) -> None:
    """Signed with the stranger's key while naming the depositor: the signature fails."""
    iid, envelope = seal(world.stranger, world.practice, author_id=world.secretary.id)
    with pytest.raises(InvalidInput, match="signature"):
        deposit_as_secretary(world, envelope, iid)


def test_an_envelope_naming_another_author_is_refused(world: World) -> None:
    iid, envelope = seal(world.secretary, world.practice, author_id=world.stranger.id)
    with pytest.raises(InvalidInput, match="does not match"):
        deposit_as_secretary(world, envelope, iid)


def test_an_envelope_for_another_item_id_is_refused(world: World) -> None:
    _, envelope = seal(world.secretary, world.practice)
    with pytest.raises(InvalidInput, match="does not match"):
        deposit_as_secretary(world, envelope, str(uuid.uuid4()))


def test_an_envelope_for_another_practice_is_refused(world: World) -> None:
    iid, envelope = seal(world.secretary, world.practice, client_id=world.other.id)
    with pytest.raises(InvalidInput, match="does not match"):
        deposit_as_secretary(world, envelope, iid)


def test_an_unassigned_practice_is_not_found_and_audited(world: World) -> None:
    iid, envelope = seal(world.secretary, world.other)
    d = deposits.Deposit(item_id=iid, practice_id=world.other.id, envelope=envelope)
    with pytest.raises(NotFound):
        deposits.deposit(world.env, REQ, world.secretary.principal, d)
    assert audit_actions(world.env)[-1] == "access.denied"


def test_a_member_cannotdeposit_as_secretary(world: World) -> None:
    iid, envelope = seal(world.member, world.practice)
    d = deposits.Deposit(item_id=iid, practice_id=world.practice.id, envelope=envelope)
    with pytest.raises(NotFound):
        deposits.deposit(world.env, REQ, world.member.principal, d)


def test_a_malformed_item_id_is_refused(world: World) -> None:
    _, envelope = seal(world.secretary, world.practice)
    with pytest.raises(InvalidInput):
        deposit_as_secretary(world, envelope, "not-a-uuid")


def test_call_time_only_for_call_notes_and_bounded(world: World) -> None:
    iid, envelope = seal(world.secretary, world.practice, kind=ItemKind.MESSAGE)
    with pytest.raises(InvalidInput, match="call"):
        deposit_as_secretary(world, envelope, iid, call_seconds=10)
    iid, envelope = seal(world.secretary, world.practice)
    with pytest.raises(InvalidInput, match="call"):
        deposit_as_secretary(world, envelope, iid, call_seconds=-1)


def test_the_signed_call_time_is_stored_even_without_clear_values(world: World) -> None:
    """Given a call note whose depositor sent no clear call time, the row holds the one
    signed in the header (never a missing or different one)."""
    started = datetime(2026, 11, 28, 8, 40, tzinfo=UTC)
    iid, envelope = seal(world.secretary, world.practice, call_started_at=started, call_seconds=600)
    deposit_as_secretary(world, envelope, iid)
    (summary,) = inbox.inbox(world.env, world.member.principal, inbox.InboxFilter(), None).items
    assert (summary.call_started_at, summary.call_seconds) == (started, 600)


@pytest.mark.parametrize(
    ("clear", "sentence"),
    [
        ({"call_started_at": datetime(2026, 11, 28, 8, 56, tzinfo=UTC)}, "differs"),
        ({"call_seconds": 96}, "differs"),
        ({"call_started_at": datetime(2026, 11, 28, 8, 55, 0, 1000, tzinfo=UTC)}, "differs"),
        ({"call_seconds": 24 * 3600 + 1}, "differs"),
        ({"call_seconds": -1}, "differs"),
    ],
)
def test_clear_call_time_differing_from_the_signed_one_is_refused(
    world: World, clear: dict[str, object], sentence: str
) -> None:
    """Given a note signed as started at 08:55 for 95 s, a deposit claiming another start
    or duration in clear is refused: the server cannot be told one thing, sign another."""
    iid, envelope = seal(world.secretary, world.practice)
    with pytest.raises(InvalidInput, match=sentence):
        deposit_as_secretary(world, envelope, iid, **clear)
    assert inbox.inbox(world.env, world.member.principal, inbox.InboxFilter(), None).items == []


@pytest.mark.parametrize(
    ("started", "seconds"),
    [
        (datetime(2026, 11, 28, 9, 5, 1, tzinfo=UTC), 0),  # starts over 5 min from now (09:00)
        (datetime(2026, 11, 28, 8, 59, tzinfo=UTC), 361),  # ends over 5 min from now
        (datetime(2026, 10, 29, 8, 59, 59, tzinfo=UTC), 60),  # before the vault existed
        (datetime(1970, 1, 1, tzinfo=UTC), 0),  # a zero start, as a careless writer leaves
    ],
)
def test_an_implausible_signed_call_time_is_refused(
    world: World, started: datetime, seconds: int
) -> None:
    """Even signed and sent consistently in clear, a call that starts before the vault was
    created (30 days before the clock here) or ends more than 5 minutes in the future is
    refused."""
    iid, envelope = seal(
        world.secretary, world.practice, call_started_at=started, call_seconds=seconds
    )
    with pytest.raises(InvalidInput, match="plausible"):
        deposit_as_secretary(world, envelope, iid, call_started_at=started, call_seconds=seconds)


@pytest.mark.parametrize(
    ("started", "seconds"),
    [
        (datetime(2026, 11, 28, 9, 5, tzinfo=UTC), 0),  # 5 min ahead: clock drift allowed
        (datetime(2026, 11, 28, 8, 0, tzinfo=UTC), 3900),  # ends at 09:05
        (datetime(2026, 10, 29, 9, 0, tzinfo=UTC), 24 * 3600),  # the vault's first second
    ],
)
def test_the_limits_of_a_plausible_call_are_accepted(
    world: World, started: datetime, seconds: int
) -> None:
    iid, envelope = seal(
        world.secretary, world.practice, call_started_at=started, call_seconds=seconds
    )
    assert deposit_as_secretary(world, envelope, iid).created


def test_a_garbage_practice_id_with_a_valid_envelope_is_a_clear_refusal(world: World) -> None:
    """A validly signed envelope deposited with practice_id "garbage" is refused as bad
    input (it used to crash parsing the id), and nothing is stored."""
    iid, envelope = seal(world.secretary, world.practice)
    fast = replace(
        world.secretary.principal, ed25519_public_key=world.secretary.keys.public_keys.ed25519
    )
    for principal in (world.secretary.principal, fast):  # read-first and session-key paths
        d = deposits.Deposit(item_id=iid, practice_id="garbage", envelope=envelope)
        with pytest.raises(InvalidInput):
            deposits.deposit(world.env, REQ, principal, d)


# -- statuses and visibility -------------------------------------------------------------------


def test_statuses_move_forward_with_who_and_when(world: World) -> None:
    iid, envelope = seal(world.secretary, world.practice, urgency=Urgency.URGENT)
    deposit_as_secretary(world, envelope, iid)
    inbox.read_envelope(world.env, REQ, world.member.principal, iid)
    world.clock.advance(60)
    inbox.set_status(world.env, REQ, world.member.principal, iid, "handled")
    with pytest.raises(Conflict):
        inbox.set_status(world.env, REQ, world.member.principal, iid, "read")
    detail = inbox.detail(world.env, REQ, world.member.principal, iid)
    assert [(h.status, h.by) for h in detail.history] == [
        ("new", "Sophie"),
        ("read", "Dr.Martin@Example.Org"),
        ("handled", "Dr.Martin@Example.Org"),
    ]
    mine = inbox.my_deposits(world.env, world.secretary.principal, None)
    assert [i.status for i in mine.items] == ["handled"]


def test_the_inbox_puts_unhandled_urgent_first_then_newest_with_keyset_pages(
    world: World,
) -> None:
    ids = []
    for n in range(7):
        urgency = Urgency.URGENT if n in (1, 4) else Urgency.NORMAL
        iid, envelope = seal(world.secretary, world.practice, urgency=urgency)
        deposit_as_secretary(world, envelope, iid)
        ids.append(iid)
        world.clock.advance(1)
    inbox.set_status(world.env, REQ, world.member.principal, ids[1], "handled")
    expected = [ids[4], ids[6], ids[5], ids[3], ids[2], ids[1], ids[0]]
    seen, cursor = [], None
    while True:
        page = inbox.inbox(world.env, world.member.principal, inbox.InboxFilter(), cursor, 3)
        seen += [i.id for i in page.items]
        if page.next_cursor is None:
            break
        cursor = page.next_cursor
    assert seen == expected
    urgent = inbox.inbox(
        world.env, world.member.principal, inbox.InboxFilter(urgency="urgent"), None
    )
    assert [i.id for i in urgent.items] == [ids[4], ids[1]]


def test_another_practice_sees_nothing_and_gets_not_found(world: World) -> None:
    iid, envelope = seal(world.secretary, world.practice)
    deposit_as_secretary(world, envelope, iid)
    o = world.outsider.principal
    assert inbox.inbox(world.env, o, inbox.InboxFilter(), None).items == []
    for call in (
        lambda: inbox.read_envelope(world.env, REQ, o, iid),
        lambda: inbox.open_download(world.env, REQ, o, iid),
        lambda: inbox.set_status(world.env, REQ, o, iid, "handled"),
        lambda: inbox.detail(world.env, REQ, o, iid),
    ):
        with pytest.raises(NotFound):
            call()
    # One entry naming the item; the repeats in the window are counted (denials.record).
    assert audit_actions(world.env)[-2:] == ["item.deposited", "access.denied"]


def test_the_access_log_lists_every_access_to_the_practice(world: World) -> None:
    iid, envelope = seal(world.secretary, world.practice)
    deposit_as_secretary(world, envelope, iid)
    inbox.read_envelope(world.env, REQ, world.member.principal, iid)
    rows, _ = inbox.access_log(world.env, world.member.principal)
    assert [r.action for r in rows] == ["item.status_changed", "item.read", "item.deposited"]
    assert inbox.access_log(world.env, world.outsider.principal)[0] == []


def test_another_secretarys_item_id_is_not_confirmed_to_exist(world: World) -> None:
    """Reusing an item id of another practice's secretary: 404 (audited), not 409."""
    iid, envelope = seal(world.stranger, world.other)
    deposits.deposit(
        world.env,
        REQ,
        world.stranger.principal,
        deposits.Deposit(item_id=iid, practice_id=world.other.id, envelope=envelope),
    )
    _, mine = seal(world.secretary, world.practice, item_id=iid)
    with pytest.raises(NotFound):
        deposit_as_secretary(world, mine, iid)
    with pytest.raises(NotFound):
        uploads.start_upload(world.env, REQ, world.secretary.principal, world.practice.id, iid, 42)
    # One entry naming the item; the repeat in the window is counted (denials.record).
    assert audit_actions(world.env)[-2:] == ["item.deposited", "access.denied"]

"""Whom to tell and how: verified details only, chosen channels, the old address until then."""

from __future__ import annotations

import pytest

from tests.factories import World
from vault.errors import InvalidInput
from vault.notify import contacts
from vault.notify.contacts import normal_email, normal_phone, reachable


def _verify(w: World, channel: str, address: str) -> None:
    w.env.db.write(
        lambda c: c.execute(
            "INSERT INTO contact (account_id, channel, address, verified_at)"
            " VALUES (?, ?, ?, '2026-03-02T09:00:00.000Z')",
            (w.member.principal.account_id, channel, address),
        )
    )


def _reach(w: World, urgency: str) -> list[tuple[str, str]]:
    return w.env.db.read(lambda c: reachable(c, w.member.principal.account_id, urgency))


def test_nothing_verified_keeps_the_old_address(world: World) -> None:
    """Until she verifies a detail, a member is told at her username, as before."""
    assert _reach(world, "urgent") == [("email", "dr.martin@example.org")]
    assert _reach(world, "normal") == [("email", "dr.martin@example.org")]


def test_a_username_without_at_sign_reaches_nobody_until_verified(world: World) -> None:
    secretary = world.secretary.principal.account_id
    assert world.env.db.read(lambda c: reachable(c, secretary, "urgent")) == []


def test_verified_details_replace_the_username(world: World) -> None:
    _verify(world, "email", "martin@cabinet.fr")
    assert _reach(world, "urgent") == [("email", "martin@cabinet.fr")]
    _verify(world, "sms", "+33612345678")
    # Default: urgent through every verified detail, normal (the digest) by e-mail only.
    assert _reach(world, "urgent") == [("email", "martin@cabinet.fr"), ("sms", "+33612345678")]
    assert _reach(world, "normal") == [("email", "martin@cabinet.fr")]


def test_the_members_choice_per_urgency(world: World) -> None:
    _verify(world, "email", "martin@cabinet.fr")
    _verify(world, "sms", "+33612345678")
    world.env.db.write(
        lambda c: c.executemany(
            "INSERT INTO contact_choice VALUES (?, ?, ?)",
            [
                (world.member.principal.account_id, "urgent", "sms"),
                (world.member.principal.account_id, "normal", ""),
            ],
        )
    )
    assert _reach(world, "urgent") == [("sms", "+33612345678")]
    assert _reach(world, "normal") == []


def test_a_chosen_channel_not_verified_is_not_used(world: World) -> None:
    _verify(world, "email", "martin@cabinet.fr")
    world.env.db.write(
        lambda c: c.execute(
            "INSERT INTO contact_choice VALUES (?, 'urgent', 'email,sms')",
            (world.member.principal.account_id,),
        )
    )
    assert _reach(world, "urgent") == [("email", "martin@cabinet.fr")]


def test_an_unknown_urgency_is_refused(world: World) -> None:
    with pytest.raises(InvalidInput):
        _reach(world, "low")


@pytest.mark.parametrize(
    ("typed", "stored"),
    [
        ("06 12 34 56 78", "+33612345678"),
        ("06.12.34.56.78", "+33612345678"),
        ("+33 6 12 34 56 78", "+33612345678"),
        ("0033612345678", "+33612345678"),
        ("+1 (415) 555-0100", "+14155550100"),
    ],
)
def test_phone_numbers_are_stored_in_e164(typed: str, stored: str) -> None:
    assert normal_phone(typed) == stored


@pytest.mark.parametrize(
    "typed", ["", "12", "06 12 34", "+0612345678", "phone", "+33 6 12 34 56 78 99 99 9"]
)
def test_bad_phone_numbers_are_refused(typed: str) -> None:
    with pytest.raises(InvalidInput, match="phone number"):
        normal_phone(typed)


@pytest.mark.parametrize(
    "typed", ["", "martin", "martin@", "@cabinet.fr", "a b@c.fr", "m@localhost"]
)
def test_bad_email_addresses_are_refused(typed: str) -> None:
    with pytest.raises(InvalidInput, match="e-mail address"):
        normal_email(typed)


def test_email_domains_are_lower_case() -> None:
    assert normal_email(" Martin@Cabinet.FR ") == "Martin@cabinet.fr"
    assert contacts.normal_address("email", "a@b.fr") == "a@b.fr"

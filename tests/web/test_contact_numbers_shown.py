"""Verified and pending phone numbers on /account read as people write them."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from vault.notify import contacts
from vault.notify.contacts import Contacts, Detail
from web import i18n, rendering

AT = datetime(2026, 12, 1, 9, 0, tzinfo=UTC)


@pytest.mark.parametrize(
    ("stored", "shown"),
    [
        ("+33612345678", "06 12 34 56 78"),
        ("+33712345678", "07 12 34 56 78"),
        ("+447911123456", "+447911123456"),
        ("dr.martin@example.org", "dr.martin@example.org"),
    ],
)
def test_a_french_number_is_shown_in_pairs_others_as_stored(stored: str, shown: str) -> None:
    assert contacts.shown(stored) == shown


def test_the_account_block_shows_french_numbers_in_pairs() -> None:
    i18n.set_language("fr")
    try:
        block = rendering._env.get_template("_partials/contacts.html").render(
            contacts=Contacts(
                verified={"sms": Detail("sms", "+33612345678", AT)},
                pending={"sms": "+33798765432"},
                choice={"urgent": ("sms",), "normal": ("sms",)},
                chosen={"urgent": True, "normal": True},
                fallback="",
            ),
            digest=None,
            contacts_feedback="",
        )
    finally:
        i18n.set_language(i18n.DEFAULT)
    assert "<strong>06 12 34 56 78</strong>" in block and "07 98 76 54 32" in block
    assert "+33612345678" not in block and "+33798765432" not in block

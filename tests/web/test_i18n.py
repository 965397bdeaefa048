"""Language negotiation and the French catalog."""

from __future__ import annotations

import pytest

from web import i18n


@pytest.mark.parametrize(
    ("header", "preferred", "expected"),
    [
        (None, None, "fr"),
        ("en", None, "en"),
        ("de-DE,en;q=0.5", None, "en"),
        ("en;q=0.4,fr;q=0.8", None, "fr"),
        ("en;q=0", None, "fr"),
        ("en", "fr", "fr"),
        ("fr", "en", "en"),
        ("xx", "zz", "fr"),
        ("en;q=abc", None, "fr"),
    ],
)
def test_negotiation(header: str | None, preferred: str | None, expected: str) -> None:
    """The user's own choice wins, then Accept-Language by quality, then French."""
    assert i18n.negotiate(header, preferred) == expected


def test_every_refusal_message_has_a_french_translation() -> None:
    """Error titles and messages shown to people exist in French."""
    from web import errors

    refusals = [v for v in vars(errors).values() if isinstance(v, errors.Refusal)]
    assert refusals
    for r in refusals:
        assert i18n.translate(r.title, "fr") != r.title
        assert i18n.translate(r.message, "fr") != r.message


def test_plural_entries_of_the_catalog_are_translated() -> None:
    """A ``msgid_plural`` entry gives both French forms (they used to be dropped: "3 attempts"
    stayed English on a French page)."""
    i18n.set_language("fr")
    try:
        assert i18n.ngettext("%(num)d attempt", "%(num)d attempts", 3) == "%(num)d essais"
        assert i18n.ngettext("%(num)d attempt", "%(num)d attempts", 1) == "%(num)d essai"
    finally:
        i18n.set_language("en")

"""Which language the command's refusals take from the locale (cli/language.py)."""

from __future__ import annotations

import pytest

from cli.language import language_of, refusal


@pytest.mark.parametrize(
    ("environ", "language"),
    [
        ({"LANG": "fr_FR.UTF-8"}, "fr"),
        ({"LANG": "fr"}, "fr"),
        ({"LANG": "FR_be"}, "fr"),
        ({"LANG": "en_US.UTF-8"}, "en"),
        ({"LANG": "C.UTF-8"}, "en"),
        ({"LANG": "de_DE.UTF-8"}, "en"),
        ({}, "en"),
        ({"LANG": "fr_FR.UTF-8", "LC_ALL": "C"}, "en"),
        ({"LANG": "en_US.UTF-8", "LC_MESSAGES": "fr_FR.UTF-8"}, "fr"),
        ({"LC_ALL": "", "LANG": "fr_FR.UTF-8"}, "fr"),  # an empty variable is not set
    ],
)
def test_the_first_set_locale_variable_chooses(environ: dict[str, str], language: str) -> None:
    assert language_of(environ) == language


def test_a_catalogued_sentence_is_translated_and_any_other_kept() -> None:
    taken = "This username is already taken."
    assert refusal(taken, {"LANG": "fr_FR.UTF-8"}) == "Cet identifiant est déjà pris."
    assert refusal(taken, {"LANG": "en_GB.UTF-8"}) == taken
    unknown = "no database at /srv/v/permanence.db; run 'permanence init' first"
    assert refusal(unknown, {"LANG": "fr_FR.UTF-8"}) == unknown

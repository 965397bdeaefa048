"""Display names a reader cannot misread: no invisible characters, letters of one script.

A display name is not unique (the account name is), but it is what a reader sees
beside "signature verified". So it may not hide characters (format characters such
as U+200B or U+202E, private-use or unassigned code points, controls) nor mix
scripts whose letters look alike ("Sophie" written with a Cyrillic "o", U+043E). Clients compare
names with one folding rule as well (``cli/name_folding.py``,
``web/static/js/app/fingerprints.js``).
"""

from __future__ import annotations

import unicodedata

from vault.errors import InvalidInput

# Controls, format characters, surrogates, private use, unassigned, line/paragraph separators.
HIDDEN_CATEGORIES = frozenset({"Cc", "Cf", "Cs", "Co", "Cn", "Zl", "Zp"})
# Letters by category that render as nothing (the Hangul fillers).
BLANK_LETTERS = frozenset("\u115f\u1160\u3164\uffa0")
# Scripts written together in one name (Japanese and Korean mix Han with their own).
EAST_ASIAN = frozenset({"CJK", "HIRAGANA", "KATAKANA", "HANGUL", "BOPOMOFO"})


def script_of(letter: str) -> str:
    """The script of a letter, from its Unicode name ("CYRILLIC SMALL LETTER O")."""
    word = unicodedata.name(letter, "").split(" ")[0]
    return "CJK" if word in EAST_ASIAN else word


def check_characters(name: str) -> None:
    """Refuse hidden characters and letters of several scripts, in one sentence."""
    if any(unicodedata.category(ch) in HIDDEN_CATEGORIES or ch in BLANK_LETTERS for ch in name):
        raise InvalidInput("A display name cannot hold invisible or control characters.")
    scripts = {
        script_of(ch)
        for ch in unicodedata.normalize("NFKC", name)
        if unicodedata.category(ch).startswith("L") and unicodedata.category(ch) != "Lm"
    }
    if len(scripts) > 1:
        raise InvalidInput(
            "A display name uses the letters of one script only (not, for instance, Latin"
            " letters mixed with Cyrillic or Greek ones)."
        )

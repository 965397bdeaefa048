"""The language of the command's refusals: French where the locale asks for it, else English.

The sentences a refusal carries are the vault's English message ids, which the web pages
translate from the same catalogue (``web.i18n``); the command's own help and reports stay
in English (docs/decisions.md, "cli-language").
"""

from __future__ import annotations

from collections.abc import Mapping

from web import i18n

# POSIX order: LC_ALL overrides LC_MESSAGES, which overrides LANG; the first set one wins.
_LOCALE_VARIABLES = ("LC_ALL", "LC_MESSAGES", "LANG")


def language_of(environ: Mapping[str, str]) -> str:
    """``fr`` for a French locale (``fr_FR.UTF-8``, ``fr_CA``, ``fr``), else ``en``."""
    for name in _LOCALE_VARIABLES:
        value = environ.get(name)
        if value:
            return "fr" if value.lower().startswith("fr") else "en"
    return "en"


def refusal(message: str, environ: Mapping[str, str]) -> str:
    """A refusal's sentence in the locale's language (as written when not catalogued)."""
    return i18n.translate(message, language_of(environ))

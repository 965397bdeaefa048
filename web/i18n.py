"""French (default) and English, chosen per request.

Message ids are English; ``locales/fr/LC_MESSAGES/*.po`` hold the French
(one file per area of the app, merged). Catalogs are read with Babel at
start-up (no compile step), and the
language of the current request lives in a context variable that the
template's ``_()`` reads.
"""

from __future__ import annotations

from contextvars import ContextVar
from importlib import resources

from babel.messages.pofile import read_po

LANGUAGES = ("fr", "en")
DEFAULT = "fr"

_current: ContextVar[str] = ContextVar("language", default=DEFAULT)


def _load(language: str) -> dict[str, str]:
    """Every ``*.po`` of the language, merged (one file per area of the app)."""
    folder = resources.files("web.locales").joinpath(language, "LC_MESSAGES")
    messages: dict[str, str] = {}
    for path in sorted(folder.iterdir(), key=lambda p: p.name):
        if not path.name.endswith(".po"):
            continue
        with path.open("rb") as f:
            catalog = read_po(f, locale=language)
        for m in catalog:
            if not m.id or not m.string or m.fuzzy:
                continue
            if isinstance(m.id, str):
                messages[m.id] = str(m.string)
            else:  # msgid / msgid_plural: each English form to its French form (2 in French)
                messages.update(
                    (str(english), str(french))
                    for english, french in zip(m.id, m.string, strict=False)
                    if french
                )
    return messages


_CATALOGS: dict[str, dict[str, str]] = {"fr": _load("fr"), "en": {}}


def gettext(message: str) -> str:
    return _CATALOGS.get(_current.get(), {}).get(message, message)


def ngettext(singular: str, plural: str, n: int) -> str:
    return gettext(singular if n == 1 else plural)


def translate(message: str, language: str) -> str:
    return _CATALOGS.get(language, {}).get(message, message)


def set_language(language: str) -> None:
    _current.set(language if language in LANGUAGES else DEFAULT)


def current_language() -> str:
    return _current.get()


def negotiate(accept_language: str | None, preferred: str | None, default: str = DEFAULT) -> str:
    """The user's own setting first, then the browser's ``Accept-Language``, then French."""
    if preferred in LANGUAGES:
        return str(preferred)
    candidates: list[tuple[float, int, str]] = []
    for position, part in enumerate((accept_language or "").split(",")):
        tag, _, params = part.strip().partition(";")
        quality = 1.0
        if params.strip().startswith("q="):
            try:
                quality = float(params.strip()[2:])
            except ValueError:
                quality = 0.0
        primary = tag.strip().lower().split("-")[0]
        if primary in LANGUAGES and quality > 0:
            candidates.append((-quality, position, primary))
    if candidates:
        return min(candidates)[2]
    return default if default in LANGUAGES else DEFAULT

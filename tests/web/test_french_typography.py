"""French typography in every French catalog (``web/locales/fr/LC_MESSAGES/*.po``, whichever
branch added it): a no-break space (U+00A0, or the narrow U+202F) before ``: ; ? !`` and
inside « », and one apostrophe, the straight ``'`` the JavaScript messages use too.

Only punctuation is checked: a ``:`` or ``?`` followed by a letter, digit or ``/`` is part of
a URL (``https://``, ``/reports?from=``) or a time (``19:15``) and is left alone."""

from __future__ import annotations

from pathlib import Path

import pytest
from babel.messages.pofile import read_po

FRENCH = Path(__file__).parents[2] / "web" / "locales" / "fr" / "LC_MESSAGES"
NO_BREAK = "\u00a0\u202f"
HIGH = ":;?!"
# What may follow a punctuation mark (anything else means it is not one: 19:15, https://).
AFTER_MARK = " \n\t»)\"'<.,…" + HIGH + NO_BREAK
WRONG_APOSTROPHES = "\u2019\u02bc\u2018"  # right and left single quotes, modifier letter
WRONG_QUOTES = "\u201c\u201d"  # English double quotes


def problems(text: str) -> list[str]:
    """What is wrong with one French message, each as "…context…: rule"."""
    found: list[str] = []

    def near(i: int) -> str:
        return text[max(0, i - 15) : i + 5]

    for i, ch in enumerate(text):
        before = text[i - 1] if i else ""
        after = text[i + 1] if i + 1 < len(text) else ""
        if ch in HIGH and before and (after == "" or after in AFTER_MARK):
            if before not in NO_BREAK and before not in HIGH:
                found.append(f"{near(i)!r}: a no-break space before {ch!r}")
        elif ch == "«" and after not in NO_BREAK:
            found.append(f"{near(i)!r}: a no-break space after «")
        elif ch == "»" and before not in NO_BREAK:
            found.append(f"{near(i)!r}: a no-break space before »")
        elif ch in WRONG_APOSTROPHES:
            found.append(f"{near(i)!r}: the straight apostrophe ' (as everywhere else)")
        elif ch in WRONG_QUOTES:
            found.append(f"{near(i)!r}: « guillemets » in French")
    return found


def french_messages() -> list[tuple[str, str]]:
    """(file, msgstr) for every translated message of every French catalog."""
    messages: list[tuple[str, str]] = []
    for path in sorted(FRENCH.glob("*.po")):
        with path.open("rb") as f:
            catalog = read_po(f, locale="fr")
        for message in catalog:
            if not message.id:
                continue
            strings = message.string if isinstance(message.string, tuple) else (message.string,)
            messages.extend((path.name, str(s)) for s in strings if s)
    return messages


def test_there_are_french_messages_to_check() -> None:
    files = {name for name, _ in french_messages()}
    assert len(french_messages()) > 300 and {"messages.po", "audit.po", "items.po"} <= files


def test_every_french_message_follows_french_typography() -> None:
    wrong = [f"{name}: {p}" for name, text in french_messages() for p in problems(text)]
    assert wrong == []


@pytest.mark.parametrize(
    "text",
    [
        "Attention\u00a0: le registre ne correspond pas\u00a0; signalez-le\u00a0!",
        "Mot de passe oublié\u00a0?",
        "Vraiment\u00a0?!",
        "Ouvrez https://vault.example/reports?from=2026-10 à 19:15.",
        "Heures locales (%(zone)s).",
        "L'auteur a signé «\u00a0oui\u00a0», le serveur «\u202fnon\u202f».",
        "Signé le\u00a0:",
        "Le ratio 3:1 reste.",
    ],
)
def test_correct_french_passes(text: str) -> None:
    assert problems(text) == []


@pytest.mark.parametrize(
    ("text", "rule"),
    [
        ("Attention : le registre", "before ':'"),
        ("Attention: le registre", "before ':'"),
        ("Pris en charge ; annuler", "before ';'"),
        ("Mot de passe oublié ?", "before '?'"),
        ("Déposé !", "before '!'"),
        ("Vérifiez-le hors ligne :", "before ':'"),
        ("(UTC) : fin", "before ':'"),
        ("une application « ouverte »", "after «"),
        ("une application «\u00a0ouverte »", "before »"),
        ("l\u2019élément", "apostrophe"),
        ("le mot \u201coui\u201d", "guillemets"),
    ],
)
def test_wrong_french_is_caught(text: str, rule: str) -> None:
    found = problems(text)
    assert found and rule in found[0]

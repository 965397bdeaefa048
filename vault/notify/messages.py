"""The words of every escalation message: content-free by construction.

A message is built from the practice's name, the number of urgent items (one), a
link and, for the depositing secretary, the time of the deposit: nothing else is
passed in, so no caller name, reason or any other word of an item can reach a
mail, an SMS or a webhook body. E-mail is bilingual; SMS is in the recipient's
language (one short line); the webhook event is JSON for the practice's tools.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from vault.clock import iso
from vault.clock_text import clock_text

NBSP = "\u00a0"  # before a French colon in mail; SMS keeps plain spaces (GSM 7-bit)


@dataclass(frozen=True, slots=True)
class Text:
    subject: str
    body: str  # the mail's text
    short: str  # the SMS


def _text(fr: str, en: str, link: str, language: str) -> Text:
    return Text(
        subject=f"Permanence{NBSP}: {fr} / {en}",
        body=f"{fr}{NBSP}:\n{link}\n\n{en}:\n{link}\n",
        short=(
            f"Permanence : {fr} {link}" if language == "fr" else f"Permanence: {en} {link}"
        ).replace(NBSP, " "),
    )


def urgent(practice: str, link: str, language: str) -> Text:
    return _text(
        f"1 message urgent pour {practice}", f"1 urgent message for {practice}", link, language
    )


def still_urgent(practice: str, link: str, language: str) -> Text:
    """The end of the ladder, to every member: nobody has acknowledged it yet."""
    return _text(
        f"1 message urgent pour {practice} n'est toujours pas pris en charge",
        f"1 urgent message for {practice} is still unacknowledged",
        link,
        language,
    )


def unacknowledged_to_secretary(
    practice: str, deposited_local: datetime, link: str, language: str
) -> Text:
    """The end of the ladder, to the secretary who deposited the item: phone the practice."""
    hour, minute = deposited_local.hour, deposited_local.minute
    return _text(
        f"Le message urgent déposé à {clock_text(hour, minute, 'fr')}"
        f" pour {practice} n'est toujours pas pris en charge, appelez le cabinet",
        f"The urgent message deposited at {clock_text(hour, minute, 'en')} for {practice}"
        " is still unacknowledged, phone the practice",
        link,
        language,
    )


def webhook_event(
    event: str,
    *,
    practice_id: str,
    practice: str,
    item_id: str,
    step: int,
    link: str,
    at: datetime,
) -> dict[str, Any]:
    """``urgent`` (a step of the ladder), ``unacknowledged`` (its end) or ``acknowledged``."""
    texts = {
        "urgent": f"1 message urgent pour {practice}",
        "unacknowledged": f"1 message urgent pour {practice} n'est toujours pas pris en charge",
        "acknowledged": f"1 message urgent pour {practice} a été pris en charge",
    }
    return {
        "event": event,
        "practice_id": practice_id,
        "practice": practice,
        "item_id": item_id,
        "step": step,
        "text": texts[event],
        "link": link,
        "at": iso(at),
    }

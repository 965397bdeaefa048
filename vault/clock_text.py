"""A time of day as people read it: "8 h 00" in French, "8:00 am" in English.

The one rule for pages (``web/local_dates.py``) and for messages the vault sends (the
end-of-ladder mail), so both say a time the same way. No-break spaces throughout.
"""

from __future__ import annotations

NBSP = "\u00a0"


def clock_text(hour: int, minute: int, language: str) -> str:
    """ "19 h 15" / "7:15 pm" (any language but English is French)."""
    if language != "en":
        return f"{hour}{NBSP}h{NBSP}{minute:02d}"
    suffix = "am" if hour < 12 else "pm"
    return f"{hour % 12 or 12}:{minute:02d}{NBSP}{suffix}"


def hhmm_text(text: str, language: str) -> str:
    """A stored "HH:MM" ("08:00") as ``clock_text`` says it; other text as it is."""
    hours, sep, minutes = text.partition(":")
    if not (sep and hours.isdigit() and minutes.isdigit()):
        return text
    return clock_text(int(hours), int(minutes), language)

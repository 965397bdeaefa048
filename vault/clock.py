"""Time as a parameter: every use case takes ``now`` so tests are deterministic."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, date, datetime

from audit.entry import format_time, parse_time
from audit.errors import InvalidEntry
from vault.errors import InvalidInput

Clock = Callable[[], datetime]

# Days a search may name: a day further out, shifted by a time zone or by the one day an
# inclusive end adds, would leave what ``datetime`` holds (years 1 to 9999).
FIRST_DAY, LAST_DAY = date(1970, 1, 1), date(9998, 12, 31)
BAD_DAY = "A date must be written YYYY-MM-DD, between 1970-01-01 and 9998-12-31."


def utc_now() -> datetime:
    return datetime.now(UTC)


def iso(at: datetime) -> str:
    """The audit log's time format, RFC 3339 UTC with milliseconds (``audit.entry``): it
    sorts as text, as the database stores it."""
    return format_time(at)


def parse_iso(text: str) -> datetime:
    """A time written by ``iso``; ``ValueError`` for any other text."""
    try:
        return parse_time(text)
    except InvalidEntry:
        raise ValueError(f"not a time written by iso: {text!r}") from None


def parse_day(text: str) -> date:
    """A calendar day written ``YYYY-MM-DD`` within ``FIRST_DAY``..``LAST_DAY``, else a 400."""
    try:
        day = date.fromisoformat(text)
    except ValueError:
        raise InvalidInput(BAD_DAY) from None
    if not FIRST_DAY <= day <= LAST_DAY:
        raise InvalidInput(BAD_DAY)
    return day

"""Times, durations and numbers as the reader reads them (issue 12).

Every time a page shows is in the practice's time zone (setting ``timezone``, checked once
when the settings are built) and in the reader's language, in one of two forms:

- short (tables, lists): "1 déc. 2026, 19 h 15" / "1 Dec 2026, 7:15 pm";
- long (one thing on its page): "mardi 1 décembre 2026, 19 h 15" /
  "Tuesday 1 December 2026, 7:15 pm" (no seconds: "19 h 15 min 05 s" reads like a
  duration; the seconds stay in the ``datetime`` attribute).

Inside a date and inside a time the spaces are no-break (U+00A0), so a phone breaks a time
only after its comma. Durations are "3 min 05 s" in both languages ("45 s", "1 h 02 min 05 s").
Numbers: "1 234,5" in French (U+202F between thousands, decimal comma), "1,234.5" in English.

The browser writes the same text with ``web/static/js/app/localdates.js``; both are checked
against the same cases (``tests/js/local_dates_cases.json``). Templates use the filters
``when``, ``when_long``, ``duration`` and ``number`` (``install``): a time is always wrapped
in ``<time datetime="…Z">`` so machines still read UTC, people never do.
"""

from __future__ import annotations

from collections.abc import Callable
from contextvars import ContextVar
from datetime import UTC, date, datetime, tzinfo
from zoneinfo import ZoneInfo

from jinja2 import Environment
from markupsafe import Markup

from vault.business_hours import BusinessHours
from vault.clock import parse_iso
from vault.clock_text import clock_text, hhmm_text

NBSP = "\u00a0"
NNBSP = "\u202f"
DEFAULT_ZONE = ZoneInfo("Europe/Paris")

MONTHS = {
    "en": [
        "January",
        "February",
        "March",
        "April",
        "May",
        "June",
        "July",
        "August",
        "September",
        "October",
        "November",
        "December",
    ],
    "fr": [
        "janvier",
        "février",
        "mars",
        "avril",
        "mai",
        "juin",
        "juillet",
        "août",
        "septembre",
        "octobre",
        "novembre",
        "décembre",
    ],
}
MONTHS_SHORT = {
    "en": ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"],
    "fr": [
        "janv.",
        "févr.",
        "mars",
        "avr.",
        "mai",
        "juin",
        "juil.",
        "août",
        "sept.",
        "oct.",
        "nov.",
        "déc.",
    ],
}
WEEKDAYS = {
    "en": ["Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday"],
    "fr": ["lundi", "mardi", "mercredi", "jeudi", "vendredi", "samedi", "dimanche"],
}

# The zone of the request being rendered (``web.rendering.render`` sets it): imported
# macros do not see the template's context, a context variable they do.
_zone: ContextVar[tzinfo] = ContextVar("practice_zone", default=DEFAULT_ZONE)


def set_zone(zone: tzinfo) -> None:
    _zone.set(zone)


def current_zone() -> tzinfo:
    return _zone.get()


def _lang(language: str) -> str:
    return "en" if language == "en" else "fr"


def _clock(local: datetime, lang: str) -> str:
    return clock_text(local.hour, local.minute, lang)


def short_date(day: date, language: str) -> str:
    """ "1 déc. 2026" / "1 Dec 2026"."""
    lang = _lang(language)
    return f"{day.day}{NBSP}{MONTHS_SHORT[lang][day.month - 1]}{NBSP}{day.year}"


def day_month(day: date, language: str) -> str:
    """ "1 déc." / "1 Dec" (a chart's axis)."""
    return f"{day.day}{NBSP}{MONTHS_SHORT[_lang(language)][day.month - 1]}"


def short_time(at: datetime, zone: tzinfo, language: str) -> str:
    """ "1 déc. 2026, 19 h 15" / "1 Dec 2026, 7:15 pm" (``at`` aware)."""
    local = at.astimezone(zone)
    return f"{short_date(local.date(), language)}, {_clock(local, _lang(language))}"


def long_time(at: datetime, zone: tzinfo, language: str) -> str:
    """ "mardi 1 décembre 2026, 19 h 15" / "Tuesday 1 December 2026, 7:15 pm"."""
    lang = _lang(language)
    local = at.astimezone(zone)
    day = f"{WEEKDAYS[lang][local.weekday()]}{NBSP}{local.day}{NBSP}"
    day += f"{MONTHS[lang][local.month - 1]}{NBSP}{local.year}"
    return f"{day}, {_clock(local, lang)}"


def long_local(at: datetime, hours: BusinessHours, language: str) -> str:
    """The long form in the deployment's zone (kept for callers holding ``BusinessHours``)."""
    return long_time(at, hours.zone, language)


def duration(total: int) -> str:
    """ "45 s", "3 min 05 s", "1 h 02 min 05 s" (both languages)."""
    total = max(0, int(total))
    hours, rest = divmod(total, 3600)
    minutes, seconds = divmod(rest, 60)
    if hours:
        return f"{hours}{NBSP}h {minutes:02d}{NBSP}min {seconds:02d}{NBSP}s"
    if minutes:
        return f"{minutes}{NBSP}min {seconds:02d}{NBSP}s"
    return f"{seconds}{NBSP}s"


def number(value: float, language: str, decimals: int | None = None) -> str:
    """ "1 234,5" (French: U+202F between thousands, decimal comma) / "1,234.5" (English),
    with the digits the value has (an integral float has none), or ``decimals`` digits (a
    column of a report: the server only; the browser's module has no such argument)."""
    if decimals is not None:
        text = f"{value:,.{decimals}f}"
    elif isinstance(value, int) or float(value).is_integer():
        text = f"{int(value):,}"
    else:
        text = f"{value:,}"
    if _lang(language) == "en":
        return text
    return text.replace(",", NNBSP).replace(".", ",")


def month(text: str, language: str) -> str:
    """A report's month, "2026-12": "déc. 2026" / "Dec 2026" (any other text as it is)."""
    year, _, number_ = text.partition("-")
    if not (year.isdigit() and number_.isdigit() and 1 <= int(number_) <= 12):
        return text
    return f"{MONTHS_SHORT[_lang(language)][int(number_) - 1]}{NBSP}{int(year)}"


def machine(at: datetime) -> str:
    """The ``datetime`` attribute: UTC, to the second, with ``Z``."""
    return at.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def _aware(at: datetime | str) -> datetime:
    if isinstance(at, datetime):
        return at if at.tzinfo else at.replace(tzinfo=UTC)
    return parse_iso(at)


def time_element(at: datetime | str, language: str, zone: tzinfo, *, long: bool = False) -> Markup:
    """``<time datetime="…Z">`` around the local time (the short form carries the long one as
    its title)."""
    moment = _aware(at)
    utc, full = machine(moment), long_time(moment, zone, language)
    if long:
        return Markup('<time datetime="{}">{}</time>').format(utc, full)
    shown = short_time(moment, zone, language)
    return Markup('<time datetime="{}" title="{}">{}</time>').format(utc, full, shown)


def clock_element(at: datetime | str, language: str, zone: tzinfo, day: date | None) -> Markup:
    """``<time>`` around the local time of day alone ("10 h 42" / "10:42 am") when ``at`` is
    on local ``day``, else the short date and time; the long form as its title."""
    moment = _aware(at)
    local = moment.astimezone(zone)
    shown = (
        _clock(local, _lang(language))
        if day is not None and local.date() == day
        else short_time(moment, zone, language)
    )
    return Markup('<time datetime="{}" title="{}">{}</time>').format(
        machine(moment), long_time(moment, zone, language), shown
    )


def install(env: Environment, lang: Callable[[], str]) -> None:
    """The template filters; ``lang()`` is the current request's language."""

    def shown(at: datetime | str | None, long: bool) -> Markup:
        if at is None or at == "":
            return Markup("")
        try:
            return time_element(at, lang(), current_zone(), long=long)
        except ValueError:  # text that is not a time: as it is, never a 500
            return Markup.escape(at)

    def when(at: datetime | str | None) -> Markup:
        return shown(at, False)

    def when_long(at: datetime | str | None) -> Markup:
        return shown(at, True)

    def number_filter(value: float | None, decimals: int | None = None) -> str:
        return "—" if value is None else number(value, lang(), decimals)

    def clock(at: datetime | str | None, same_day_as: datetime | str | None = None) -> Markup:
        """The time of day alone when ``at`` is on the local day of ``same_day_as``."""
        if at is None or at == "":
            return Markup("")
        zone = current_zone()
        day = None if not same_day_as else _aware(same_day_as).astimezone(zone).date()
        return clock_element(at, lang(), zone, day)

    env.filters["when"] = when
    env.filters["clock"] = clock
    env.filters["when_long"] = when_long
    env.filters["utc"] = lambda at: machine(_aware(at))
    env.filters["duration"] = lambda seconds: "" if seconds is None else duration(seconds)
    env.filters["number"] = number_filter
    env.filters["month"] = lambda text: month(str(text), lang())
    env.filters["hhmm"] = lambda text: hhmm_text(str(text), lang())
    env.filters["day"] = lambda text: short_date(date.fromisoformat(str(text)), lang())

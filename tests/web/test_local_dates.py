"""Times, durations and numbers as people read them (web/local_dates.py): the practice's zone,
the reader's language, one short and one long form. The cases are shared with the browser's
module (tests/js/local_dates_cases.json, tests/js/localdates.test.mjs)."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from jinja2 import Environment

from vault.business_hours import BusinessHours
from web import local_dates
from web.local_dates import (
    day_month,
    duration,
    long_local,
    long_time,
    machine,
    month,
    number,
    short_time,
    time_element,
)

CASES: dict[str, Any] = json.loads(
    (Path(__file__).parents[1] / "js" / "local_dates_cases.json").read_text("utf-8")
)
PARIS = ZoneInfo("Europe/Paris")


def text(notation: str) -> str:
    return notation.replace("~", "\u00a0").replace("^", "\u202f")


def instant(iso: str) -> datetime:
    return datetime.fromisoformat(iso.replace("Z", "+00:00"))


@pytest.mark.parametrize("case", CASES["times"], ids=lambda c: f"{c['at']}-{c['zone']}")
@pytest.mark.parametrize("language", ["fr", "en"])
def test_short_and_long_forms_in_the_practices_zone(case: dict[str, Any], language: str) -> None:
    """Including both DST changes of Europe/Paris and two overseas zones."""
    at, zone = instant(case["at"]), ZoneInfo(case["zone"])
    short, long = (text(t) for t in case[language])
    assert short_time(at, zone, language) == short
    assert long_time(at, zone, language) == long


def test_the_examples_of_the_issue() -> None:
    at = datetime(2026, 12, 1, 18, 15, tzinfo=UTC)
    plain = {lang: short_time(at, PARIS, lang).replace("\u00a0", " ") for lang in ("fr", "en")}
    assert plain == {"fr": "1 déc. 2026, 19 h 15", "en": "1 Dec 2026, 7:15 pm"}
    assert duration(185).replace("\u00a0", " ") == "3 min 05 s"


def test_a_phone_breaks_a_time_only_after_its_comma() -> None:
    at = datetime(2026, 12, 1, 18, 15, tzinfo=UTC)
    for lang in ("fr", "en"):
        for shown in (short_time(at, PARIS, lang), long_time(at, PARIS, lang)):
            assert shown.count(" ") == 1 and ", " in shown


def test_any_other_language_reads_french() -> None:
    at = instant(CASES["times"][0]["at"])
    assert short_time(at, PARIS, "de") == text(CASES["times"][0]["fr"][0])


@pytest.mark.parametrize(("seconds", "expected"), CASES["durations"])
def test_durations(seconds: int, expected: str) -> None:
    assert duration(seconds) == text(expected)


def test_a_negative_duration_is_zero() -> None:
    assert duration(-3) == "0\u00a0s"


@pytest.mark.parametrize("case", CASES["numbers"], ids=lambda c: str(c["value"]))
def test_numbers(case: dict[str, Any]) -> None:
    assert number(case["value"], "fr") == text(case["fr"])
    assert number(case["value"], "en") == text(case["en"])


def test_chart_days() -> None:
    assert day_month(date(2026, 12, 1), "fr") == "1\u00a0déc."
    assert day_month(date(2026, 9, 30), "en") == "30\u00a0Sep"
    env = Environment(autoescape=True)
    local_dates.install(env, lambda: "fr")
    assert env.from_string("{{ d|day }}").render(d="2026-12-01") == "1\u00a0déc.\u00a02026"


def test_report_months() -> None:
    assert month("2026-12", "fr") == "déc.\u00a02026"
    assert month("2026-05", "en") == "May\u00a02026"
    assert month("not a month", "fr") == "not a month"
    assert month("2026-13", "fr") == "2026-13"


def test_the_time_element_carries_utc_and_the_long_form() -> None:
    at = datetime(2026, 12, 1, 19, 15, 7, 250000, tzinfo=PARIS)
    assert machine(at) == "2026-12-01T18:15:07Z"
    html = time_element(at, "fr", PARIS)
    assert html.startswith('<time datetime="2026-12-01T18:15:07Z" title="mardi')
    assert html.endswith(">1\u00a0déc.\u00a02026, 19\u00a0h\u00a015</time>")
    # The audit log's text form and a naive (UTC) datetime read the same.
    assert time_element("2026-12-01T18:15:07.000Z", "fr", PARIS) == html
    assert time_element(datetime(2026, 12, 1, 18, 15, 7), "fr", PARIS) == html
    assert "title" not in time_element(at, "en", PARIS, long=True)


def test_the_filters_use_the_zone_and_language_of_the_request() -> None:
    env = Environment(autoescape=True)
    language = ["fr"]
    local_dates.install(env, lambda: language[0])
    template = env.from_string(
        "{{ at|when }}|{{ at|when_long }}|{{ none|when }}|{{ s|duration }}|{{ n|number }}"
        "|{{ none|number }}|{{ m|month }}|{{ at|utc }}"
    )
    at = datetime(2026, 7, 1, 2, 30, tzinfo=UTC)
    values = {"at": at, "none": None, "s": 185, "n": 1234.5, "m": "2026-06"}
    local_dates.set_zone(ZoneInfo("America/Martinique"))
    try:
        fr = template.render(values).split("|")
        language[0] = "en"
        en = template.render(values).split("|")
    finally:
        local_dates.set_zone(local_dates.DEFAULT_ZONE)
    assert fr[0].endswith(">30\u00a0juin\u00a02026, 22\u00a0h\u00a030</time>")
    assert en[1].endswith(">Tuesday\u00a030\u00a0June\u00a02026, 10:30\u00a0pm</time>")
    assert fr[2:] == [
        "",
        "3\u00a0min 05\u00a0s",
        "1\u202f234,5",
        "—",
        "juin\u00a02026",
        machine(at),
    ]
    assert en[4] == "1,234.5"
    assert env.from_string("{{ t|when }}").render(t="<not a time>") == "&lt;not a time&gt;"


def test_long_local_is_the_long_form_in_the_deployments_zone() -> None:
    hours = BusinessHours.parse("Mon-Fri 08:00-19:00", "Indian/Reunion")
    at = datetime(2026, 12, 1, 20, tzinfo=UTC)
    assert long_local(at, hours, "en") == long_time(at, ZoneInfo("Indian/Reunion"), "en")


def test_the_long_form_has_no_seconds_but_the_datetime_attribute_keeps_them() -> None:
    # "2 h 20 min 14 s" read like a duration: the long form stops at the minute.
    at = datetime(2026, 12, 2, 1, 20, 14, tzinfo=UTC)
    assert long_time(at, PARIS, "fr") == "mercredi\u00a02\u00a0décembre\u00a02026, 2\u00a0h\u00a020"
    assert long_time(at, PARIS, "en") == "Wednesday\u00a02\u00a0December\u00a02026, 2:20\u00a0am"
    html = time_element(at, "fr", PARIS, long=True)
    assert html.startswith('<time datetime="2026-12-02T01:20:14Z">') and "min" not in html


def test_the_clock_alone_on_the_same_day_else_the_date_too() -> None:
    """ "10 h 42" for a moment on the deposit's local day; the short date and time otherwise
    (09:42 UTC on 28 November is 10 h 42 in Paris; 23:30 UTC is already the 29th there)."""
    clock_element = local_dates.clock_element
    paris = ZoneInfo("Europe/Paris")
    at = datetime(2026, 11, 28, 9, 42, tzinfo=UTC)
    shown = clock_element(at, "fr", paris, date(2026, 11, 28))
    assert shown.endswith(">10\u00a0h\u00a042</time>")
    assert clock_element(at, "en", paris, date(2026, 11, 28)).endswith(">10:42\u00a0am</time>")
    late = datetime(2026, 11, 28, 23, 30, tzinfo=UTC)
    assert clock_element(late, "fr", paris, date(2026, 11, 28)).endswith(
        ">29\u00a0nov.\u00a02026, 0\u00a0h\u00a030</time>"
    )


def test_pages_and_vault_messages_say_a_time_alike() -> None:
    """``vault.clock_text`` (mails) and the pages' filters give the same words."""
    from vault.clock_text import clock_text, hhmm_text

    for hour, minute in ((0, 5), (4, 43), (12, 0), (19, 15)):
        at = datetime(2026, 12, 1, hour, minute, tzinfo=UTC)
        for lang in ("fr", "en"):
            page = local_dates.short_time(at, UTC, lang).split(", ")[1]
            assert page == clock_text(hour, minute, lang)
            assert hhmm_text(f"{hour:02d}:{minute:02d}", lang) == page

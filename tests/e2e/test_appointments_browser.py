"""Issue 15's appointments journey, in real Chromium through uvicorn.

The member gives the practice an appointment form (the built-in appointment template,
started and saved in the template editor of the instructions page, under the team key) and
appointment hours for Dr Martin; the secretary books a slot for a caller from her desk; the
member confirms it on the agenda, which shows it at the time booked in the practice's zone
and exports it as an .ics file made in the browser, read back here with the ``icalendar``
package; the secretary sees the confirmation; a second booking of the same slot shows the
conflict before anything is sent, and nothing is deposited.
"""

from __future__ import annotations

import re
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import icalendar
from playwright.sync_api import Browser, Page

from tests.browser.conftest import chromium  # noqa: F401 - fixture
from tests.e2e.desk_site import (  # noqa: F401 - fixture
    MEMBER,
    SECRETARY,
    DeskSite,
    deposited_items,
    desk_site,
)
from tests.e2e.page_checks import PHONE, check_page

SLOW = 30_000
CALLER = "Mme Durand-Qx7"
# Long, accented, with ";" and ",": the .ics line is folded and escaped, and read back whole.
REASON = "Douleur au genou; depuis lundi, suivi — kinésithérapie prévue, à revoir après l'IRM"
DECLINED = "Le docteur est en formation ce matin-là."
# What the editor saved, read back as the desk reads it (verified, decrypted): the desk's
# appointment tab takes the template whose origin is "appointment".
SAVED_TEMPLATES = """async () => {
  const forms = await import("/static/js/app/forms/index.js");
  const practiceId = document.getElementById("instructions").dataset.practiceId;
  const { body } = await forms.loadTemplates(practiceId);
  return body.templates.map((t) => ({ origin: t.origin, archived: t.archived,
    fields: forms.latestVersion(t).fields.map((f) => f.id) }));
}"""


def _nowhere_on_the_server(site: DeskSite, *texts: str) -> None:
    """Neither in a request body the server received, its logs, nor its database."""

    def dump(conn: Any) -> list[bytes]:
        tables = [r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type='table'")]
        return [
            value if isinstance(value, bytes) else str(value).encode()
            for table in tables
            for row in conn.execute(f'SELECT * FROM "{table}"')  # noqa: S608 - schema names
            for value in row
        ]

    stored = site.env.db.read(dump)
    for text in texts:
        needle = text.encode()
        assert not any(needle in body for body in site.recorder.bodies), text
        assert not any(text in line for line in site.logs.lines), text
        assert not any(needle in value for value in stored), text


def _next_thursday(zone: ZoneInfo) -> date:
    today = datetime.now(zone).date()
    return today + timedelta(days=(3 - today.weekday()) % 7 or 7)


def _clean(page: Page) -> None:
    assert page.evaluate("window.__cspViolations") == []


def _practice_setup(site: DeskSite, page: Page) -> None:
    page.goto(f"{site.base_url}/practice/instructions")
    page.wait_for_selector("#instructions[data-ready=true]", timeout=SLOW)
    # The appointment form: the member starts from the built-in appointment template in
    # the template editor and saves it, by keyboard and clicks as a person would.
    page.wait_for_selector("[data-form-templates][data-ready=true]", timeout=SLOW)
    templates = page.locator("[data-form-templates]")
    templates.get_by_label("Start from").select_option("appointment")
    templates.get_by_role("button", name="New form template", exact=True).click()
    editor = templates.locator("[data-template-editor]")
    assert editor.is_visible()
    assert editor.locator("[data-prop=name]").first.input_value() == "Appointment"
    editor.get_by_role("button", name="Encrypt, sign and save", exact=True).click()
    page.wait_for_selector("[data-template-editor][data-saved]", timeout=SLOW)
    page.wait_for_selector("[data-template-list] li[data-template-id]", timeout=SLOW)
    assert editor.locator("[data-error]").inner_text() == ""
    assert "version 1" in editor.locator("[data-status]").inner_text()
    assert "Appointment" in page.inner_text("[data-template-list] li[data-template-id]")
    assert page.evaluate(SAVED_TEMPLATES) == [
        {
            "origin": "appointment",
            "archived": False,
            "fields": [
                "person",
                "contact",
                "practitioner",
                "date",
                "time",
                "duration",
                "reason",
                "visit",
            ],
        }
    ]
    closures = "#doc-4"
    page.click(f"{closures} [data-add=availability]")
    row = f"{closures} [data-list=availability] [data-row]"
    page.fill(f"{row} [data-key=practitioner]", "Dr Martin")
    page.check(f"{row} input[data-key=days][value=thu]")
    page.fill(f"{row} [data-key=from]", "09:00")
    page.fill(f"{row} [data-key=to]", "12:00")
    page.fill(f"{row} [data-key=minutes]", "30")
    before = page.get_attribute(closures, "data-saved")
    page.click(f"{closures} button[type=submit]")
    page.wait_for_function(
        "([sel, before]) => { const f = document.querySelector(sel);"
        " return f.dataset.saved && f.dataset.saved !== before; }",
        arg=[closures, before],
        timeout=SLOW,
    )


def _desk(site: DeskSite, page: Page) -> None:
    url = f"{site.base_url}/desk#practice={site.practice_id}"
    if page.url == url:
        page.reload()  # the same address with a fragment would not load the page again
    else:
        page.goto(url)
    page.wait_for_selector(
        f"#desk-appointment[data-ready='{site.practice_id}']", state="attached", timeout=SLOW
    )


def _fill(page: Page, day: str) -> None:
    form = "#appointment-form"
    page.fill(f"{form} [data-form-field=person] [data-input]", CALLER)
    page.fill(f"{form} [data-form-field=contact] [data-input]", "06 12 34 56 78")
    page.fill(f"{form} [data-form-field=practitioner] [data-input]", "Dr Martin")
    page.fill(f"{form} [data-form-field=date] [data-input]", day)
    page.fill(f"{form} [data-form-field=reason] [data-input]", REASON)
    page.select_option(f"{form} [data-form-field=visit] [data-input]", "Follow-up")


def test_book_confirm_agenda_ics_and_conflict(
    desk_site: DeskSite,  # noqa: F811
    chromium: Browser,  # noqa: F811
    tmp_path: Path,
) -> None:
    site = desk_site
    zone = ZoneInfo(site.settings.timezone)
    thursday = _next_thursday(zone)
    day = thursday.isoformat()
    member = site.page(chromium, MEMBER)
    _practice_setup(site, member)

    # The secretary books the 10:30 slot the desk offers for Dr Martin that Thursday.
    secretary = site.page(chromium, SECRETARY)
    _desk(site, secretary)
    _fill(secretary, day)
    slots = secretary.locator("#appointment-form [data-slot]")
    assert slots.count() == 6  # 09:00 … 11:30, 30 minutes each
    secretary.click("#appointment-form [data-slot='10:30']")
    assert secretary.input_value("[data-form-field=time] [data-input]") == "10:30"
    assert secretary.input_value("[data-form-field=duration] [data-input]") == "30"
    assert secretary.inner_text("[data-appointment-conflict]") == ""
    items = deposited_items(site)
    secretary.click("#appointment-form button[type=submit]")
    secretary.wait_for_selector("#appointment-form[data-booked]", timeout=SLOW)
    assert deposited_items(site) == items + 1
    secretary.wait_for_selector("[data-appointment-outcomes] [data-status=requested]", timeout=SLOW)
    assert CALLER in secretary.inner_text("[data-appointment-outcomes]")  # her own label
    _clean(secretary)

    # The member confirms it on the agenda: shown at 10:30 on that Thursday.
    member.goto(f"{site.base_url}/practice/agenda#day={day}")
    member.wait_for_selector("#agenda[data-agenda-ready]", timeout=SLOW)
    # One appointment: the count agrees with its noun ("1 appointment", not "1 appointments").
    assert member.inner_text("#agenda p.status[data-status]") == (
        "1 appointment decrypted in this browser."
    )
    waiting = member.locator("[data-agenda-requested] [data-appointment]")
    assert waiting.count() == 1 and CALLER in waiting.inner_text()
    waiting.locator("[data-confirm]").click()
    member.wait_for_selector(
        f"[data-agenda-days] [data-day='{day}'] [data-status=confirmed]", timeout=SLOW
    )
    shown = member.locator(f"[data-day='{day}'] [data-appointment]")
    assert shown.get_attribute("data-status") == "confirmed"
    assert shown.locator("[data-time]").get_attribute("data-time") == f"{day}T10:30"
    assert "10:30" in shown.inner_text() and CALLER in shown.inner_text()
    # At 360 px the week is one column: nothing scrolls sideways.
    member.set_viewport_size({"width": 360, "height": 740})
    wide = "document.documentElement.scrollWidth - document.documentElement.clientWidth"
    assert member.evaluate(wide) <= 0

    # The .ics export, made in the browser, read back by a calendar parser.
    with member.expect_download() as download:
        member.click("[data-agenda-ics]")
    path = tmp_path / "agenda.ics"
    download.value.save_as(path)
    raw = path.read_bytes()
    assert b"\r\n" in raw and b"\n" not in raw.replace(b"\r\n", b"")
    calendar = icalendar.Calendar.from_ical(raw)
    [event] = calendar.walk("VEVENT")
    start = event.decoded("DTSTART")
    assert start.astimezone(zone).replace(tzinfo=None) == datetime(
        thursday.year, thursday.month, thursday.day, 10, 30
    )
    assert event.decoded("DTEND") - start == timedelta(minutes=30)
    assert str(event.get("SUMMARY")).startswith(CALLER)
    assert str(event.get("DESCRIPTION")) == f"{REASON}\n06 12 34 56 78"
    assert max(len(line) for line in raw.split(b"\r\n")) <= 75  # folded at 75 octets
    assert str(event.get("STATUS")) == "CONFIRMED"
    _clean(member)

    # The secretary sees the practice's answer, and a second booking of 10:30 is refused
    # before anything is sent.
    _desk(site, secretary)
    secretary.wait_for_selector("[data-appointment-outcomes] [data-status=confirmed]", timeout=SLOW)
    _fill(secretary, day)
    assert secretary.locator("#appointment-form [data-slot='10:30']").count() == 0  # taken
    secretary.fill("[data-form-field=time] [data-input]", "10:45")
    conflict = secretary.inner_text("[data-appointment-conflict]")
    assert "already taken" in conflict and "Dr Martin" in conflict
    # The confirmed slot is told by its start and end, not by its length.
    assert "from 10:30\u00a0am to 11:00\u00a0am." in conflict and "min)" not in conflict
    items = deposited_items(site)
    secretary.click("#appointment-form button[type=submit]")
    assert "already taken" in secretary.inner_text("#appointment-form [data-error]")
    assert deposited_items(site) == items
    # The caller's wish may still go to the practice as a request, which it decides.
    secretary.check("#appointment-form input[name=appointment_mode][value=request]")
    secretary.click("#appointment-form button[type=submit]")
    secretary.wait_for_function(
        "() => document.querySelectorAll('[data-appointment-outcomes] [data-status=requested]')"
        ".length === 1",
        timeout=SLOW,
    )
    assert deposited_items(site) == items + 1
    assert site.errors(secretary) == [] and site.errors(member) == []
    _nowhere_on_the_server(site, CALLER, "Douleur au genou", "06 12 34 56 78")


def _book(page: Page, day: str, time: str, *, request: bool = False) -> None:
    _fill(page, day)
    if request:
        page.check("#appointment-form input[name=appointment_mode][value=request]")
    page.fill("[data-form-field=time] [data-input]", time)
    page.fill("[data-form-field=duration] [data-input]", "30")
    before = page.get_attribute("#appointment-form", "data-booked")
    page.click("#appointment-form button[type=submit]")
    page.wait_for_function(
        "before => { const b = document.getElementById('appointment-form').dataset.booked;"
        " return b && b !== before; }",
        arg=before,
        timeout=SLOW,
    )


def test_a_request_moved_and_another_declined_reach_the_desk(
    desk_site: DeskSite,  # noqa: F811
    chromium: Browser,  # noqa: F811
) -> None:
    site = desk_site
    day = _next_thursday(ZoneInfo(site.settings.timezone)).isoformat()
    member = site.page(chromium, MEMBER)
    _practice_setup(site, member)
    secretary = site.page(chromium, SECRETARY, width=360, height=740)
    _desk(site, secretary)
    secretary.click("#desk-tab-appointment")
    _book(secretary, day, "09:00", request=True)
    _book(secretary, day, "09:30")

    member.goto(f"{site.base_url}/practice/agenda#day={day}")
    member.wait_for_selector("#agenda[data-agenda-ready]", timeout=SLOW)
    first = member.locator("[data-agenda-requested] [data-appointment]").first
    assert first.locator("[data-request-mode]").count() == 1  # taken as a request
    first.locator("[data-move-time]").fill("11:00")
    first.locator("[data-move]").click()
    member.wait_for_selector(f"[data-day='{day}'] [data-status=moved]", timeout=SLOW)
    moved = member.locator(f"[data-day='{day}'] [data-status=moved] [data-time]")
    assert moved.get_attribute("data-time") == f"{day}T11:00"
    second = member.locator("[data-agenda-requested] [data-appointment]").first
    second.locator("[data-decline-reason]").fill(DECLINED)
    second.locator("[data-decline]").click()
    member.wait_for_selector("[data-agenda-requested] p.hint", timeout=SLOW)  # none waiting
    assert member.locator(f"[data-day='{day}'] [data-status=declined]").count() == 0
    member.set_viewport_size(PHONE)  # type: ignore[arg-type]
    check_page(member)  # the week with an appointment in it, on a phone
    _clean(member)

    # On her phone the secretary reads both answers under the form, and 11:00 is now taken.
    _desk(site, secretary)
    secretary.click("#desk-tab-appointment")
    outcomes = "[data-appointment-outcomes]"
    secretary.wait_for_selector(f"{outcomes} [data-status=moved] [data-answer]", timeout=SLOW)
    assert "11:00" in secretary.inner_text(f"{outcomes} [data-status=moved] [data-answer]")
    decided = secretary.inner_text(f"{outcomes} [data-status=moved] [data-decided]")
    assert decided.startswith(MEMBER) and re.search(r"\d{1,2}:\d\d\u00a0[ap]m$", decided)
    declined = secretary.inner_text(f"{outcomes} [data-status=declined] [data-answer]")
    assert declined == DECLINED
    _fill(secretary, day)
    offered = secretary.locator("#appointment-form [data-slot]").evaluate_all(
        "buttons => buttons.map(b => b.dataset.slot)"
    )
    assert "11:00" not in offered and "09:30" in offered  # a declined one holds no slot
    check_page(secretary)  # the filled form and its slots on a phone: keyboard, targets, axe
    _clean(secretary)
    assert site.errors(secretary) == [] and site.errors(member) == []
    _nowhere_on_the_server(site, CALLER, DECLINED, "New time")

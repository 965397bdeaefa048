"""Issue 13's instructions journey, in real Chromium through uvicorn: a member writes the
practice's instructions (card with its dialled line, a call rule with its fields, custom
fields, a closure today, an on-call entry), encrypted in the browser under the team key;
the assigned secretary, opened by a softphone URL on that line, sees them beside the form
(on call now, today's closure, the chosen rule and its fields) and deposits a call note
with the custom fields filled; the member sees those fields on the item page."""

from __future__ import annotations

import re
import uuid
from datetime import date, datetime
from zoneinfo import ZoneInfo

from playwright.sync_api import Browser, Page

from tests.browser.conftest import chromium  # noqa: F401 - fixture
from tests.e2e.desk_site import (  # noqa: F401 - fixture
    MEMBER,
    SECRETARY,
    DeskSite,
    desk_site,
)
from web.local_dates import short_date

FORM = "#call-note-form"
CANARY = "CANARY-dk72Lq"


def _save(page: Page, form: str) -> None:
    before = page.get_attribute(form, "data-saved")
    page.click(f"{form} button[type=submit]")
    page.wait_for_function(
        "([sel, before]) => { const f = document.querySelector(sel);"
        " return f.dataset.saved && f.dataset.saved !== before; }",
        arg=[form, before],
        timeout=30_000,
    )
    assert page.inner_text(f"{form} [data-error]") == ""


def _write_instructions(site: DeskSite, page: Page, today: str) -> None:
    page.goto(f"{site.base_url}/practice/instructions")
    page.wait_for_selector("#instructions[data-ready=true]", timeout=30_000)
    card = "#doc-1"
    page.fill(f"{card} [data-key=what_to_say]", f"Cabinet fermé le jeudi après-midi {CANARY}")
    page.fill(f"{card} [data-key=address]", "1 rue de la Paix, Paris")
    page.click(f"{card} [data-add=practitioners]")
    page.fill(f"{card} [data-list=practitioners] [data-key=name]", "Dr Martin")
    page.fill(f"{card} [data-list=practitioners] [data-key=role]", "médecine générale")
    page.click(f"{card} [data-add=lines]")
    page.fill(f"{card} [data-list=lines] [data-key=number]", "01 23 45 67 89")
    _save(page, card)

    rules = "#doc-2"
    page.click(f"{rules} [data-add=rules]")
    page.fill(f"{rules} [data-list=rules] [data-key=name]", "Urgence")
    page.fill(
        f"{rules} [data-list=rules] [data-key=instructions]", "Dire à l'appelant de composer le 15"
    )
    page.fill(f"{rules} [data-list=rules] [data-key=fields]", "Symptômes\nDepuis quand")
    _save(page, rules)

    fields = "#doc-3"
    page.click(f"{fields} [data-add=fields]")
    page.fill(
        f"{fields} [data-list=fields] [data-row]:nth-child(1) [data-key=label]", "Carte Vitale"
    )
    page.select_option(
        f"{fields} [data-list=fields] [data-row]:nth-child(1) [data-key=type]", "yes_no"
    )
    page.click(f"{fields} [data-add=fields]")
    page.fill(
        f"{fields} [data-list=fields] [data-row]:nth-child(2) [data-key=label]", "Médecin traitant"
    )
    _save(page, fields)

    closures = "#doc-4"
    page.click(f"{closures} [data-add=closures]")
    page.fill(f"{closures} [data-list=closures] [data-key=from]", today)
    page.fill(f"{closures} [data-list=closures] [data-key=to]", today)
    page.fill(f"{closures} [data-list=closures] [data-key=who]", "Dr Martin")
    page.fill(f"{closures} [data-list=closures] [data-key=replacement]", "Dr Durand")
    _save(page, closures)

    oncall = "#doc-5"
    page.click(f"{oncall} [data-add=entries]")
    for box in page.locator(f"{oncall} [data-list=entries] input[type=checkbox]").all():
        box.check()
    page.fill(f"{oncall} [data-list=entries] [data-key=name]", "Dr Garde")
    page.fill(f"{oncall} [data-list=entries] [data-key=phone]", "06 00 00 00 15 ou 07 11 22 33 44")
    _save(page, oncall)

    # A second revision of the card: the history names the member for both.
    page.fill(f"{card} [data-key=opening_hours]", "8 h à 19 h")
    _save(page, card)
    history = page.locator(f"{card} [data-history-list] li")
    assert history.count() == 2
    lines = history.all_text_contents()  # inside a closed <details>
    assert all(MEMBER in line for line in lines), lines
    # When each revision was stored, in the short form ("2 Dec 2026, 2:19 am"), never "02:19".
    short = r"\d{1,2}\u00a0\S+\u00a02\d{3}, \d{1,2}(:\d\d\u00a0[ap]m|\u00a0h\u00a0\d\d)"
    assert all(re.search(short, line) for line in lines), lines
    # After a reload the editor shows what was saved.
    page.reload()
    page.wait_for_selector("#instructions[data-ready=true]", timeout=30_000)
    assert page.input_value(f"{card} [data-list=lines] [data-key=number]") == "01 23 45 67 89"
    assert page.input_value(f"{rules} [data-list=rules] [data-key=name]") == "Urgence"


def test_instructions_beside_the_call_and_custom_fields_to_the_practice(
    desk_site: DeskSite,  # noqa: F811
    chromium: Browser,  # noqa: F811
) -> None:
    site = desk_site
    today = datetime.now(ZoneInfo(site.settings.timezone)).date().isoformat()
    member = site.page(chromium, MEMBER)
    _write_instructions(site, member, today)

    # The softphone opens the desk on the dialled line, written another way.
    sec = site.page(chromium, SECRETARY)
    sec.goto(f"{site.base_url}/desk#from=0611223344&to=%2B33123456789")
    sec.wait_for_selector("#desk[data-ready=true]", timeout=30_000)
    sec.wait_for_selector(f"#desk[data-instructions-shown='{site.practice_id}']")
    assert sec.input_value(f"{FORM} input[name=callback_number]") == "0611223344"
    assert sec.get_attribute("[data-timer-display]", "data-running") == "true"
    assert "Dr Garde" in sec.inner_text("[data-oncall-now]")
    # Only the first number is dialled, and the link says exactly which (fix-links).
    call = sec.locator("[data-oncall-person] a")
    assert call.get_attribute("href") == "tel:0600000015"
    assert call.inner_text() == "06 00 00 00 15"
    assert "06 00 00 00 15 ou 07 11 22 33 44" in sec.inner_text("[data-oncall-person]")
    assert "Dr Martin" in sec.inner_text("[data-closures-today]")
    assert "Dr Durand" in sec.inner_text("[data-closures-today]")
    # The closure's day in the short date form ("1 Dec 2026"), not ISO.
    closed = sec.inner_text("[data-closures-today]")
    day = date.fromisoformat(today)
    assert short_date(day, "en") in closed or short_date(day, "fr") in closed, closed
    assert today not in closed, closed
    assert CANARY in sec.inner_text("[data-card]")
    assert sec.locator("#desk-instructions [data-signed-by]").count() >= 1
    # Both panes side by side on a desktop.
    assert sec.is_visible("#desk-instructions") and sec.is_visible("#desk-call")

    sec.select_option(f"{FORM} select[name=call_type]", label="Urgence")
    assert "composer le 15" in sec.inner_text("[data-chosen-rule]")
    sec.fill(f"{FORM} input[name=caller_name]", f"Jeanne {CANARY}")
    sec.fill(f"{FORM} input[name=reason]", "Douleur thoracique")
    sec.fill(f"{FORM} [data-rule-fields] input >> nth=0", f"oppression {CANARY}")
    sec.select_option(f"{FORM} [data-custom-fields] select >> nth=0", "yes")
    sec.fill(f"{FORM} [data-custom-fields] input >> nth=0", f"Dr Martin {CANARY}")
    sec.check(f"{FORM} input[name=urgency][value=urgent]")
    sec.keyboard.press("Control+Enter")
    sec.wait_for_selector(f"{FORM}[data-deposited]", timeout=30_000)
    note_id = sec.get_attribute(FORM, "data-deposited")
    assert note_id and uuid.UUID(note_id).version == 7  # the desk draws time-ordered ids too
    # Ready for the next call: no call type, its rule and fields gone, custom fields empty.
    assert sec.input_value(f"{FORM} select[name=call_type]") == ""
    assert sec.locator("[data-chosen-rule]").count() == 0
    assert sec.locator(f"{FORM} [data-rule-fields] input").count() == 0
    assert sec.input_value(f"{FORM} [data-custom-fields] input >> nth=0") == ""
    assert site.errors(sec) == []

    member.goto(f"{site.base_url}/items/{note_id}")
    member.wait_for_selector("#item[data-decrypted=true]", timeout=30_000)
    shown = member.inner_text("[data-custom-fields-shown]")
    assert "Carte Vitale" in shown and "Médecin traitant" in shown
    assert f"Dr Martin {CANARY}" in shown
    assert f"oppression {CANARY}" in shown and "Symptômes" in shown
    assert member.inner_text("[data-custom-field=call_type]") == "Urgence"
    assert member.evaluate("window.__cspViolations") == []

    # On a phone, with the instructions shown: tabs, nothing wider than the screen.
    phone = sec
    phone.set_viewport_size({"width": 360, "height": 740})
    phone.goto(f"{site.base_url}/desk")
    phone.wait_for_selector(f"#desk[data-instructions-shown='{site.practice_id}']")
    phone.click("#desk-tab-instructions")
    assert phone.is_visible("[data-oncall-now]")
    overflow = "document.documentElement.scrollWidth - document.documentElement.clientWidth"
    assert phone.evaluate(overflow) <= 0
    phone.click("#desk-tab-call")
    assert phone.evaluate(overflow) <= 0
    member.set_viewport_size({"width": 360, "height": 740})
    member.goto(f"{site.base_url}/practice/instructions")
    member.wait_for_selector("#instructions[data-ready=true]", timeout=30_000)
    assert member.evaluate(overflow) <= 0

    # The canary never reached the server in clear.
    assert not any(CANARY.encode() in body for body in site.recorder.bodies)
    assert not any(CANARY in line for line in site.logs.lines)

"""Issue 13's first "Done when", in real Chromium through uvicorn, end to end.

A member writes instructions with a custom field and an on-call entry; the assigned
secretary sees them beside the form on her desk and deposits a call note with the custom
field filled; the member sees that field; the member sends a request; the secretary takes
it on her desk and marks it done with a note; the member sees who did it and when; the
member replies to the note and the secretary sees the reply. Nothing typed reaches the
server in clear.
"""

from __future__ import annotations

import re

from playwright.sync_api import Browser, Page, expect

from tests.browser.conftest import chromium  # noqa: F401 - fixture
from tests.e2e.desk_site import (  # noqa: F401 - fixture
    MEMBER,
    SECRETARY,
    DeskSite,
    desk_site,
)

FORM = "#call-note-form"
SLOW = 30_000
CANARY = "CANARY-jr51Wd"
TASK = f"Prévenir les patients de cet après-midi : 30 minutes de retard {CANARY}"
NOTE = f"Les 4 patients prévenus par téléphone {CANARY}"
ANSWER = f"Merci beaucoup {CANARY}"


def _save(page: Page, form: str) -> None:
    before = page.get_attribute(form, "data-saved") or ""
    page.click(f"{form} button[type=submit]")
    expect(page.locator(f"{form}[data-saved]:not([data-saved='{before}'])")).to_have_count(
        1, timeout=SLOW
    )
    assert page.inner_text(f"{form} [data-error]") == ""


def _clean(site: DeskSite, page: Page) -> None:
    assert page.evaluate("window.__cspViolations") == []
    assert site.errors(page) == []


def test_instructions_a_call_a_request_done_and_answered(
    desk_site: DeskSite,  # noqa: F811
    chromium: Browser,  # noqa: F811
) -> None:
    site = desk_site
    # 1. The member writes instructions: a custom field and an on-call entry.
    member = site.page(chromium, MEMBER)
    member.goto(f"{site.base_url}/practice/instructions")
    member.wait_for_selector("#instructions[data-ready=true]", timeout=SLOW)
    fields = "#doc-3"
    member.click(f"{fields} [data-add=fields]")
    member.fill(f"{fields} [data-list=fields] [data-key=label]", "Mutuelle")
    _save(member, fields)
    oncall = "#doc-5"
    member.click(f"{oncall} [data-add=entries]")
    for box in member.locator(f"{oncall} [data-list=entries] input[type=checkbox]").all():
        box.check()
    member.fill(f"{oncall} [data-list=entries] [data-key=name]", "Dr Garde")
    member.fill(f"{oncall} [data-list=entries] [data-key=phone]", "06 00 00 00 15")
    _save(member, oncall)
    _clean(site, member)

    # 2. The secretary sees them beside the form and deposits with the custom field.
    sec = site.page(chromium, SECRETARY)
    sec.goto(f"{site.base_url}/desk")
    sec.wait_for_selector(f"#desk[data-instructions-shown='{site.practice_id}']", timeout=SLOW)
    assert "Dr Garde" in sec.inner_text("[data-oncall-now]")
    assert sec.is_visible("#desk-instructions") and sec.is_visible("#desk-call")
    assert "Mutuelle" in sec.inner_text(f"{FORM} [data-custom-fields]")
    sec.fill(f"{FORM} input[name=caller_name]", f"Jeanne {CANARY}")
    sec.fill(f"{FORM} input[name=reason]", "Renouvellement d'ordonnance")
    sec.fill(f"{FORM} [data-custom-fields] input >> nth=0", f"MGEN {CANARY}")
    sec.keyboard.press("Control+Enter")
    sec.wait_for_selector(f"{FORM}[data-deposited]", timeout=SLOW)
    note_id = sec.get_attribute(FORM, "data-deposited")
    _clean(site, sec)

    # 3. The member sees the field on the item.
    member.goto(f"{site.base_url}/items/{note_id}")
    member.wait_for_selector("#item[data-decrypted=true]", timeout=SLOW)
    shown = member.inner_text("[data-custom-fields-shown]")
    assert "Mutuelle" in shown and f"MGEN {CANARY}" in shown

    # 4. The member sends a request.
    member.goto(f"{site.base_url}/practice/requests")
    member.wait_for_selector("[data-requests-panel][data-panel-state=ready]", timeout=SLOW)
    member.fill("[data-request-text]", TASK)
    member.click("[data-request-form] button[type=submit]")
    member.wait_for_selector("[data-request][data-status=open]", timeout=SLOW)
    _clean(site, member)

    # 5. The secretary takes it on her desk and marks it done with a note.
    sec.goto(f"{site.base_url}/desk")
    sec.wait_for_selector(f"#desk[data-instructions-shown='{site.practice_id}']", timeout=SLOW)
    panel = "#desk-requests"
    sec.wait_for_selector(f"{panel}[data-panel-state=ready] [data-request]", timeout=SLOW)
    assert TASK in sec.inner_text(f"{panel} [data-request-text]")
    sec.click(f"{panel} [data-request][data-status=open] [data-take]")
    sec.wait_for_selector(f"{panel} [data-request][data-status=taken]", timeout=SLOW)
    sec.fill(f"{panel} [data-done-form] [data-done-note]", NOTE)
    sec.click(f"{panel} [data-done-form] button[type=submit]")
    sec.wait_for_selector(f"{panel} [data-request][data-status=done]", timeout=SLOW)
    _clean(site, sec)

    # 6. The member sees who did it and when, and answers the note.
    member.reload()
    done = "[data-request][data-status=done]"
    member.wait_for_selector(f"{done} [data-thread-state=ready]", timeout=SLOW)
    state = member.inner_text(f"{done} [data-request-state]")
    assert re.search(rf"taken by {SECRETARY} on .+ · done by {SECRETARY} on .+\d", state), state
    assert member.inner_text(f"{done} [data-reply-text]") == NOTE
    member.fill(f"{done} [data-reply-input]", ANSWER)
    member.click(f"{done} [data-reply-form] button[type=submit]")
    expect(member.locator(f"{done} [data-reply-text]")).to_have_count(2, timeout=SLOW)
    _clean(site, member)

    # 7. The secretary sees the reply.
    sec.goto(f"{site.base_url}/desk")
    sec.wait_for_selector(f"{panel} {done} [data-thread-state=ready]", timeout=SLOW)
    assert sec.locator(f"{panel} {done} [data-reply-text]").all_inner_texts() == [NOTE, ANSWER]
    _clean(site, sec)

    # Nothing typed reached the server in clear.
    assert not any(CANARY.encode() in body for body in site.recorder.bodies)
    assert not any(CANARY in line for line in site.logs.lines)

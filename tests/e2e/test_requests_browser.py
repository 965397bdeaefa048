"""Requests and replies in real Chromium through uvicorn.

A member writes a request on /practice/requests (sealed in her browser under the team
key, which her browser makes); the secretary sees it on /requests, takes it; her
colleague is told who took it; she marks it done with a note; the member sees who took
it, when, who did it and when, reads the note and answers; the secretary reads the
answer. On an item, the member answers and the secretary who deposited it reads the
thread on her deposits page, where she writes a label only she can read.
"""

from __future__ import annotations

import re
from datetime import datetime
from zoneinfo import ZoneInfo

from playwright.sync_api import Browser, Page, expect

from tests.browser.conftest import chromium  # noqa: F401 - fixture
from tests.e2e.requests_site import (  # noqa: F401 - fixture
    COLLEAGUE,
    MEMBER,
    SECRETARY,
    SLOW,
    RequestsSite,
    requests_site,
)
from web.local_dates import short_time

TASK = "Rappeler Mme X pour décaler son rendez-vous de jeudi"
NOTE = "Mme X rappelée, RDV déplacé à vendredi 10 h"
ANSWER = "Merci, parfait"


def _clean(site: RequestsSite, page: Page) -> None:
    assert page.evaluate("window.__cspViolations") == []
    assert site.page_errors(page) == []


def _panel(page: Page, url: str) -> None:
    page.goto(url)
    page.wait_for_selector("[data-requests-panel][data-panel-state=ready]", timeout=SLOW)


def test_a_request_taken_done_and_answered(
    requests_site: RequestsSite,  # noqa: F811
    chromium: Browser,  # noqa: F811
) -> None:
    site = requests_site
    member = site.page(chromium, MEMBER)
    _panel(member, site.base_url + "/practice/requests")
    member.fill("[data-request-text]", TASK)
    member.fill("[data-request-due]", "2026-12-03T14:00")
    member.click("[data-request-form] button[type=submit]")
    member.wait_for_selector("[data-request][data-status=open]", timeout=SLOW)
    assert TASK in member.inner_text("[data-request] [data-request-text]")
    _clean(site, member)

    secretary = site.page(chromium, SECRETARY)
    _panel(secretary, site.base_url + "/requests")
    card = secretary.locator("[data-request][data-status=open]")
    assert (
        TASK in card.inner_text() and "Due: 3\u00a0Dec\u00a02026, 2:00\u00a0pm" in card.inner_text()
    )
    card.locator("[data-take]").click()
    secretary.wait_for_selector("[data-request][data-status=taken]", timeout=SLOW)

    colleague = site.page(chromium, COLLEAGUE, width=360)
    _panel(colleague, site.base_url + "/requests")
    taken = colleague.locator("[data-request][data-status=taken]")
    assert "sophie.requests" in taken.inner_text()
    assert taken.locator("[data-take]").count() == 0
    assert taken.locator("[data-done-form]").count() == 0  # not hers to mark done
    wide = "document.documentElement.scrollWidth - document.documentElement.clientWidth"
    assert colleague.evaluate(wide) <= 0  # 360 px wide: nothing scrolls sideways

    secretary.fill("[data-done-form] [data-done-note]", NOTE)
    secretary.click("[data-done-form] button[type=submit]")
    secretary.wait_for_selector("[data-request][data-status=done]", timeout=SLOW)
    _clean(site, secretary)

    member.reload()
    member.wait_for_selector(
        "[data-request][data-status=done] [data-thread-state=ready]", timeout=SLOW
    )
    state = member.inner_text("[data-request] [data-request-state]")
    assert re.search(r"taken by sophie\.requests on .+ · done by sophie\.requests on ", state), (
        state
    )
    # Times in the short form the server writes ("2 Dec 2026, 2:20 am"), in the page's zone.
    short = r"\d{1,2}\u00a0[A-Z][a-z]{2}\u00a02\d{3}, \d{1,2}:\d\d\u00a0[ap]m"
    assert re.search(rf"taken by sophie\.requests on {short} · done by", state), state
    reply_time = member.locator("[data-request] [data-request-thread] li time").first.inner_text()
    assert re.fullmatch(short, reply_time), reply_time
    assert NOTE in member.inner_text("[data-request] [data-reply-text]")
    member.fill("[data-request] [data-reply-input]", ANSWER)
    member.click("[data-request] [data-reply-form] button[type=submit]")
    expect(member.locator("[data-request] [data-reply-text]")).to_have_count(2, timeout=SLOW)
    _clean(site, member)

    secretary.reload()
    secretary.wait_for_selector(
        "[data-request][data-status=done] [data-thread-state=ready]", timeout=SLOW
    )
    texts = secretary.locator("[data-request] [data-reply-text]").all_inner_texts()
    assert texts == [NOTE, ANSWER]
    _clean(site, secretary)
    for text in (TASK, NOTE, ANSWER):
        assert not any(text.encode() in body for body in site.site.recorder.bodies)


def test_a_reply_on_an_item_reaches_its_depositor_and_her_label_stays_hers(
    requests_site: RequestsSite,  # noqa: F811
    chromium: Browser,  # noqa: F811
) -> None:
    site = requests_site
    item_id = site.deposit()
    member = site.page(chromium, MEMBER)
    member.goto(f"{site.base_url}/items/{item_id}")
    member.wait_for_selector("#item-thread [data-thread-state=ready]", timeout=SLOW)
    member.fill("#item-thread [data-reply-input]", "rappelée, RDV pris lundi 9 h")
    member.click("#item-thread [data-reply-form] button[type=submit]")
    member.wait_for_selector("#item-thread [data-reply-text]", timeout=SLOW)
    _clean(site, member)

    secretary = site.page(chromium, SECRETARY, width=360)
    secretary.goto(site.base_url + "/workspace/deposits")
    row = secretary.locator(f"tr[data-item-id='{item_id}']")
    row.locator("[data-show-thread]").click()
    secretary.wait_for_selector(
        f"tr[data-item-id='{item_id}'] [data-thread-state=ready]", timeout=SLOW
    )
    assert "rappelée, RDV pris lundi 9 h" in row.locator("[data-reply-text]").inner_text()
    # The reply's time in the practice's zone (the page's), not UTC.
    stamp = row.locator("[data-thread] li time").first
    at = datetime.fromisoformat(str(stamp.get_attribute("datetime")).replace("Z", "+00:00"))
    assert stamp.inner_text() == short_time(at, ZoneInfo("Europe/Paris"), "en")
    trail = row.locator("[data-trail] li").all_inner_texts()
    assert trail[0].startswith("Deposited · sophie.requests")
    assert any(t.startswith("Read · dr.requests") for t in trail)
    # Her label: sealed in her browser, opened again after a reload.
    row.locator("[data-label-editor] summary").click()
    row.locator("[data-label-input]").fill("Mme L. — ordonnance")
    row.locator("[data-label-form] button[type=submit]").click()
    expect(row.locator("[data-label-form] [data-status]")).to_have_text(
        "Label saved.", timeout=SLOW
    )
    secretary.reload()
    secretary.wait_for_selector(f"tr[data-item-id='{item_id}'] [data-label-cell][data-opened=true]")
    assert row.locator("[data-label-text]").inner_text() == "Mme L. — ordonnance"
    assert not any(b"ordonnance" in body for body in site.site.recorder.bodies)
    _clean(site, secretary)

    # Her colleague, assigned to the same practice, does not get the thread.
    colleague = site.page(chromium, COLLEAGUE)
    status = colleague.request.get(f"{site.base_url}/items/{item_id}/replies").status
    assert status == 404

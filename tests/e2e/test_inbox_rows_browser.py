"""The inbox in real Chromium through uvicorn (issue 12, "Done when"):

- on a 390 px screen the member's inbox shows the demo-like notes' callers and reasons and a
  working ``tel:`` link, without opening any item and without changing any status; the
  access page then shows one "listed" entry for that page;
- a search for an accent-less, upper-case surname finds the item among 2,000 older ones,
  fetched in audited batches that never carry the query; the second search asks nothing;
- new items arrive by themselves, marked "New" and announced, without moving the reader's
  rows or focus; the urgent count follows in the navigation and the title.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator

import pytest
from playwright.sync_api import Browser, expect

from crypto.envelope import Urgency
from tests.browser.conftest import PageLog, chromium  # noqa: F401 - fixture
from tests.e2e.accounts_pages import assert_clean, open_tab
from tests.e2e.accounts_server import AccountsVault, accounts_vault_fixture  # noqa: F401
from tests.e2e.conftest import ARRANGE
from tests.e2e.inbox_site import (
    DEMO_NOTES,
    deposit_note,
    entries,
    listed_ids,
    seed_older,
    statuses,
)
from tests.e2e.trust_site import Practice, new_practice, sign_in_member
from tests.people import Person
from vault.env import Principal
from vault.identity.roles import Role
from vault.items import inbox
from web.routes import workspaces

ROWS_READY = "#inbox[data-rows-ready=true]"
# Records every text of the search status and whether the progress bar was ever shown.
_RECORD_STATUS = """() => {
  const status = document.querySelector("#search-form [data-status]");
  const bar = document.querySelector("[data-search-progress]");
  window.statusSeen = [];
  window.progressSeen = false;
  new MutationObserver(() => window.statusSeen.push(status.textContent)).observe(status, {
    childList: true, characterData: true, subtree: true });
  new MutationObserver(() => { if (!bar.hidden) window.progressSeen = true; }).observe(bar, {
    attributes: true });
}"""


@pytest.fixture
def practice(accounts_vault: AccountsVault) -> Practice:
    return new_practice(accounts_vault)


@pytest.fixture
def secretary(practice: Practice) -> Person:
    return practice.secretary("sophie", "Sophie Bernard")


@pytest.fixture
def phone_tab(chromium: Browser) -> Iterator[PageLog]:  # noqa: F811
    with open_tab(chromium) as tab:
        tab.page.set_viewport_size({"width": 390, "height": 844})
        yield tab


def _row(tab: PageLog, item_id: str):  # type: ignore[no-untyped-def]
    return tab.page.locator(f"[data-item-row][data-item-id='{item_id}']")


def test_the_phone_inbox_shows_who_called_why_and_a_tel_link_without_reading_anything(
    practice: Practice, secretary: Person, phone_tab: PageLog
) -> None:
    ids = {
        deposit_note(practice, secretary, caller, reason, number, urgency): (caller, reason)
        for caller, reason, number, urgency in DEMO_NOTES
    }
    message = practice.deposit_message(secretary, subject="Commande de vaccins")
    before = statuses(practice)
    assert set(before.values()) == {"new"}
    sign_in_member(phone_tab, practice)  # lands on the inbox
    page = phone_tab.page
    page.wait_for_selector(ROWS_READY)
    for item_id, (caller, reason) in ids.items():
        row = _row(phone_tab, item_id)
        expect(row.locator(".row-caller")).to_have_text(caller)
        expect(row.locator(".row-reason")).to_have_text(reason)
        expect(row).to_have_attribute("data-essentials", "shown")
    expect(_row(phone_tab, message).locator(".row-subject")).to_have_text("Commande de vaccins")
    (lefevre,) = [i for i, (c, _) in ids.items() if c == "Mme Lefèvre"]
    (dupont,) = [i for i, (c, _) in ids.items() if c == "M. Dupont"]
    call = _row(phone_tab, lefevre).locator("a[data-callback]")
    expect(call).to_have_attribute("href", "tel:0612345678")
    expect(call).to_contain_text("Call back")
    expect(_row(phone_tab, dupont).locator("a[data-callback]")).to_have_attribute(
        "href", "tel:+33123456789"
    )
    # The link is on the 390 px screen, big enough to tap, and a valid tel: URI.
    box = call.bounding_box()
    assert box is not None and box["x"] >= 0 and box["x"] + box["width"] <= 390
    assert box["height"] >= 44
    assert page.evaluate("(a) => new URL(a.href).protocol", call.element_handle()) == "tel:"
    # Urgency: colour, icon and words; in the title and the navigation.
    urgent_row = _row(phone_tab, lefevre)
    expect(urgent_row).to_have_class("row-urgent")
    expect(urgent_row.locator(".urgent-badge")).to_have_text("⚠ Urgent")
    assert page.title().startswith("(1 urgent item) Inbox")
    expect(page.locator("[data-nav-urgent]")).to_have_attribute("data-count", "1")
    # Listing is not reading: no status changed, nothing was opened, one entry for the page.
    assert statuses(practice) == before
    assert entries(practice, "item.read") == []
    (listed,) = entries(practice, "items.listed")
    assert sorted(listed_ids(listed)) == sorted([*ids, message])
    assert_clean(phone_tab)
    page.goto(practice.vault.base_url + "/practice/access")
    expect(page.locator("tr[data-access-kind=listed]")).to_have_count(1)
    expect(page.locator("tr[data-access-kind=listed] [data-access-count]")).to_have_attribute(
        "data-access-count", "4"
    )
    expect(page.locator("tr[data-access-kind=opened]")).to_have_count(0)
    assert_clean(phone_tab)
    # An envelope the operator altered shows a warning in its row, never an empty cell.
    (envelope,) = practice.row("SELECT envelope FROM item WHERE id = ?", dupont)
    altered = bytes(envelope[:-1]) + bytes([envelope[-1] ^ 1])
    practice.operator("UPDATE item SET envelope = ? WHERE id = ?", altered, dupont)
    page.goto(practice.vault.base_url + "/inbox")
    page.wait_for_selector(ROWS_READY)
    broken = _row(phone_tab, dupont)
    expect(broken).to_have_attribute("data-essentials", "unreadable")
    expect(broken.locator(".row-warning")).to_contain_text("could not be verified or decrypted")
    expect(broken.locator(".row-caller")).to_have_count(0)
    expect(_row(phone_tab, lefevre).locator(".row-caller")).to_have_text("Mme Lefèvre")


def test_a_search_for_lefevre_in_capitals_finds_her_among_2000_older_items(
    practice: Practice, secretary: Person, phone_tab: PageLog
) -> None:
    older = seed_older(practice, secretary, 2000, extra=1500)
    recent = deposit_note(practice, secretary, *DEMO_NOTES[0][:3], Urgency.NORMAL)
    before = statuses(practice)
    sign_in_member(phone_tab, practice)
    page = phone_tab.page
    page.wait_for_selector(ROWS_READY)
    recorder = practice.vault.recorder
    page.evaluate(_RECORD_STATUS)
    page.click("#inbox details.fold > summary")  # on a phone the search folds with the filters
    page.fill("#search-form [name=q]", "LEFEVRE")
    page.click("#search-form button[type=submit]")
    status = page.locator("#search-form [data-status]")
    expect(status).to_have_attribute("data-done", "1", timeout=60_000)
    # A progress indicator while the index builds: the bar, and the count as it grows.
    shown = page.evaluate("window.statusSeen")
    assert "Preparing the search: 500 of 2,001 items decrypted…" in shown, shown
    assert page.evaluate("window.progressSeen") is True
    expect(status).to_contain_text("2 items found among 2,001")
    found = page.locator("[data-result-list] [data-result-id]")
    expect(found).to_have_count(2)
    assert [found.nth(i).get_attribute("data-result-id") for i in range(2)] == [
        recent,
        older[1500],
    ]
    expect(found.nth(1)).to_contain_text("Mme Lefèvre-Durand")
    # Each result's time in the short form the server writes ("2 Dec 2026, 2:20 am").
    short = r"\d{1,2}\u00a0[A-Z][a-z]{2}\u00a02\d{3}, \d{1,2}:\d\d\u00a0[ap]m"
    assert re.search(short, found.nth(0).inner_text()), found.nth(0).inner_text()
    searches = recorder.posts("/inbox/search")
    assert len(searches) == 5  # 2,001 items in batches of 500
    # Each batch is one entry; neither the entries nor the requests carry the query.
    assert len(entries(practice, "items.searched")) == 5
    for request in searches:
        assert b"lefevre" not in request.body.lower()
    for entry in entries(practice, "items.searched"):
        assert "lefevre" not in json.dumps(entry).lower()
    # Later searches use the index: no request, and the results are paginated.
    page.fill("#search-form [name=q]", "patient")
    page.click("#search-form button[type=submit]")
    expect(status).to_have_attribute("data-done", "2")
    expect(found).to_have_count(20)
    expect(page.locator("[data-result-page]")).to_have_text("Page 1 of 100")
    page.click("[data-result-next]")
    expect(page.locator("[data-result-page]")).to_have_text("Page 2 of 100")
    assert len(recorder.posts("/inbox/search")) == 5
    assert int(str(page.locator("#inbox").get_attribute("data-search-ms"))) < 1000
    # The next page of rows (htmx "More") is decrypted too: one more listing entry.
    page.click("[data-more-row] a")
    expect(page.locator("[data-item-row][data-essentials=shown]")).to_have_count(100)
    assert [len(listed_ids(e)) for e in entries(practice, "items.listed")] == [50, 50]
    assert statuses(practice) == before
    assert_clean(phone_tab)


def test_new_items_arrive_marked_and_announced_without_moving_the_reader(
    practice: Practice,
    secretary: Person,
    phone_tab: PageLog,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(workspaces, "REFRESH_SECONDS", 1)
    seed_older(practice, secretary, 40)
    sign_in_member(phone_tab, practice)
    page = phone_tab.page
    page.wait_for_selector(ROWS_READY)
    # The reader is further down the page, on the "Open" link of the 20th row.
    item_id = page.locator("[data-item-row]").nth(20).get_attribute("data-item-id")
    reading = _row(phone_tab, str(item_id))
    reading.scroll_into_view_if_needed()
    page.mouse.wheel(0, 200)
    link = reading.locator("[data-open-link]")
    link.focus()
    top = reading.bounding_box()["y"]
    scrolled = page.evaluate("window.scrollY")
    assert scrolled > 0
    # Meanwhile a colleague handles another item, and a new urgent call comes in.
    other = str(page.locator("[data-item-row]").nth(3).get_attribute("data-item-id"))
    colleague = Principal(
        practice.member.account_id, practice.member.username, Role.MEMBER, practice.id
    )
    inbox.set_status(practice.vault.env, ARRANGE, colleague, other, "handled")
    new = deposit_note(
        practice, secretary, "M. Nouvel", "Douleur thoracique", "0611", Urgency.URGENT
    )
    arrived = _row(phone_tab, new)
    expect(arrived).to_have_attribute("data-arrived", "true", timeout=15_000)
    expect(arrived.locator("[data-new-badge]")).to_have_text("New")
    expect(arrived.locator(".row-caller")).to_have_text("M. Nouvel")
    expect(page.locator("[data-announce]")).to_have_text("1 new item, 1 urgent.")
    expect(page.locator("[data-nav-urgent]")).to_have_attribute("data-count", "1")
    expect(page).to_have_title("(1 urgent item) Inbox · Permanence")
    expect(_row(phone_tab, other)).to_have_attribute("data-status", "handled")
    expect(_row(phone_tab, other).locator("[data-handling-cell]")).to_contain_text("Handled")
    # Same row under the reader's eyes, same focus.
    assert page.evaluate("document.activeElement.closest('[data-item-row]').dataset.itemId") == (
        item_id
    )
    assert abs(reading.bounding_box()["y"] - top) <= 2
    assert page.evaluate("window.scrollY") > scrolled  # moved by the new row's height
    assert_clean(phone_tab)


def test_rows_that_arrive_by_the_refresh_show_their_handling_buttons(
    practice: Practice,
    secretary: Person,
    phone_tab: PageLog,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Before the fix the buttons of inserted rows and replaced status cells stayed hidden
    until a reload (handling.js applied only on enableActions and htmx:load)."""
    monkeypatch.setattr(workspaces, "REFRESH_SECONDS", 1)
    before = deposit_note(
        practice, secretary, "Mme Avant", "Ordonnance", "01 23 45 67 89 (18h)", Urgency.NORMAL
    )
    sign_in_member(phone_tab, practice)
    page = phone_tab.page
    page.wait_for_selector(ROWS_READY)
    expect(_row(phone_tab, before).locator("[data-acknowledge]")).to_be_visible()
    # "Call back" dials only the number, which is the link's text; the note follows as text.
    call = _row(phone_tab, before).locator("a[data-callback]")
    expect(call).to_have_attribute("href", "tel:0123456789")
    expect(call.locator(".row-number")).to_have_text("01 23 45 67 89")
    expect(_row(phone_tab, before).locator(".row-number-rest")).to_have_text("(18h)")
    colleague = Principal(
        practice.member.account_id, practice.member.username, Role.MEMBER, practice.id
    )
    inbox.set_status(practice.vault.env, ARRANGE, colleague, before, "acknowledged")
    new = deposit_note(practice, secretary, "M. Nouvel", "Rendez-vous", "0611", Urgency.NORMAL)
    arrived = _row(phone_tab, new)
    expect(arrived).to_have_attribute("data-arrived", "true", timeout=15_000)
    expect(arrived.locator("[data-acknowledge]")).to_be_visible()
    expect(arrived.locator("[data-mark-handled]")).to_be_visible()
    replaced = _row(phone_tab, before)
    expect(replaced).to_have_attribute("data-status", "acknowledged", timeout=15_000)
    expect(replaced.locator("[data-mark-handled]")).to_be_visible()
    # And they work: the new row is handled from the inbox without a reload.
    arrived.locator("[data-mark-handled]").click()
    expect(arrived.locator("[data-status-cell]")).to_have_attribute("data-status", "handled")
    assert_clean(phone_tab)

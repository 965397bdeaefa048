"""Keys in every tab of a session, on the pages that need them beyond the inbox and the
item (real Chromium through uvicorn): the softphone URL opened in a new tab of the
secretary's session gets the keys from the open tab, reads the instructions and matches
the dialled line; with no other tab, the password alone opens them (never "sign in again")."""

from __future__ import annotations

from playwright.sync_api import Browser, Page

from tests.browser.conftest import chromium  # noqa: F401 - fixture
from tests.e2e.desk_site import (  # noqa: F401 - fixture
    MEMBER,
    SECRETARY,
    DeskSite,
    desk_site,
)

FORM = "#call-note-form"
CALLER = "0611223344"


def _write_card(site: DeskSite, page: Page) -> None:
    page.goto(f"{site.base_url}/practice/instructions")
    page.wait_for_selector("#instructions[data-ready=true]", timeout=30_000)
    card = "#doc-1"
    page.click(f"{card} [data-add=lines]")
    page.fill(f"{card} [data-list=lines] [data-key=number]", "01 00 00 00 01")
    page.click(f"{card} button[type=submit]")
    page.wait_for_function("() => document.querySelector('#doc-1').dataset.saved", timeout=30_000)


def _softphone(page: Page, site: DeskSite) -> None:
    page.goto(f"{site.base_url}/desk#from={CALLER}&to=%2B33100000001")
    page.wait_for_selector("#desk[data-ready=true]", timeout=30_000)


def test_the_softphone_url_in_a_new_tab_opens_the_practice_with_the_number(
    desk_site: DeskSite,  # noqa: F811
    chromium: Browser,  # noqa: F811
) -> None:
    member = desk_site.page(chromium, MEMBER)
    _write_card(desk_site, member)
    # The member's instructions and requests pages, each in a new tab of her session.
    for path, ready in (
        ("/practice/instructions", "#instructions[data-ready=true]"),
        ("/practice/requests", "[data-requests-panel][data-panel-state=ready]"),
    ):
        tab = member.context.new_page()
        tab.goto(desk_site.base_url + path)
        tab.wait_for_selector(ready, timeout=30_000)
        assert tab.locator("[data-unlock-form]").is_hidden()
        tab.close()
    first = desk_site.page(chromium, SECRETARY)
    deposits = first.context.new_page()
    deposits.goto(desk_site.base_url + "/workspace/deposits")
    deposits.wait_for_timeout(1500)
    text = deposits.inner_text("main").lower()
    assert "reconnect" not in text and "sign in again" not in text
    assert deposits.locator("[data-unlock-form]").is_hidden()
    second = first.context.new_page()
    _softphone(second, desk_site)
    assert "Cabinet Desk" in second.inner_text("[data-line-notice]")
    assert second.input_value(f"{FORM} input[name=callback_number]") == CALLER
    assert second.get_attribute("#desk", "data-instructions-shown") == desk_site.practice_id
    assert second.locator("[data-unlock-form]").is_hidden()
    assert "reconnect" not in second.inner_text("#desk").lower()
    # The requests and deposits pages of a new tab read with the same keys.
    third = first.context.new_page()
    third.goto(f"{desk_site.base_url}/requests")
    third.wait_for_timeout(1500)
    assert third.locator("[data-unlock-form]").is_hidden()
    assert "could not be verified" not in third.inner_text("main")


def test_with_no_other_tab_the_desk_asks_for_the_password_only(
    desk_site: DeskSite,  # noqa: F811
    chromium: Browser,  # noqa: F811
) -> None:
    _write_card(desk_site, desk_site.page(chromium, MEMBER))
    first = desk_site.page(chromium, SECRETARY)
    context = first.context
    first.evaluate("sessionStorage.clear()")
    first.close()
    page = context.new_page()
    page.goto(f"{desk_site.base_url}/desk#from={CALLER}&to=%2B33100000001")
    page.wait_for_selector("[data-unlock-form]:not([hidden])", timeout=30_000)
    page.fill("[data-unlock-form] input[name=password]", desk_site.passwords[SECRETARY])
    page.click("[data-unlock-form] button[type=submit]")
    page.wait_for_selector("#desk[data-ready=true]", timeout=30_000)
    assert "Cabinet Desk" in page.inner_text("[data-line-notice]")
    assert page.input_value(f"{FORM} input[name=callback_number]") == CALLER

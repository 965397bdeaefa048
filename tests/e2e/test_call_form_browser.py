"""The call-note form's defects of issue 12, on the secretary's deposit page, in real Chromium
through uvicorn: a note made of spaces, Enter in the caller field, the easy-to-miss
confirmation, the focus lost after a deposit, and the timer that broke on a deposit made
while it ran. Each test failed on the code before the fix (see the branch's report)."""

from __future__ import annotations

import re
import uuid

from playwright.sync_api import Browser, Page

from tests.browser.conftest import chromium  # noqa: F401 - fixture
from tests.e2e.desk_site import SECRETARY, DeskSite, deposited_items, desk_site  # noqa: F401

FORM = "#call-note-form"


def _deposit_page(site: DeskSite, browser: Browser) -> Page:
    page = site.page(browser, SECRETARY)
    page.goto(f"{site.base_url}/workspace/{site.practice_id}")
    page.wait_for_selector(f"{FORM} button[type=submit]:not([disabled])")
    return page


def _focused_name(page: Page) -> str:
    return str(page.evaluate("document.activeElement && document.activeElement.name || ''"))


def test_a_call_note_made_of_spaces_is_refused_beside_its_fields(
    desk_site: DeskSite,  # noqa: F811
    chromium: Browser,  # noqa: F811
) -> None:
    page = _deposit_page(desk_site, chromium)
    page.fill(f"{FORM} input[name=caller_name]", "   ")
    page.fill(f"{FORM} input[name=reason]", "  \t ")
    page.click(f"{FORM} button[type=submit]")
    page.wait_for_selector(f"{FORM} input[name=caller_name][aria-invalid=true]", timeout=10_000)
    described = page.get_attribute(f"{FORM} input[name=caller_name]", "aria-describedby")
    assert described and page.inner_text(f"#{described}").strip() != ""
    assert page.get_attribute(f"{FORM} input[name=reason]", "aria-invalid") == "true"
    assert _focused_name(page) == "caller_name"
    page.wait_for_timeout(500)
    assert page.get_attribute(FORM, "data-deposited") is None
    assert deposited_items(desk_site) == 0
    assert desk_site.errors(page) == []


def test_enter_in_the_caller_field_moves_on_and_does_not_deposit(
    desk_site: DeskSite,  # noqa: F811
    chromium: Browser,  # noqa: F811
) -> None:
    page = _deposit_page(desk_site, chromium)
    page.fill(f"{FORM} input[name=reason]", "Renouvellement d'ordonnance")
    page.fill(f"{FORM} input[name=caller_name]", "Jeanne Lefèvre")
    page.press(f"{FORM} input[name=caller_name]", "Enter")
    page.wait_for_timeout(800)
    assert page.get_attribute(FORM, "data-deposited") is None
    assert deposited_items(desk_site) == 0
    assert _focused_name(page) == "caller_is"  # the next field
    # What she typed is still there, and Ctrl+Enter deposits it.
    assert page.input_value(f"{FORM} input[name=caller_name]") == "Jeanne Lefèvre"
    page.keyboard.press("Control+Enter")
    page.wait_for_selector(f"{FORM}[data-deposited]", timeout=30_000)
    assert deposited_items(desk_site) == 1


def test_the_confirmation_says_what_was_deposited_and_when(
    desk_site: DeskSite,  # noqa: F811
    chromium: Browser,  # noqa: F811
) -> None:
    page = _deposit_page(desk_site, chromium)
    page.fill(f"{FORM} input[name=caller_name]", "Jeanne Lefèvre")
    page.fill(f"{FORM} input[name=reason]", "Résultats d'analyse")
    page.click(f"{FORM} button[type=submit]")
    page.wait_for_selector(f"{FORM}[data-deposited]", timeout=30_000)
    box = page.locator(f"{FORM} [data-confirmation]")
    text = box.inner_text()
    assert "Jeanne Lefèvre" in text and "Résultats d'analyse" in text
    assert re.search(r"\d{1,2} h \d{2}|\d{1,2}:\d{2} [ap]m", text), text  # when
    assert box.get_attribute("role") == "status"  # announced by screen readers
    assert box.is_visible()
    # A next note refused (made of spaces) does not keep saying that a note went.
    page.fill(f"{FORM} input[name=caller_name]", "   ")
    page.fill(f"{FORM} input[name=reason]", "   ")
    page.click(f"{FORM} button[type=submit]")
    page.wait_for_selector(f"{FORM} input[name=caller_name][aria-invalid=true]", timeout=10_000)
    assert not box.is_visible()


def test_after_a_deposit_the_form_is_empty_and_the_focus_on_its_first_field(
    desk_site: DeskSite,  # noqa: F811
    chromium: Browser,  # noqa: F811
) -> None:
    page = _deposit_page(desk_site, chromium)
    page.fill(f"{FORM} input[name=caller_name]", "Jeanne Lefèvre")
    page.fill(f"{FORM} input[name=reason]", "Résultats d'analyse")
    page.click(f"{FORM} button[type=submit]")
    page.wait_for_selector(f"{FORM}[data-deposited]", timeout=30_000)
    page.wait_for_timeout(300)
    assert page.input_value(f"{FORM} input[name=caller_name]") == ""
    assert _focused_name(page) == "caller_name"


def test_the_timer_survives_a_deposit_made_while_it_runs(
    desk_site: DeskSite,  # noqa: F811
    chromium: Browser,  # noqa: F811
) -> None:
    page = _deposit_page(desk_site, chromium)
    page.click("[data-timer-start]")
    page.fill(f"{FORM} input[name=caller_name]", "Jeanne Lefèvre")
    page.fill(f"{FORM} input[name=reason]", "Rendez-vous")
    page.wait_for_timeout(1100)
    page.click(f"{FORM} button[type=submit]")
    page.wait_for_selector(f"{FORM}[data-deposited]", timeout=30_000)
    first = page.inner_text("[data-timer-display]")
    page.wait_for_timeout(2200)
    later = page.inner_text("[data-timer-display]")

    def seconds(text: str) -> int:
        minutes, secs = text.split(":")
        return int(minutes) * 60 + int(secs)

    assert seconds(later) >= seconds(first) + 2, (first, later)  # still counting
    assert page.is_enabled("[data-timer-stop]")
    page.click("[data-timer-stop]")
    stopped = page.inner_text("[data-timer-display]")
    page.wait_for_timeout(1200)
    assert page.inner_text("[data-timer-display]") == stopped
    assert seconds(stopped) >= 3
    assert desk_site.errors(page) == []
    # The deposited note carries the time the call had run when it was deposited.
    (call_seconds, item_id) = desk_site.env.db.read(
        lambda c: c.execute("SELECT call_seconds, id FROM item").fetchone()
    )
    assert call_seconds >= 1
    assert uuid.UUID(item_id).version == 7  # the browser draws time-ordered ids (newItemId)

"""The secretary's desk in real Chromium through uvicorn: keyboard-only call taking, the
softphone fragment (never sent to the server), and the phone layout at 360 px."""

from __future__ import annotations

from playwright.sync_api import Browser, Page

from tests.browser.conftest import chromium  # noqa: F401 - fixture
from tests.e2e.desk_site import (  # noqa: F401 - fixture
    MEMBER,
    SECRETARY,
    DeskSite,
    deposited_items,
    desk_site,
)

FORM = "#call-note-form"


def _desk(site: DeskSite, browser: Browser, fragment: str = "", width: int = 1366) -> Page:
    page = site.page(browser, SECRETARY, width=width)
    page.goto(f"{site.base_url}/desk{fragment}")
    page.wait_for_selector("#desk[data-ready=true]", timeout=30_000)
    return page


def _focused(page: Page) -> str:
    return str(page.evaluate("document.activeElement && document.activeElement.name || ''"))


def _no_horizontal_overflow(page: Page) -> None:
    wide = page.evaluate(
        "document.documentElement.scrollWidth - document.documentElement.clientWidth"
    )
    assert wide <= 0, f"{page.url} scrolls sideways by {wide}px"


def test_a_call_taken_with_the_keyboard_only(
    desk_site: DeskSite,  # noqa: F811
    chromium: Browser,  # noqa: F811
) -> None:
    page = _desk(desk_site, chromium)
    # The switcher shows the practice's name and the fingerprint computed in the browser.
    switch = page.locator(f"button[data-practice-id='{desk_site.practice_id}']")
    assert "Cabinet Desk" in switch.inner_text()
    assert switch.get_attribute("aria-pressed") == "true"
    assert len(switch.locator("[data-fingerprint-shown]").inner_text().strip()) > 10
    keys = page.keyboard
    keys.press("Alt+KeyN")  # a new call: the timer starts, the focus is on the caller's name
    assert page.get_attribute("[data-timer-display]", "data-running") == "true"
    assert _focused(page) == "caller_name"
    keys.type("Jeanne Lefèvre")
    keys.press("Enter")  # next field, not a deposit
    assert _focused(page) == "caller_is"
    keys.press("Tab")
    assert _focused(page) == "callback_number"
    keys.type("06 12 34 56 78")
    keys.press("Enter")
    assert _focused(page) == "call_type"
    keys.press("Tab")
    assert _focused(page) == "reason"
    keys.type("Douleur thoracique")
    keys.press("Alt+Digit1")  # urgent
    assert page.is_checked(f"{FORM} input[name=urgency][value=urgent]")
    assert deposited_items(desk_site) == 0
    keys.press("Control+Enter")
    page.wait_for_selector(f"{FORM}[data-deposited]", timeout=30_000)
    assert "Jeanne Lefèvre" in page.inner_text(f"{FORM} [data-confirmation]")
    # Ready for the next call: empty, urgency back to normal, focus on the first field,
    # and the call's timer still running.
    assert _focused(page) == "caller_name"
    assert page.input_value(f"{FORM} input[name=caller_name]") == ""
    assert page.is_checked(f"{FORM} input[name=urgency][value=normal]")
    assert page.get_attribute("[data-timer-display]", "data-running") == "true"
    (urgency,) = desk_site.env.db.read(lambda c: c.execute("SELECT urgency FROM item").fetchone())
    assert urgency == 2  # urgent (docs/format.md §5)
    assert desk_site.errors(page) == []
    assert page.evaluate("window.__cspViolations") == []


def test_the_softphone_fragment_prefills_and_never_reaches_the_server(
    desk_site: DeskSite,  # noqa: F811
    chromium: Browser,  # noqa: F811
) -> None:
    caller, line = "0698765432", "0123456789"
    page = _desk(desk_site, chromium, f"#from={caller}&to={line}")
    assert page.input_value(f"{FORM} input[name=callback_number]") == caller
    assert page.get_attribute("[data-timer-display]", "data-running") == "true"
    assert _focused(page) == "caller_name"
    # No practice lists that line yet: the desk says so and keeps the one practice open.
    assert line in page.inner_text("[data-line-notice]")
    # The caller's number left the address bar (a reload starts no second call).
    assert caller not in page.url
    page.reload()
    page.wait_for_selector("#desk[data-ready=true]")
    assert page.input_value(f"{FORM} input[name=callback_number]") == ""
    requests = desk_site.requests
    assert requests is not None
    assert any(r.startswith("GET /desk") for r in requests.lines)
    for seen in (requests.lines, requests.headers, desk_site.logs.lines):
        assert not any(caller in text or line in text for text in seen), seen
    assert not any(caller.encode() in body for body in desk_site.recorder.bodies)


def test_the_desk_on_a_phone_shows_tabs_and_does_not_scroll_sideways(
    desk_site: DeskSite,  # noqa: F811
    chromium: Browser,  # noqa: F811
) -> None:
    page = _desk(desk_site, chromium, width=360)
    _no_horizontal_overflow(page)
    assert page.is_visible("#desk-call")
    assert not page.is_visible("#desk-instructions")
    page.click("#desk-tab-instructions")
    assert page.is_visible("#desk-instructions")
    assert not page.is_visible("#desk-call")
    _no_horizontal_overflow(page)
    assert page.locator("#desk-requests").count() == 1
    page.keyboard.press("Alt+KeyN")  # a new call brings the call tab back
    assert page.is_visible("#desk-call")
    member = desk_site.page(chromium, MEMBER, width=360)
    member.goto(f"{desk_site.base_url}/practice/instructions")
    member.wait_for_selector("#instructions")
    _no_horizontal_overflow(member)

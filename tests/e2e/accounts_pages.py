"""Driving the account pages in real Chromium, as a person would: fill, submit, wait.

Each person gets their own browser context (``open_tab``): cookies and
``sessionStorage`` are per person, as on two different computers. Every tab
records console errors and CSP violations (the same listener as
``tests/browser/conftest.py``); ``assert_clean`` checks the current page.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from urllib.parse import urlsplit

from playwright.sync_api import Browser, ConsoleMessage, Page, expect

from crypto.secret import Secret
from tests.browser.conftest import _CSP_LISTENER, PageLog
from tests.e2e.accounts_server import AccountsVault, EnrolledAccount, secret_from_text
from vault.identity.roles import Role

# Argon2id (64 MiB) in the browser takes ~0.3-0.5 s; a password change runs it twice.
SLOW_MS = 30_000
KEYS_ITEM = "permanence.keys"
# What Chromium logs by itself when a fetch gets a refusal the page then shows as text.
REFUSED_FETCH = re.compile(r"Failed to load resource: the server responded with a status of 4\d\d")
RECOVERY_CODE = re.compile(r"^(?:[0-9A-HJKMNP-TV-Z]{4}-){9}[0-9A-HJKMNP-TV-Z]$")


@contextmanager
def open_tab(chromium: Browser, *, with_favicon_request: bool = False) -> Iterator[PageLog]:
    """A page in a fresh context (one person's browser) that records errors and violations."""
    context = chromium.new_context(locale="en-GB")
    context.add_init_script(_CSP_LISTENER)
    if not with_favicon_request:
        # The app serves no /favicon.ico: Chromium's automatic request for it would log a
        # 404 console error on every page (see test_pages_log_no_console_error_at_all).
        context.route("**/favicon.ico", lambda route: route.fulfill(status=204))
    page = context.new_page()
    page.set_default_timeout(SLOW_MS)
    log = PageLog(page)

    def on_console(message: ConsoleMessage) -> None:
        if message.type == "error":
            log.console_errors.append(message.text)

    page.on("console", on_console)
    page.on("pageerror", lambda error: log.console_errors.append(f"pageerror: {error}"))
    try:
        yield log
    finally:
        context.close()


def assert_clean(tab: PageLog, *, refusals_expected: bool = False) -> None:
    """No CSP violation on the current page, and no console error so far.

    With ``refusals_expected``, Chromium's own "Failed to load resource: ... 4xx"
    lines (a refused fetch the page then explains) are allowed, and consumed.
    """
    assert tab.csp_violations() == [], tab.page.url
    errors = tab.console_errors
    if refusals_expected:
        errors = [e for e in errors if not REFUSED_FETCH.search(e)]
        tab.console_errors.clear()
    assert errors == [], (tab.page.url, errors)


@dataclass
class BrowserEnrolment:
    totp_secret: Secret
    recovery_code: str
    backup_codes: list[str]


def enrol(tab: PageLog, vault: AccountsVault, link: str, password: str) -> BrowserEnrolment:
    """Open the invitation link, choose the password, type the app's code; read what is shown."""
    page = tab.page
    page.goto(link)
    # Nothing secret is on the page until the invitee asks for the code to scan.
    expect(page.locator("[data-totp-setup]")).to_be_hidden()
    assert page.locator("[data-totp-secret]").inner_text() == ""
    page.click("[data-totp-show]")
    expect(page.locator("[data-totp-qr] svg")).to_be_visible()
    secret = secret_from_text(page.locator("[data-totp-secret]").inner_text())
    page.fill("#enrolment-form #password", password)
    page.fill("#enrolment-form #password2", password)
    page.fill("#enrolment-form [name=code]", vault.fresh_code(secret))
    assert_clean(tab)
    page.click("#enrolment-form button[type=submit]")
    page.wait_for_selector(
        "#enrolment-done:not([hidden]), #enrolment-form [data-error]:not(:empty)", timeout=SLOW_MS
    )
    expect(page.locator("#enrolment-form [data-error]")).to_be_empty(timeout=1)
    expect(page.locator("#enrolment-done")).to_be_visible()
    recovery = page.locator("[data-recovery-code]").inner_text().strip()
    codes = [c.strip() for c in page.locator("[data-backup-codes] li").all_inner_texts()]
    assert_clean(tab)
    return BrowserEnrolment(secret, recovery, codes)


def submit_login(tab: PageLog, base_url: str, username: str, password: str, code: str) -> None:
    """Fill and submit the sign-in form (does not wait for the outcome)."""
    page = tab.page
    if not page.url.endswith("/login"):
        page.goto(base_url + "/login")
    expect(page.locator("#login-form")).to_be_visible()
    page.fill("#login-form [name=username]", username)
    page.fill("#login-form #password", password)
    page.fill("#login-form [name=code]", code)
    page.click("#login-form button[type=submit]")


def sign_in(tab: PageLog, base_url: str, username: str, password: str, code: str) -> None:
    """Sign in and land on the member's inbox with the practice keys checked."""
    submit_login(tab, base_url, username, password, code)
    tab.page.wait_for_url("**/inbox", timeout=SLOW_MS)
    expect(tab.page.locator("[data-keys-state][data-unlocked]")).to_be_attached()
    assert_clean(tab)


def member_on_account_page(
    tab: PageLog, vault: AccountsVault, password: str
) -> tuple[EnrolledAccount, str]:
    """Dr Leroy of "Cabinet Test", enrolled over HTTP and signed in in ``tab``, on /account
    once htmx (deferred) drives its forms; returns the account and the sign-in code (still
    current)."""
    member = vault.enrol_over_http(
        vault.invite(Role.MEMBER, "dr.leroy", "Dr Leroy", practice="Cabinet Test"),
        "dr.leroy",
        password,
    )
    code = vault.fresh_code(member.totp_secret)
    sign_in(tab, vault.base_url, "dr.leroy", password, code)
    tab.page.goto(vault.base_url + "/account")
    tab.page.wait_for_load_state("load")
    return member, code


def login_refused(tab: PageLog) -> str:
    """Wait for the sign-in form's error; check nothing was opened; return the message."""
    page = tab.page
    error = page.locator("#login-form [data-error]")
    expect(error).not_to_be_empty(timeout=SLOW_MS)
    assert urlsplit(page.url).path == "/login"
    assert session_cookie(tab) is None
    assert page.evaluate(f"sessionStorage.getItem({KEYS_ITEM!r})") is None
    assert_clean(tab, refusals_expected=True)
    return error.inner_text()


def expect_keys_unlocked(tab: PageLog, unlocked: bool) -> None:
    state = tab.page.locator("[data-keys-state]")
    expect(state).to_have_attribute("data-unlocked", "true" if unlocked else "false")


def open_menu(page: Page) -> None:
    """On a phone the navigation is folded in the top bar's menu: open it if it is closed."""
    summary = page.locator(".menu:not([open]) > summary")
    if summary.count() and summary.is_visible():
        summary.click()


def sign_out(tab: PageLog) -> None:
    open_menu(tab.page)
    tab.page.click("[data-signout]")
    tab.page.wait_for_url("**/login")
    assert tab.page.evaluate(f"sessionStorage.getItem({KEYS_ITEM!r})") is None
    assert session_cookie(tab) is None
    assert_clean(tab)


def session_cookie(tab: PageLog) -> str | None:
    for cookie in tab.page.context.cookies():
        if cookie["name"] == "permanence_session":
            return cookie["value"]
    return None


def code_with_space(code: str) -> str:
    """``123456`` as people type it from the app: ``123 456``."""
    return f"{code[:3]} {code[3:]}"


def is_recovery_code(text: str) -> bool:
    return RECOVERY_CODE.fullmatch(text) is not None

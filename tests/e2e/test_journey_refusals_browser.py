"""Refusals inside a form, and the code just used to sign in, in real Chromium.

A refused htmx form shows the server's one sentence in the form's status area, tied to
the field it is about (``aria-invalid``, ``aria-describedby``, focused) — never a whole
error page ("Request refused", "Back to the start page") inside the card. The code that
signed in a moment ago is still current, but used: a sensitive action asks to wait for
the next code instead of for "a current code".
"""

from __future__ import annotations

from playwright.sync_api import Browser, Page, expect

from tests.e2e.accounts_pages import (
    SLOW_MS,
    assert_clean,
    member_on_account_page,
    open_tab,
    sign_in,
)
from tests.e2e.accounts_server import AccountsVault, accounts_vault_fixture  # noqa: F401 - fixture
from vault.identity.roles import Role

PASSWORD = "Lune-verte-42!x"
NEW_PASSWORD = "Nouveau mot de passe 7"
JUST_USED = "This code has just been used: wait for the next code"


def _assert_tied_to_code(page: Page, form: str) -> None:
    """The form's error sentence describes its code field, marked invalid and focused."""
    error_id = page.locator(f"{form} [data-error]").get_attribute("id")
    assert error_id
    code = page.locator(f"{form} [name=code]")
    expect(code).to_have_attribute("aria-invalid", "true")
    expect(code).to_have_attribute("aria-describedby", error_id)
    expect(code).to_be_focused()


def test_a_refused_htmx_form_shows_one_sentence_tied_to_its_field(
    accounts_vault: AccountsVault, chromium: Browser
) -> None:
    """New backup codes asked with the sign-in code, then a wrong code, then a fresh one."""
    vault = accounts_vault
    with open_tab(chromium) as tab:
        page = tab.page
        member, code = member_on_account_page(tab, vault, PASSWORD)
        form = "form[hx-post='/account/backup-codes']"
        page.fill(f"{form} [name=code]", code)  # still current: it signed in a moment ago
        page.click(f"{form} button[type=submit]")
        error = page.locator(f"{form} [data-error]")
        expect(error).to_contain_text(JUST_USED, timeout=SLOW_MS)
        card = page.locator("main .card")
        expect(card.locator("h1")).to_have_count(1)  # the page's own title only
        expect(card).not_to_contain_text("Request refused")
        expect(card).not_to_contain_text("Back to the start page")
        expect(page.locator("#backup-codes")).to_be_empty()
        _assert_tied_to_code(page, form)

        page.fill(f"{form} [name=code]", "000000" if code != "000000" else "111111")
        page.click(f"{form} button[type=submit]")
        expect(error).to_have_text(
            "Please confirm with a current code from your authenticator app.", timeout=SLOW_MS
        )
        _assert_tied_to_code(page, form)

        page.fill(f"{form} [name=code]", vault.fresh_code(member.totp_secret))
        page.click(f"{form} button[type=submit]")
        expect(page.locator("#backup-codes li")).to_have_count(8, timeout=SLOW_MS)
        expect(error).to_be_empty()
        expect(page.locator(f"{form} [name=code]")).not_to_have_attribute("aria-invalid", "true")
        assert_clean(tab, refusals_expected=True)


def test_the_sign_in_code_reused_for_a_password_change_asks_for_the_next_code(
    accounts_vault: AccountsVault, chromium: Browser
) -> None:
    """The password form (JSON) says to wait for the next code, tied to the code field."""
    vault = accounts_vault
    member = vault.enrol_over_http(
        vault.invite(Role.MEMBER, "dr.mercier", "Dr Mercier", practice="Cabinet Test"),
        "dr.mercier",
        PASSWORD,
    )
    with open_tab(chromium) as tab:
        page = tab.page
        code = vault.fresh_code(member.totp_secret)
        sign_in(tab, vault.base_url, "dr.mercier", PASSWORD, code)
        page.goto(vault.base_url + "/account")
        page.fill("#password-form #current", PASSWORD)
        page.fill("#password-form #password", NEW_PASSWORD)
        page.fill("#password-form #password2", NEW_PASSWORD)
        page.fill("#password-form [name=code]", code)
        page.click("#password-form button[type=submit]")
        expect(page.locator("#password-form [data-error]")).to_contain_text(
            JUST_USED, timeout=SLOW_MS
        )
        _assert_tied_to_code(page, "#password-form")
        assert_clean(tab, refusals_expected=True)

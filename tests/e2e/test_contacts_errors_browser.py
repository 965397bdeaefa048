"""/account's contact forms in real Chromium: one form's refusal does not stay on screen
once another form of the block is submitted."""

from __future__ import annotations

from playwright.sync_api import Browser, expect

from tests.e2e.accounts_pages import SLOW_MS, assert_clean, member_on_account_page, open_tab
from tests.e2e.accounts_server import AccountsVault, accounts_vault_fixture  # noqa: F401 - fixture

PASSWORD = "Lune-verte-42!x"


def test_a_refusal_clears_when_another_contact_form_is_sent(
    accounts_vault: AccountsVault, chromium: Browser
) -> None:
    with open_tab(chromium) as tab:
        page = tab.page
        member_on_account_page(tab, accounts_vault, PASSWORD)
        sms = "form[data-code-request='sms']"
        email = "form[data-code-request='email']"
        page.fill(f"{sms} [name=address]", "12")
        page.click(f"{sms} button[type=submit]")
        expect(page.locator(f"{sms} [data-error]")).not_to_be_empty(timeout=SLOW_MS)
        page.fill(f"{email} [name=address]", "a@b")  # the browser takes it, the server not
        page.click(f"{email} button[type=submit]")
        expect(page.locator(f"{email} [data-error]")).not_to_be_empty(timeout=SLOW_MS)
        expect(page.locator(f"{sms} [data-error]")).to_be_empty()
        expect(page.locator(f"{sms} [name=address]")).not_to_have_attribute("aria-invalid", "true")
        assert_clean(tab, refusals_expected=True)

"""Enrolment defects of issue 12, in real Chromium against the real app under uvicorn.

Once the server accepted the enrolment, the page shows the recovery and backup codes
alone: the form is gone, the authenticator key it showed is no longer anywhere in the
page, and submitting the form again (a second click, Enter) sends nothing and shows no
"invitation not valid" over "your access is ready".
"""

from __future__ import annotations

import base64

from playwright.sync_api import Browser, expect

from tests.e2e.accounts_pages import assert_clean, enrol, open_tab
from tests.e2e.accounts_server import (  # noqa: F401 - fixture
    AccountsVault,
    accounts_vault_fixture,
    secret_from_text,
)
from vault.identity.roles import Role

PASSWORD = "Lune-verte-42!x"


def test_after_enrolment_only_the_codes_remain_and_a_second_submit_sends_nothing(
    accounts_vault: AccountsVault, chromium: Browser
) -> None:
    vault = accounts_vault
    link = vault.invite(Role.MEMBER, "dr.durand", "Dr Durand", practice="Cabinet Test")
    token = link.rsplit("/", 1)[1]
    with open_tab(chromium) as tab:
        page = tab.page
        enrolled = enrol(tab, vault, link, PASSWORD)
        expect(page.locator("#enrolment-done")).to_be_visible()
        expect(page.locator("#enrolment-form")).to_be_hidden()
        # The authenticator key is gone from the page, not merely out of sight.
        key_text = page.locator("[data-totp-secret]").text_content()
        assert key_text == "", key_text
        assert page.locator("[data-totp-qr] svg").count() == 0
        assert base64.b32encode(enrolled.totp_secret.value).decode() not in page.content()
        assert len(vault.recorder.posts(f"/enrol/{token}")) == 1

        # A second submit of the (hidden) form, as a second click or Enter would make it.
        page.evaluate(
            "document.getElementById('enrolment-form')"
            ".dispatchEvent(new Event('submit', {cancelable: true}))"
        )
        page.wait_for_timeout(1500)  # Argon2 alone takes longer than this: it would be running
        assert len(vault.recorder.posts(f"/enrol/{token}")) == 1
        expect(page.locator("#enrolment-form [data-error]")).to_be_empty()
        expect(page.locator("#enrolment-done")).to_be_visible()
        expect(page.locator("[role=alert]:visible")).to_have_count(0)
        assert_clean(tab)


def test_a_double_click_on_create_sends_one_enrolment(
    accounts_vault: AccountsVault, chromium: Browser
) -> None:
    """Two quick clicks on "Create my access": one request, and the codes with no error."""
    vault = accounts_vault
    link = vault.invite(Role.SECRETARY, "sophie.m", "Sophie M")
    token = link.rsplit("/", 1)[1]
    with open_tab(chromium) as tab:
        page = tab.page
        page.goto(link)
        page.click("[data-totp-show]")
        expect(page.locator("[data-totp-qr] svg")).to_be_visible()
        secret = secret_from_text(page.locator("[data-totp-secret]").inner_text())
        page.fill("#enrolment-form #password", PASSWORD)
        page.fill("#enrolment-form #password2", PASSWORD)
        page.fill("#enrolment-form [name=code]", vault.fresh_code(secret))
        page.dblclick("#enrolment-form button[type=submit]")
        expect(page.locator("#enrolment-done")).to_be_visible(timeout=30_000)
        page.keyboard.press("Enter")
        page.wait_for_timeout(1500)
        assert len(vault.recorder.posts(f"/enrol/{token}")) == 1
        expect(page.locator("#enrolment-form")).to_be_hidden()
        expect(page.locator("#enrolment-form [data-error]")).to_be_empty()
        assert_clean(tab)

"""The on-call ladder editor in Chromium: lines added, ordered, saved through escalation's
JSON API, read back after a reload; a bad delay refused in one sentence."""

from __future__ import annotations

from playwright.sync_api import Browser, expect

from tests.browser.conftest import chromium  # noqa: F401 - fixture
from tests.e2e.accounts_pages import assert_clean, open_tab
from tests.e2e.accounts_server import AccountsVault, accounts_vault_fixture  # noqa: F401
from tests.e2e.trust_site import PRACTICE, new_practice, sign_in_member
from tests.people import enrol
from vault.identity.roles import Role


def test_a_member_orders_the_ladder_and_saves_it(
    chromium: Browser,  # noqa: F811 - fixture
    accounts_vault: AccountsVault,
) -> None:
    practice = new_practice(accounts_vault)
    practice.rename(practice.member, "Dr Martin")
    colleague = enrol(accounts_vault.env, Role.MEMBER, "dr.petit", practice=PRACTICE)
    practice.rename(colleague, "Dr Petit")
    with open_tab(chromium) as tab:
        sign_in_member(tab, practice)
        page = tab.page
        page.goto(accounts_vault.base_url + "/practice/members")
        page.click("a[href='/practice/ladder']")
        add = page.locator("[data-add-rung]")
        expect(add).to_be_enabled()
        add.click()
        add.click()
        rungs = page.locator("[data-rung]")
        expect(rungs).to_have_count(2)
        rungs.nth(0).locator("[data-member]").select_option(label="Dr Petit")
        rungs.nth(1).locator("[data-member]").select_option(label="Dr Martin")
        rungs.nth(1).locator("[data-up]").click()  # Dr Martin first
        expect(rungs.nth(0).locator("[data-member]")).to_have_value(practice.member.account_id)
        expect(rungs.nth(0).locator("legend").first).to_have_text("Person no. 1")
        page.fill("[data-delay]", "0")
        page.click("#ladder-form button[type=submit]")
        expect(page.locator("#ladder-form [data-error]")).to_have_text(
            "The delay is a whole number of minutes, from 1 to 240."
        )
        page.fill("[data-delay]", "5")
        rungs.nth(1).locator("[data-start]").fill("19:00")
        rungs.nth(1).locator("[data-end]").fill("08:00")
        page.click("#ladder-form button[type=submit]")
        expect(page.locator("#ladder-form [data-status]")).to_have_text("On-call ladder saved.")
        saved = accounts_vault.env.db.read(
            lambda c: c.execute(
                "SELECT account_id, days, start_minute, end_minute FROM oncall_rung"
                " WHERE practice_id = ? ORDER BY position",
                (practice.id,),
            ).fetchall()
        )
        assert saved == [
            (practice.member.account_id, "12345", 8 * 60, 19 * 60),
            (colleague.account_id, "12345", 19 * 60, 8 * 60),
        ]
        page.reload()
        expect(page.locator("[data-rung]")).to_have_count(2)
        expect(page.locator("[data-delay]")).to_have_value("5")
        assert_clean(tab)

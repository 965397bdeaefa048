"""Administration defects of issue 12, in real Chromium against the real app under uvicorn.

An admin invites someone: the account list shows the new account at once and the form
is empty again; the link has a "Copy the link" button that copies it and says so. The
invitation is lost: inviting the name again explains what to do (tied to the username
field), and "New invitation link" on the account's row issues a new link — the old one
no longer works, the new one does, and the re-issue is audited. Disabling takes a second,
explicit button. The disabled person, with the right password and code, is told the
account is disabled and to contact their administrator; a wrong password still gets the
one sign-in message that says nothing about the account.
"""

from __future__ import annotations

import urllib.error
import urllib.request

from playwright.sync_api import Browser, expect

from audit.entry import decode
from tests.e2e.accounts_pages import (
    SLOW_MS,
    assert_clean,
    login_refused,
    open_tab,
    submit_login,
)
from tests.e2e.accounts_server import AccountsVault, accounts_vault_fixture  # noqa: F401 - fixture
from vault.identity.roles import Role

ADMIN_PASSWORD = "admin passphrase for tests"
PASSWORD = "Lune-verte-42!x"


def _link_status(link: str) -> int:
    try:
        with urllib.request.urlopen(link) as answer:  # noqa: S310 - our own live server
            return int(answer.status)
    except urllib.error.HTTPError as refused:
        refused.close()
        return int(refused.code)


def test_admin_invites_copies_reissues_and_disables(
    accounts_vault: AccountsVault, chromium: Browser
) -> None:
    vault = accounts_vault
    admin = vault.enrol_over_http(
        vault.invite(Role.ADMIN, "admin", "Admin Istrateur"), "admin", ADMIN_PASSWORD
    )
    with open_tab(chromium) as tab:
        page = tab.page
        page.context.grant_permissions(["clipboard-read", "clipboard-write"])
        submit_login(
            tab, vault.base_url, "admin", ADMIN_PASSWORD, vault.fresh_code(admin.totp_secret)
        )
        page.wait_for_url("**/admin/accounts", timeout=SLOW_MS)
        page.wait_for_load_state("load")  # htmx (deferred) drives the forms
        form = page.locator("form[hx-post='/admin/invitations']")
        form.locator("[name=username]").fill("dr.martin")
        form.locator("[name=display_name]").fill("Dr Claire Martin")
        form.locator("[name=role]").select_option("member")
        form.locator("[name=practice]").fill("Cabinet Test")
        form.locator("button[type=submit]").click()
        shown = page.locator("[data-invitation-link]")
        expect(shown).to_contain_text("/enrol/")
        first_link = shown.inner_text().strip()

        # The list shows the new account at once; the form is ready for the next one.
        row = page.locator("#accounts tr[data-account='dr.martin']")
        expect(row).to_have_count(1)
        for name in ("username", "display_name", "practice"):
            expect(form.locator(f"[name={name}]")).to_have_value("")

        # Copy the link: in the clipboard, and said on the page.
        page.click("[data-copy-link]")
        expect(page.locator("[data-copied]")).to_have_text("Link copied.")
        assert page.evaluate("navigator.clipboard.readText()") == first_link

        # The link is lost: inviting the name again says what to do, at the username field.
        form.locator("[name=username]").fill("dr.martin")
        form.locator("[name=display_name]").fill("Dr Claire Martin")
        form.locator("[name=role]").select_option("member")
        form.locator("[name=practice]").fill("Cabinet Test")
        form.locator("button[type=submit]").click()
        error = form.locator("[data-error]")
        expect(error).to_contain_text("New invitation link")
        expect(form.locator("[name=username]")).to_have_attribute("aria-invalid", "true")
        expect(page.locator("main .card")).not_to_contain_text("Request refused")
        expect(shown).to_have_text(first_link)  # the earlier answer is left as it was

        row.locator("[data-reinvite]").click()
        expect(shown).not_to_have_text(first_link)
        second_link = shown.inner_text().strip()
        assert second_link.startswith(vault.base_url + "/enrol/")
        assert _link_status(first_link) == 404  # the lost link no longer works
        assert_clean(tab, refusals_expected=True)

    entries = vault.env.db.read(
        lambda c: [
            decode(bytes(r[0])).entry
            for r in c.execute("SELECT leaf FROM audit_entries ORDER BY idx")
        ]
    )
    (entry,) = [e for e in entries if e.action == "account.reinvited"]
    assert entry.actor.name == "admin"
    assert entry.targets["account"] == vault.account_row("dr.martin", "id")[0]
    assert dict(entry.detail) == {"revoked": 1}

    member = vault.enrol_over_http(second_link, "dr.martin", PASSWORD)  # the new link works

    with open_tab(chromium) as tab:
        page = tab.page
        submit_login(
            tab, vault.base_url, "admin", ADMIN_PASSWORD, vault.fresh_code(admin.totp_secret)
        )
        page.wait_for_url("**/admin/accounts", timeout=SLOW_MS)
        page.wait_for_load_state("load")
        row = page.locator("#accounts tr[data-account='dr.martin']")
        confirm = row.locator("[data-confirm-disable]")
        expect(confirm).to_be_hidden()  # one click on "Disable…" only opens the question
        row.locator("[data-disable] summary").click()
        expect(confirm).to_be_visible()
        assert vault.account_row("dr.martin", "status") == ("active",)
        confirm.click()
        expect(page.locator("#accounts tr[data-account='dr.martin']")).to_contain_text("disabled")
        assert vault.account_row("dr.martin", "status") == ("disabled",)
        assert_clean(tab)

    with open_tab(chromium) as tab:
        submit_login(tab, vault.base_url, "dr.martin", "not the password!", "123456")
        stranger = login_refused(tab)
        assert "disabled" not in stranger
        assert "Sign-in failed" in stranger
        submit_login(
            tab, vault.base_url, "dr.martin", PASSWORD, vault.fresh_code(member.totp_secret)
        )
        expect(tab.page.locator("#login-form [data-error]")).to_contain_text(
            "disabled", timeout=SLOW_MS
        )
        owner = login_refused(tab)
        assert owner == "This account is disabled: contact your administrator."


def test_copy_without_the_clipboard_api_falls_back_and_says_so(
    accounts_vault: AccountsVault, chromium: Browser
) -> None:
    """No ``navigator.clipboard`` (an older browser, a refused permission): the link is
    selected and copied with the browser's copy command, and the page says what happened."""
    vault = accounts_vault
    admin = vault.enrol_over_http(
        vault.invite(Role.ADMIN, "admin", "Admin Istrateur"), "admin", ADMIN_PASSWORD
    )
    with open_tab(chromium) as tab:
        page = tab.page
        page.add_init_script("Object.defineProperty(navigator, 'clipboard', {value: undefined})")
        submit_login(
            tab, vault.base_url, "admin", ADMIN_PASSWORD, vault.fresh_code(admin.totp_secret)
        )
        page.wait_for_url("**/admin/accounts", timeout=SLOW_MS)
        page.wait_for_load_state("load")
        form = page.locator("form[hx-post='/admin/invitations']")
        form.locator("[name=username]").fill("sophie.b")
        form.locator("[name=display_name]").fill("Sophie B")
        form.locator("[name=role]").select_option("secretary")
        form.locator("button[type=submit]").click()
        link = page.locator("[data-invitation-link]")
        expect(link).to_contain_text("/enrol/")
        page.click("[data-copy-link]")
        said = page.locator("[data-copied]")
        expect(said).not_to_be_empty()
        assert said.inner_text() in {
            "Link copied.",
            "The link is selected: copy it with Ctrl+C (⌘+C on a Mac).",
        }
        assert page.evaluate("window.getSelection().toString()").strip() == (
            link.inner_text().strip()
        )
        assert_clean(tab)

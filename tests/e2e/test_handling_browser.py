"""In Chromium through uvicorn: handling an item (acknowledge, handled, undo; who and when)
from the item page and the inbox, the keys of a session in every one of its tabs (from
another tab, else the password only), never to a tab of another session, and the colleague
not granted the practice key yet (issue 12).

Before this branch: no "I'm dealing with it" nor undo; a link opened in a new tab showed
empty fields and "sign in again"; the "Mark as handled" button showed on an item the page
could not read; the waiting page did not say whom to ask.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from playwright.sync_api import Browser, Page, expect

from tests.browser.conftest import PageLog, chromium  # noqa: F401 - fixture
from tests.e2e.accounts_pages import (
    KEYS_ITEM,
    SLOW_MS,
    assert_clean,
    open_tab,
    submit_login,
)
from tests.e2e.accounts_server import AccountsVault, accounts_vault_fixture  # noqa: F401
from tests.e2e.trust_site import PRACTICE, Practice, new_practice, sign_in_member
from tests.people import enrol
from vault.identity.roles import Role

MEMBER_NAME = "Dr.Martin"  # display name of tests.people.enrol's "dr.martin"


@pytest.fixture
def practice(accounts_vault: AccountsVault) -> Practice:
    return new_practice(accounts_vault)


@pytest.fixture
def member_tab(chromium: Browser, practice: Practice) -> Iterator[PageLog]:  # noqa: F811
    with open_tab(chromium) as tab:
        sign_in_member(tab, practice)
        yield tab


def _deposit(practice: Practice) -> str:
    return practice.deposit_note(practice.secretary("sophie", "Sophie Leroy"))


def _decrypted(page: Page) -> None:
    expect(page.locator("#item")).to_have_attribute("data-decrypted", "true", timeout=SLOW_MS)
    expect(page.locator('[data-field="caller_name"]')).to_have_text("Jeanne Dupont")


def test_acknowledge_then_undo_from_the_item_page(member_tab: PageLog, practice: Practice) -> None:
    iid = _deposit(practice)
    page = member_tab.page
    page.goto(f"{practice.vault.base_url}/items/{iid}")
    _decrypted(page)
    status = page.locator("#item-status")
    # Rendered before the reading (which made it "read"): the undo goes back to "read".
    page.click("[data-acknowledge]")
    expect(status).to_have_attribute("data-status", "acknowledged")
    expect(status.locator("h2")).to_contain_text("Acknowledged")
    expect(status.locator("[data-status-by]")).to_contain_text(f"by {MEMBER_NAME}")
    expect(status.locator("[data-status-by] time")).to_have_count(1)
    page.click("[data-undo]")
    expect(status).to_have_attribute("data-status", "read")
    expect(status.locator("[data-undo-row]")).to_contain_text("Undone: back to Read")
    expect(status.locator("[data-undo]")).to_have_count(0)
    page.click("[data-mark-handled]")
    expect(status).to_have_attribute("data-status", "handled")
    expect(status.locator("[data-status-by]")).to_contain_text(f"by {MEMBER_NAME}")
    assert practice.row("SELECT status FROM item WHERE id = ?", iid) == ("handled",)
    actions = [
        r[0]
        for r in practice.vault.env.db.read(
            lambda c: c.execute(
                "SELECT action FROM practice_access WHERE item_id = ? ORDER BY audit_index",
                (iid,),
            ).fetchall()
        )
    ]
    assert actions[-3:] == ["item.status_changed", "item.status_undone", "item.status_changed"]
    assert_clean(member_tab)


def test_acknowledge_then_undo_from_the_inbox(member_tab: PageLog, practice: Practice) -> None:
    iid = _deposit(practice)
    page = member_tab.page
    page.goto(f"{practice.vault.base_url}/inbox")
    cell = page.locator(f"#status-cell-{iid}")
    expect(cell).to_have_attribute("data-status", "new")
    cell.locator("[data-acknowledge]").click()
    expect(cell).to_have_attribute("data-status", "acknowledged")
    expect(cell).to_contain_text("Acknowledged")
    expect(cell.locator("[data-status-by]")).to_contain_text(f"by {MEMBER_NAME}")
    cell.locator("[data-undo]").click()
    expect(cell).to_have_attribute("data-status", "new")
    expect(cell.locator("[data-status-by]")).to_have_count(0)
    expect(cell.locator("[data-acknowledge]")).to_be_visible()
    # Listing and handling from the inbox never read the item.
    assert practice.row("SELECT status FROM item WHERE id = ?", iid) == ("new",)
    # Who and when stay on the row after a reload.
    cell.locator("[data-mark-handled]").click()
    expect(cell).to_have_attribute("data-status", "handled")
    page.reload()
    expect(page.locator(f"#status-cell-{iid} [data-status-by]")).to_contain_text(
        f"by {MEMBER_NAME}"
    )
    assert_clean(member_tab)


def test_a_link_opened_in_a_new_tab_gets_the_keys_from_the_open_tab(
    member_tab: PageLog, practice: Practice
) -> None:
    iid = _deposit(practice)
    second = member_tab.page.context.new_page()
    second.goto(f"{practice.vault.base_url}/items/{iid}")
    _decrypted(second)
    expect(second.locator("[data-unlock-form]")).to_be_hidden()
    expect(second.locator("[data-acknowledge]")).to_be_visible()
    assert second.evaluate(f"sessionStorage.getItem({KEYS_ITEM!r})") is not None
    second.close()


def test_with_no_other_tab_the_password_alone_unlocks(
    member_tab: PageLog, practice: Practice
) -> None:
    iid = _deposit(practice)
    context = member_tab.page.context
    second = context.new_page()
    member_tab.page.close()  # the only tab holding the keys
    logins: list[str] = []
    second.on(
        "request",
        lambda r: logins.append(r.url) if r.method == "POST" and r.url.endswith("/login") else None,
    )
    second.goto(f"{practice.vault.base_url}/items/{iid}")
    form = second.locator("[data-unlock-form]")
    expect(form).to_be_visible(timeout=SLOW_MS)
    # Nothing to act on before the item can be read.
    expect(second.locator("[data-acknowledge]")).to_be_hidden()
    expect(second.locator("[data-mark-handled]")).to_be_hidden()
    assert practice.row("SELECT status FROM item WHERE id = ?", iid) == ("new",)
    form.locator("[name=password]").fill("not the password at all")
    form.locator("button[type=submit]").click()
    expect(form.locator("[data-unlock-error]")).to_contain_text(
        "does not open your keys", timeout=SLOW_MS
    )
    form.locator("[name=password]").fill(practice.member.password)
    form.locator("button[type=submit]").click()
    _decrypted(second)
    expect(form).to_be_hidden()
    expect(second.locator("[data-acknowledge]")).to_be_visible()
    assert logins == []  # the password only: no sign-in, no code
    assert second.url.endswith(f"/items/{iid}")


def test_a_tab_of_another_session_receives_nothing(
    chromium: Browser,  # noqa: F811
    member_tab: PageLog,
    practice: Practice,
) -> None:
    """The first tab holds the keys of session 1. A tab of session 2 — in the same browser
    after a new sign-in, and in another browser context — asks and gets nothing: it is
    offered the password prompt, and no key reaches its storage."""
    iid = _deposit(practice)
    base = practice.vault.base_url
    member = practice.member
    with open_tab(chromium) as other:  # another browser context, same account
        sign_in_member(other, practice)
        other.page.evaluate("sessionStorage.clear()")
        other.page.goto(f"{base}/items/{iid}")
        expect(other.page.locator("[data-unlock-form]")).to_be_visible(timeout=SLOW_MS)
        assert other.page.evaluate(f"sessionStorage.getItem({KEYS_ITEM!r})") is None

    # The same browser: a second tab signs in again (session 2) and drops its own keys;
    # the first tab, still open, holds session 1's.
    second = member_tab.page.context.new_page()
    tab2 = PageLog(second)
    submit_login(tab2, base, member.username, member.password, member.code())
    second.wait_for_url("**/inbox", timeout=SLOW_MS)
    second.evaluate("sessionStorage.clear()")
    assert member_tab.page.evaluate(f"sessionStorage.getItem({KEYS_ITEM!r})") is not None
    second.goto(f"{base}/items/{iid}")
    expect(second.locator("[data-unlock-form]")).to_be_visible(timeout=SLOW_MS)
    second.wait_for_timeout(1500)
    assert second.evaluate(f"sessionStorage.getItem({KEYS_ITEM!r})") is None
    expect(second.locator("#item")).not_to_have_attribute("data-decrypted", "true")


def test_the_colleague_not_granted_yet_sees_whom_to_ask_and_no_action(
    chromium: Browser,  # noqa: F811
    practice: Practice,
) -> None:
    iid = _deposit(practice)
    newcomer = enrol(practice.vault.env, Role.MEMBER, "dr.petit", practice=PRACTICE)
    with open_tab(chromium) as tab:
        submit_login(
            tab, practice.vault.base_url, newcomer.username, newcomer.password, newcomer.code()
        )
        tab.page.wait_for_url("**/practice/waiting", timeout=SLOW_MS)
        # The link of a notification, opened by the newcomer.
        tab.page.goto(f"{practice.vault.base_url}/items/{iid}")
        page = tab.page
        assert page.url.endswith("/practice/waiting")
        expect(page.locator("h1")).to_have_text("Waiting for a colleague")
        expect(page.locator("[data-key-holders]")).to_contain_text(f"{MEMBER_NAME} (dr.martin)")
        for action in ("[data-acknowledge]", "[data-mark-handled]", "[data-undo]", "[data-field]"):
            expect(page.locator(action)).to_have_count(0)
        assert_clean(tab)
    assert practice.row("SELECT status FROM item WHERE id = ?", iid) == ("new",)

"""A newcomer gets the team key from a member's ordinary page (real Chromium through
uvicorn): a secretary assigned after the instructions were written sees, until a member
loads a page, that she is waiting for one (not "no instructions yet") and no "take" button
on a request she cannot read; once the member opens the inbox, she reads the instructions."""

from __future__ import annotations

import time

from playwright.sync_api import Browser, Page

from tests.browser.conftest import chromium  # noqa: F401 - fixture
from tests.e2e.conftest import ARRANGE
from tests.e2e.desk_site import (  # noqa: F401 - fixture
    MEMBER,
    DeskSite,
    desk_site,
)
from vault.identity import practices
from vault.identity.roles import Role

NEWCOMER = "nadia"
WAITING = ("waiting for a member of the practice to open Permanence", "en attente qu'un membre")


def _write_card_and_request(site: DeskSite, page: Page) -> None:
    page.goto(f"{site.base_url}/practice/instructions")
    page.wait_for_selector("#instructions[data-ready=true]", timeout=30_000)
    page.fill("#doc-1 [data-key=address]", "1 rue de la Paix, Paris")
    page.click("#doc-1 button[type=submit]")
    page.wait_for_function("() => document.querySelector('#doc-1').dataset.saved", timeout=30_000)
    page.goto(f"{site.base_url}/practice/requests")
    page.wait_for_selector("[data-requests-panel][data-panel-state=ready]", timeout=30_000)
    page.fill("[data-request-text]", "Rappeler le laboratoire")
    page.click("[data-request-form] button[type=submit]")
    page.wait_for_selector("[data-request][data-status=open]", timeout=30_000)


def _granted(site: DeskSite, account_id: str) -> bool:
    return bool(
        site.env.db.read(
            lambda c: c.execute(
                "SELECT count(*) FROM team_key_grant WHERE account_id = ?", (account_id,)
            ).fetchone()[0]
        )
    )


def _waiting(text: str) -> bool:
    return any(words in text for words in WAITING)


def test_a_new_secretary_waits_for_a_member_then_reads_the_instructions(
    desk_site: DeskSite,  # noqa: F811
    chromium: Browser,  # noqa: F811
) -> None:
    site = desk_site
    member = site.page(chromium, MEMBER)
    _write_card_and_request(site, member)
    newcomer_id = site.enrol(Role.SECRETARY, NEWCOMER)
    practices.set_assignment(site.env, ARRANGE, None, newcomer_id, site.practice_id, True)

    page = site.page(chromium, NEWCOMER)
    page.goto(f"{site.base_url}/desk")
    page.wait_for_selector("#desk[data-ready=true]", timeout=30_000)
    desk = page.inner_text("#desk")
    assert _waiting(desk), desk
    assert "pas encore écrit de consignes" not in desk
    assert "not written any instructions" not in desk
    page.goto(f"{site.base_url}/requests")
    page.wait_for_selector("[data-requests-panel][data-panel-state=failed]", timeout=30_000)
    assert _waiting(page.inner_text("[data-requests-panel]"))
    assert page.locator("[data-take]").count() == 0

    # The member only opens the inbox: the newcomer is added in the background.
    member.goto(f"{site.base_url}/inbox")
    deadline = time.monotonic() + 30
    while not _granted(site, newcomer_id) and time.monotonic() < deadline:
        member.wait_for_timeout(200)
    assert _granted(site, newcomer_id)

    page.goto(f"{site.base_url}/desk")
    page.wait_for_selector("#desk[data-ready=true]", timeout=30_000)
    page.wait_for_selector(f"#desk[data-instructions-shown='{site.practice_id}']", timeout=30_000)
    assert "1 rue de la Paix" in page.inner_text("#desk")
    page.goto(f"{site.base_url}/requests")
    page.wait_for_selector("[data-requests-panel][data-panel-state=ready]", timeout=30_000)
    assert page.locator("[data-take]").count() == 1

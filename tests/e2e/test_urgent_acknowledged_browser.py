"""Issue 14's second "Done when", in Chromium through uvicorn: an urgent deposit reaches the
member at the e-mail address she verified on her account page (a real SMTP server), she
acknowledges it from the inbox, the secretary reads "Pris en charge par Dr Martin à 10 h 42"
on her deposits page, and the item's delivery trail lists the notification and the
acknowledgement, on the item page and on the deposits page.

The server's clock is real time plus an offset the test moves forward (``ManualClock``): to
10:41:30 in Paris before the deposit, then to 10:42:00 just before the click, so the
acknowledgement is at 10 h 42 whatever the hour the test runs.
"""

from __future__ import annotations

import re
import time
from collections.abc import Iterator
from dataclasses import replace
from datetime import datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from aiosmtpd.controller import Controller
from playwright.sync_api import Browser, expect

from tests.browser.conftest import chromium  # noqa: F401 - fixture
from tests.e2e.accounts_pages import SLOW_MS, assert_clean, open_tab, sign_in, submit_login
from tests.e2e.accounts_server import AccountsVault, ManualClock, Recorder
from tests.e2e.conftest import new_vault, start_server
from tests.e2e.trust_site import Practice, new_practice
from tests.vault.notify.receivers import Inbox, free_port, mail_text
from vault.clock import parse_iso
from vault.settings import SmtpSettings
from web.app import create_app

PARIS = ZoneInfo("Europe/Paris")
ADDRESS = "claire.martin@cabinet-martin.example"


@pytest.fixture
def site(tmp_path: Path) -> Iterator[tuple[AccountsVault, Inbox]]:
    """A live vault mailing through a real SMTP server; sessions outlive the clock's jump."""
    clock = ManualClock()
    sock, settings, opened = new_vault(tmp_path, now=clock)
    mailbox = Inbox(free_port())
    controller = Controller(mailbox, hostname="127.0.0.1", port=mailbox.port)
    controller.start()
    smtp = SmtpSettings(host="127.0.0.1", port=mailbox.port, sender="vault@example.org")
    served = opened.with_env(
        settings=replace(
            opened.env.settings,
            smtp=smtp,
            session_idle_seconds=3 * 86400,
            session_absolute_seconds=3 * 86400,
        )
    )
    recorder = Recorder(create_app(served))
    server, thread = start_server(recorder, sock)
    try:
        yield AccountsVault(settings.base_url, settings, served.env, clock, recorder), mailbox
    finally:
        server.should_exit = True
        thread.join(timeout=20)
        opened.db.close()
        controller.stop()


def _move_to(clock: ManualClock, local: datetime) -> None:
    """Forward to the next moment at ``local``'s time of day in Paris."""
    now = clock().astimezone(PARIS)
    target = now.replace(hour=local.hour, minute=local.minute, second=local.second, microsecond=0)
    if target <= now:
        target += timedelta(days=1)
    clock.advance((target - now).total_seconds())


def _until(condition: object, seconds: float = 30) -> None:
    deadline = time.monotonic() + seconds
    while not condition():  # type: ignore[operator]
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.1)


def _code(mailbox: Inbox, to: str) -> str:
    _until(lambda: any(rcpt == [to] for rcpt, _ in mailbox.mails))
    mail = [m for rcpt, m in mailbox.mails if rcpt == [to]][-1]
    found = re.search(r"\b(\d{6})\b", mail_text(mail))
    assert found is not None
    return found.group(1)


def test_the_secretary_sees_who_took_charge_and_the_trail(
    chromium: Browser,  # noqa: F811 - fixture
    site: tuple[AccountsVault, Inbox],
) -> None:
    vault, mailbox = site
    practice: Practice = new_practice(vault)
    practice.rename(practice.member, "Dr Martin")
    secretary = practice.secretary("sophie", "Sophie Leroy")
    with open_tab(chromium) as member_tab, open_tab(chromium) as secretary_tab:
        member, page = practice.member, member_tab.page
        sign_in(member_tab, vault.base_url, member.username, member.password, member.code())

        # Her e-mail address, verified by the code the real SMTP server received.
        page.goto(vault.base_url + "/account")
        request = page.locator("[data-code-request=email]")
        request.locator("input[name=address]").fill(ADDRESS)
        request.locator("button[type=submit]").click()
        expect(page.locator("[data-contacts-feedback]")).to_contain_text(ADDRESS)
        confirm = page.locator("[data-code-confirm=email]")
        confirm.locator("input[name=code]").fill(_code(mailbox, ADDRESS))
        confirm.locator("button[type=submit]").click()
        expect(page.locator("[data-verified=email]")).to_contain_text(ADDRESS)
        assert_clean(member_tab)

        submit_login(
            secretary_tab, vault.base_url, secretary.username, secretary.password, secretary.code()
        )
        secretary_tab.page.wait_for_url("**/workspace", timeout=SLOW_MS)

        # 10:41:30 in Paris: the urgent deposit; the first person on call is mailed at once.
        _move_to(vault.clock, datetime(2026, 1, 1, 10, 41, 30))
        mails_before = len(mailbox.mails)
        iid = practice.deposit_note(secretary)
        _until(lambda: len(mailbox.mails) > mails_before)
        (to, mail) = mailbox.mails[-1]
        assert to == [ADDRESS]  # the verified address, not the username
        assert "Jeanne Dupont" not in mail_text(mail)

        page.goto(vault.base_url + "/inbox")
        cell = page.locator(f"#status-cell-{iid}")
        acknowledge = cell.locator("[data-acknowledge]")
        expect(acknowledge).to_be_visible()
        _move_to(vault.clock, datetime(2026, 1, 1, 10, 42, 0))
        acknowledge.click()
        expect(cell).to_have_attribute("data-status", "acknowledged")
        assert_clean(member_tab)

        (at,) = practice.row(
            "SELECT at FROM item_status WHERE item_id = ? AND status = 'acknowledged'", iid
        )
        local = parse_iso(str(at)).astimezone(PARIS)
        assert (local.hour, local.minute) == (10, 42)  # the clock was moved there

        deposits = secretary_tab.page
        deposits.goto(vault.base_url + "/language/fr")
        deposits.goto(vault.base_url + "/workspace/deposits")
        row = deposits.locator(f"tr[data-item-id='{iid}']")
        expect(row.locator("[data-taken-by]")).to_have_text(
            "Pris en charge par Dr Martin à 10\u00a0h\u00a042"
        )
        trail = row.locator("[data-delivery-trail] li")
        expect(trail.first).to_have_attribute("data-trail-state", "sent")
        expect(trail.first).to_contain_text(
            "Notification envoyée · Dr Martin · par e-mail · 10\u00a0h\u00a041"
        )
        expect(row.locator("[data-delivery-trail] li[data-trail-state=acknowledged]")).to_have_text(
            "Pris en charge · Dr Martin · 10\u00a0h\u00a042"
        )
        assert_clean(secretary_tab)

        # The item's own page, for the practice: the same trail.
        page.goto(f"{vault.base_url}/items/{iid}")
        steps = page.locator("#item [data-delivery-trail] li")
        expect(steps.first).to_have_attribute("data-trail-state", "sent")
        expect(steps.first).to_contain_text("Notification sent · Dr Martin · by e-mail")
        expect(
            page.locator("#item [data-delivery-trail] li[data-trail-state=acknowledged]")
        ).to_contain_text("Acknowledged · Dr Martin · 10:42\u00a0am")
        assert_clean(member_tab)

"""After a real sign-in in Chromium, ``?next=`` never leads to another site.

The review's open redirect: ``/login?next=/%09/evil.example`` passed login.js's check
(starts with "/", not "//", no backslash) and Chromium, which drops tabs and line breaks
from URLs, then went to ``//evil.example``. Here a member signs in through the page with
each off-site ``next`` of the review; any request to evil.example is caught (and
answered locally, so nothing leaves the machine). The member must land on /inbox of
this vault every time, and on the page ``next`` names when it is a local path.
"""

from __future__ import annotations

from urllib.parse import urlsplit

import pytest
from playwright.sync_api import Browser, Route

from tests.e2e.accounts_pages import SLOW_MS, assert_clean, open_tab
from tests.e2e.accounts_server import AccountsVault, accounts_vault_fixture  # noqa: F401 - fixture
from vault.identity.roles import Role

PASSWORD = "Lune-verte-42!x"
OFF_SITE_QUERIES = [
    "next=/%09/evil.example",
    "next=/%0A/evil.example",
    "next=/%0D/evil.example",
    "next=//evil.example",
    "next=/%5Cevil.example",
    "next=https://evil.example/",
]


@pytest.mark.parametrize("query", OFF_SITE_QUERIES)
def test_an_off_site_next_lands_on_the_inbox(
    accounts_vault: AccountsVault, chromium: Browser, query: str
) -> None:
    vault = accounts_vault
    link = vault.invite(Role.MEMBER, "dr.martin", "Dr Claire Martin", practice="Cabinet Test")
    member = vault.enrol_over_http(link, "dr.martin", PASSWORD)
    base = urlsplit(vault.base_url)
    with open_tab(chromium) as tab:
        page = tab.page
        evil: list[str] = []

        def catch(route: Route) -> None:
            evil.append(route.request.url)
            route.fulfill(status=200, content_type="text/html", body="<title>evil</title>")

        page.context.route(lambda url: urlsplit(url).hostname == "evil.example", catch)
        for target, landing in ((query, "/inbox"), ("next=/account", "/account")):
            page.context.clear_cookies()
            page.goto(f"{vault.base_url}/login?{target}")
            page.fill("#login-form [name=username]", "dr.martin")
            page.fill("#login-form #password", PASSWORD)
            page.fill("#login-form [name=code]", vault.fresh_code(member.totp_secret))
            page.click("#login-form button[type=submit]")
            page.wait_for_url(lambda url: urlsplit(url).path != "/login", timeout=SLOW_MS)
            page.wait_for_load_state()
            assert evil == [], evil
            where = urlsplit(page.url)
            assert (where.scheme, where.netloc, where.path) == (base.scheme, base.netloc, landing)
            assert_clean(tab)

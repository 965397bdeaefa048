"""In real Chromium, the browser's module (web/static/js/app/localdates.js) writes a time the
server wrote (web/local_dates.py) character for character: the account page's session times,
read back from their ``<time datetime>`` and formatted again in the page, in a browser whose
own zone is not the practice's (New York), in French and in English."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime

import pytest
from playwright.sync_api import Browser
from starlette.types import ASGIApp

from tests.factories import World, session_for
from vault.opening import Vault
from web.app import create_app
from web.session import COOKIE

pytestmark = pytest.mark.browser

REFORMAT = """async (lang) => {
  const m = await import("/static/js/app/localdates.js");
  const zone = m.pageZone();  // the page's <meta name="practice-timezone">
  return [...document.querySelectorAll("time[datetime]")].map((t) => ({
    server: t.textContent, title: t.title,
    browser: m.shortTime(t.dateTime, zone, lang), browserLong: m.longTime(t.dateTime, zone, lang),
  }));
}"""


@pytest.mark.parametrize("language", ["fr", "en"])
def test_the_browser_writes_the_servers_times(
    chromium: Browser,
    serve: Callable[[ASGIApp], str],
    world: World,
    vault: Vault,
    language: str,
) -> None:
    world.clock.at = datetime(2026, 10, 25, 1, 30, 7, tzinfo=UTC)  # 2:30 the second time
    base = serve(create_app(vault.with_env(now=world.clock)))
    token, _ = session_for(world.env, world.member)
    locale = {"fr": "fr-FR", "en": "en-US"}[language]
    context = chromium.new_context(timezone_id="America/New_York", locale=locale)
    try:
        context.add_cookies([{"name": COOKIE, "value": token, "url": base}])
        page = context.new_page()
        page.goto(f"{base}/account")
        times = page.evaluate(REFORMAT, language)
    finally:
        context.close()
    assert len(times) >= 2  # started, last activity
    for shown in times:
        assert shown["browser"] == shown["server"]
        assert shown["browserLong"] == shown["title"]
    expected = {"fr": "25 oct. 2026, 2 h 30", "en": "25 Oct 2026, 2:30 am"}[language]
    assert times[0]["server"].replace("\u00a0", " ") == expected

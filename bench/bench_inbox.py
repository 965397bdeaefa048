"""The inbox in headless Chromium: 50 decrypted rows, and searching 10,000 items.

A vault with one practice and 10,000 call notes (sealed and signed as a secretary's
browser does, seeded at once with ``tests.factories.seed_items``) is served by the
production app through uvicorn; a member's session and unlocked keys are put in a
Chromium context. In the same run, for each figure, its baseline:

- inbox: from navigation to the 50 rows of the first page filled (``data-rows-ms``:
  envelopes fetched in one request, verified, decrypted, shown), against the same page in
  a tab without the practice key (the same HTML, modules and libsodium start-up, no
  envelope fetched or decrypted);
- search: the first search of the 10,000 items (fetching 20 batches of 500 envelopes,
  verifying, decrypting and indexing them), against fetching the same batches without
  decrypting; then a later search in the index.

    PYTHONPATH=. .venv/bin/python bench/bench_inbox.py [--items 10000] [--runs 5]
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import tempfile
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from playwright.sync_api import Browser, sync_playwright

from bench.tab_keys import signed_in_tab
from crypto.envelope import ItemKind, Urgency
from tests.e2e.conftest import new_vault, start_server
from tests.factories import Seeded, add_account, add_practice, assign, seed_items
from vault.identity.roles import Role
from web.app import create_app

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--no-first-run"]
DCL: list[float] = []  # DOMContentLoaded of each inbox page measured (HTML parsed, scripts run)
GOALS = {"inbox": 300.0, "first search": 3000.0, "later search": 100.0}

# The page fetches every search batch as inbox.js does, without decrypting anything.
_FETCH_ONLY = """async () => {
  const csrf = document.querySelector('meta[name="csrf-token"]').content;
  const t0 = performance.now();
  let after = null, items = 0;
  for (;;) {
    const r = await fetch("/inbox/search", {method: "POST", credentials: "same-origin",
      headers: {"Content-Type": "application/json", "Accept": "application/json",
                "X-CSRF-Token": csrf}, body: JSON.stringify({after})});
    const answer = await r.json();
    items += answer.items.length;
    if (!answer.next) break;
    after = answer.next;
  }
  return [performance.now() - t0, items];
}"""


def _note(n: int, at: datetime, target: int) -> Seeded:
    caller = "Mme Lefèvre" if n == target else f"Patient {n}"
    body: dict[str, object] = {
        "caller_name": caller,
        "caller_is": "self",
        "callback_number": f"06 12 34 {n % 100:02d} 78",
        "reason": f"Renouvellement d'ordonnance, demande n°{n}",
        "best_time": "avant midi",
        "notes": "Rappeler si possible avant la fin de la journée.",
    }
    urgency = Urgency.URGENT if n % 97 == 0 else Urgency.NORMAL
    return Seeded(body, at - timedelta(minutes=7 * n), ItemKind.CALL_NOTE, urgency)


def _arrange(tmp: Path, items: int) -> tuple[Any, Any, dict[str, str]]:
    sock, settings, vault = new_vault(tmp)
    env = vault.env
    practice = add_practice(env, "Cabinet Bench")
    member = add_account(env, Role.MEMBER, "dr.bench", practice)
    secretary = add_account(env, Role.SECRETARY, "sophie")
    assign(env, secretary, practice)
    now = datetime.now(UTC).replace(microsecond=0)
    notes = [_note(n, now, items * 7 // 9) for n in range(items)]  # deep in the history
    keys = secretary.keys
    seed_items(env, practice.id, practice.keys.public_key, secretary.id, keys.signing_key, notes)
    tab = signed_in_tab(env, member, practice)
    server, thread = start_server(create_app(vault), sock)
    return (server, thread, vault), settings, tab


def _context(browser: Browser, base_url: str, arr: dict[str, str], with_keys: bool) -> Any:
    context = browser.new_context(locale="en-GB", viewport={"width": 390, "height": 844})
    context.add_cookies([{"name": "permanence_session", "value": arr["token"], "url": base_url}])
    if with_keys:
        script = f"sessionStorage.setItem('permanence.keys', {json.dumps(arr['keys'])});"
        context.add_init_script(script)
    return context


def _inbox_ms(browser: Browser, base_url: str, arr: dict[str, str], with_keys: bool) -> float:
    context = _context(browser, base_url, arr, with_keys)
    try:
        page = context.new_page()
        page.goto(base_url + "/inbox")
        page.wait_for_selector("#inbox[data-rows-ms]", timeout=60_000)
        state = "shown" if with_keys else "locked"
        filled = page.locator(f"[data-item-row][data-essentials={state}]").count()
        assert filled == 50, filled
        dcl = page.evaluate(
            "performance.getEntriesByType('navigation')[0].domContentLoadedEventEnd"
        )
        DCL.append(float(dcl))
        return float(str(page.locator("#inbox").get_attribute("data-rows-ms")))
    finally:
        context.close()


def _search(
    browser: Browser, base_url: str, arr: dict[str, str], workers: bool = True
) -> tuple[float, float, float]:
    """(first search ms, later search ms, fetch-only ms) on a fresh page."""
    context = _context(browser, base_url, arr, True)
    try:
        page = context.new_page()
        page.goto(base_url + "/inbox")
        page.wait_for_selector("#inbox[data-rows-ready]", timeout=60_000)
        if not workers:
            page.evaluate("document.getElementById('inbox').dataset.searchWorkers = '0'")
        fetch_ms, fetched = page.evaluate(_FETCH_ONLY)
        status = page.locator("#search-form [data-status]")
        page.fill("#search-form [name=q]", "LEFEVRE")
        page.click("#search-form button[type=submit]")
        page.wait_for_selector("#search-form [data-status][data-done='1']", timeout=120_000)
        assert page.locator("[data-result-id]").count() == 1, status.inner_text()
        first = float(str(page.locator("#inbox").get_attribute("data-search-ms")))
        page.fill("#search-form [name=q]", "ordonnance 4242")
        page.click("#search-form button[type=submit]")
        page.wait_for_selector("#search-form [data-status][data-done='2']", timeout=60_000)
        later = float(str(page.locator("#inbox").get_attribute("data-search-ms")))
        assert int(fetched) > 0
        return first, later, float(fetch_ms)
    finally:
        context.close()


def _row(name: str, times: list[float], goal: float | None = None) -> str:
    median = statistics.median(times)
    verdict = "" if goal is None else (" ✓" if median < goal else " ✗")
    goal_text = "" if goal is None else f"< {goal:.0f} ms{verdict}"
    runs = ", ".join(f"{t:.0f}" for t in times)
    return f"| {name} | {median:.0f} ms | {goal_text} | {runs} |"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--items", type=int, default=10_000)
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        (server, thread, vault), settings, arr = _arrange(Path(tmp), args.items)
        base_url = settings.base_url
        try:
            with sync_playwright() as playwright:
                browser = playwright.chromium.launch(
                    executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS
                )
                try:
                    _inbox_ms(browser, base_url, arr, True)  # warm-up (caches, JIT)
                    rows = [_inbox_ms(browser, base_url, arr, True) for _ in range(args.runs)]
                    bare = [_inbox_ms(browser, base_url, arr, False) for _ in range(args.runs)]
                    turns = max(args.runs // 2, 1)
                    searches = [_search(browser, base_url, arr) for _ in range(turns)]
                    on_page = [_search(browser, base_url, arr, False) for _ in range(turns)]
                    version = browser.version
                finally:
                    browser.close()
        finally:
            server.should_exit = True
            thread.join(timeout=20)
            vault.db.close()
    print(f"### Inbox rows and search ({args.items:,} items), headless Chromium {version}\n")
    print(f"Machine: {platform.machine()}, {platform.system()} {platform.release()}, ", end="")
    print(f"{os.cpu_count()} cores, load average {os.getloadavg()[0]:.1f} at the end.\n")
    print("| measure | median | goal | runs (ms) |")
    print("|---|---:|---|---|")
    print(_row("inbox: navigation → 50 decrypted rows", rows, GOALS["inbox"]))
    print(_row("baseline: same page, no practice key (nothing fetched or decrypted)", bare))
    print(_row("DOMContentLoaded of all the inbox pages above", DCL[1:]))
    print(
        _row(
            f"first search of {args.items:,} items", [s[0] for s in searches], GOALS["first search"]
        )
    )
    print(_row("  the same, decrypted on the page (no workers)", [s[0] for s in on_page]))
    print(_row(f"baseline: fetching the {args.items:,} envelopes only", [s[2] for s in searches]))
    print(_row("later search (in memory)", [s[1] for s in searches], GOALS["later search"]))


if __name__ == "__main__":
    main()

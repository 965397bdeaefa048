"""Page loads in headless Chromium: the inbox and an item, cold and warm caches.

A vault with one practice and 200 call notes is served by the production app through
uvicorn twice in the same run: with fingerprinted static files served immutable (what
``permanence serve`` does, web/static_files.py) and, as the baseline, with the former
plain ``/static/`` URLs answered ``no-store``. For each, in headless Chromium:

- time to ready, from navigation start to the decrypted fields shown (the inbox: its 50
  rows filled, ``#inbox[data-rows-ms]``; the item page: ``[data-decrypted=true]``),
  recorded on the page by a MutationObserver (no polling delay);
- cold: a new browser context (empty cache) per load; warm: the same page loaded again in
  the context that loaded it once;
- on the loopback, and on an emulated 20/5 Mbit/s link with 40 ms latency;
- the bytes and requests of static files each load fetched from the network.

    PYTHONPATH=. .venv/bin/python bench/bench_pages.py [--runs 5]
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import socket
import statistics
import tempfile
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from playwright.sync_api import Browser, Page, sync_playwright

from bench.tab_keys import signed_in_tab
from crypto.envelope import ItemKind, Urgency
from tests.e2e.conftest import new_vault, start_server
from tests.factories import Seeded, add_account, add_practice, assign, seed_items
from vault.identity.roles import Role
from vault.opening import Vault
from web.app import create_app

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--no-first-run"]
SLOW_LINK = {
    "offline": False,
    "latency": 40,
    "downloadThroughput": 20e6 / 8,
    "uploadThroughput": 5e6 / 8,
}
READY = {"inbox": "#inbox[data-rows-ms]", "item": '[data-decrypted="true"]'}

# Records when the page's ready marker appears, measured from navigation start.
OBSERVE = """(() => {
  const selector = %s;
  new MutationObserver((_, observer) => {
    if (document.querySelector(selector)) {
      window.__readyAt = performance.now();
      observer.disconnect();
    }
  }).observe(document, { subtree: true, childList: true, attributes: true });
})();"""


def _arrange(tmp: Path) -> tuple[Vault, Any, dict[str, str], str]:
    sock, settings, vault = new_vault(tmp)
    sock.close()
    env = vault.env
    practice = add_practice(env, "Cabinet Bench")
    member = add_account(env, Role.MEMBER, "dr.bench", practice)
    secretary = add_account(env, Role.SECRETARY, "sophie")
    assign(env, secretary, practice)
    now = datetime.now(UTC).replace(microsecond=0)
    notes = [
        Seeded(
            {
                "caller_name": f"Patient {n}",
                "caller_is": "self",
                "callback_number": f"06 12 34 {n % 100:02d} 78",
                "reason": f"Renouvellement d'ordonnance, demande n°{n}",
                "notes": "Rappeler avant la fin de la journée.",
            },
            now - timedelta(minutes=7 * n),
            ItemKind.CALL_NOTE,
            Urgency.URGENT if n % 17 == 0 else Urgency.NORMAL,
        )
        for n in range(200)
    ]
    keys = secretary.keys
    ids = seed_items(
        env, practice.id, practice.keys.public_key, secretary.id, keys.signing_key, notes
    )
    # The item page asks for the key bundle (the factory's account has no wrapped key).
    env.db.write(
        lambda c: c.execute(
            "UPDATE account SET wrapped_kek = ? WHERE id = ?", (os.urandom(107), member.id)
        )
    )
    tab = signed_in_tab(env, member, practice)
    return vault, settings, tab, ids[0]


def _load(page: Page, url: str, ready: str) -> tuple[float, int, int]:
    """(ms to ready, static bytes from the network, static requests from the network)."""
    fetched: list[int] = []

    def on_response(response: Any) -> None:
        if "/static/" in response.url and not response.from_service_worker:
            size = response.request.sizes()["responseBodySize"]
            if response.status != 304 and size > 0:
                fetched.append(size)

    page.on("response", on_response)
    page.goto(url)
    page.wait_for_selector(ready, state="attached", timeout=60_000)
    page.wait_for_function("window.__readyAt !== null", timeout=60_000)
    ms = float(page.evaluate("window.__readyAt"))
    if "inbox" in ready:  # the rows were decrypted, not shown locked
        assert page.locator("[data-item-row][data-essentials=shown]").count() == 50
    page.remove_listener("response", on_response)
    return ms, sum(fetched), len(fetched)


def _measure(
    browser: Browser, base: str, arr: dict[str, str], path: str, kind: str, slow: bool
) -> dict[str, tuple[float, int, int]]:
    context = browser.new_context(locale="fr-FR", viewport={"width": 390, "height": 844})
    try:
        context.add_cookies([{"name": "permanence_session", "value": arr["token"], "url": base}])
        context.add_init_script(
            f"sessionStorage.setItem('permanence.keys', {json.dumps(arr['keys'])});"
        )
        context.add_init_script(OBSERVE % json.dumps(READY[kind]))
        page = context.new_page()
        if slow:
            cdp = context.new_cdp_session(page)
            cdp.send("Network.enable")
            cdp.send("Network.emulateNetworkConditions", SLOW_LINK)
        cold = _load(page, base + path, READY[kind])
        page.goto("about:blank")
        warm = _load(page, base + path, READY[kind])
        return {"cold": cold, "warm": warm}
    finally:
        context.close()


def _serve(vault: Vault, settings: Any, fingerprinted: bool) -> tuple[Any, Any, str]:
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)  # the same port, twice
    sock.bind(("127.0.0.1", settings.port))
    server, thread = start_server(create_app(vault, fingerprinted_static=fingerprinted), sock)
    return server, thread, settings.base_url


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()
    results: dict[tuple[str, str, str, str], list[tuple[float, int, int]]] = {}
    with tempfile.TemporaryDirectory() as tmp:
        vault, settings, arr, item_id = _arrange(Path(tmp))
        pages = {"inbox": "/inbox", "item": f"/items/{item_id}"}
        try:
            with sync_playwright() as playwright:
                browser = playwright.chromium.launch(
                    executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS
                )
                version = browser.version
                try:
                    for fingerprinted in (True, False):
                        server, thread, base = _serve(vault, settings, fingerprinted)
                        mode = (
                            "fingerprinted, immutable"
                            if fingerprinted
                            else "baseline: plain URLs, no-store"
                        )
                        try:
                            _measure(browser, base, arr, pages["inbox"], "inbox", False)  # warm-up
                            for _ in range(args.runs):
                                for kind, path in pages.items():
                                    for slow in (False, True):
                                        link = "20/5 Mbit/s, 40 ms" if slow else "loopback"
                                        got = _measure(browser, base, arr, path, kind, slow)
                                        for cache, figure in got.items():
                                            results.setdefault(
                                                (kind, link, mode, cache), []
                                            ).append(figure)
                        finally:
                            server.should_exit = True
                            thread.join(timeout=20)
                finally:
                    browser.close()
        finally:
            vault.db.close()
    _report(results, args.runs, version)


def _report(
    results: dict[tuple[str, str, str, str], list[tuple[float, int, int]]], runs: int, version: str
) -> None:
    print(
        f"### Page loads, cold and warm caches (headless Chromium {version}, medians of {runs})\n"
    )
    print(
        f"Machine: {platform.machine()}, {os.cpu_count()} cores, "
        f"load average {os.getloadavg()[0]:.1f} at the end.\n"
    )
    print("| page | link | static files | cache | time to ready | static fetched | runs (ms) |")
    print("|---|---|---|---|---:|---:|---|")
    for (kind, link, mode, cache), figures in results.items():
        ms = [f[0] for f in figures]
        kib = statistics.median(f[1] for f in figures) / 1024
        count = statistics.median(f[2] for f in figures)
        runs_text = ", ".join(f"{m:.0f}" for m in ms)
        median = statistics.median(ms)
        print(
            f"| {kind} | {link} | {mode} | {cache} | {median:.0f} ms "
            f"| {count:.0f} files, {kib:.0f} KiB | {runs_text} |"
        )


if __name__ == "__main__":
    main()

"""Fixtures for tests that drive real headless Chromium or Node.

- ``chromium``: a Playwright browser, Debian's ``/usr/bin/chromium`` (Playwright
  never downloads a browser here). Skipped when it is absent, except under
  ``CI`` where a missing browser FAILS: CI must run these tests. Scoped to the
  test module, not the session: while Playwright's sync API is alive it leaves
  its event loop marked as running in the main thread, and every later
  ``asyncio.run()`` in the session (e.g. tests/vault/storage/test_writer.py) fails with
  "cannot be called from a running event loop". A launch costs ~0.3 s.
- ``serve``: starts any ASGI app under real uvicorn on 127.0.0.1 (free port,
  background thread), wrapped in ``web.security.SecurityHeaders`` so pages run
  under the production CSP.
- ``crypto_site``: ``web/static`` at ``/static`` and ``tests/browser/pages`` at
  ``/pages``, served that way.
- ``browser_page``: a fresh page that records console errors and CSP violations.
- ``node``: the ``node`` executable, with the same skip/fail rule.
"""

from __future__ import annotations

import os
import shutil
import socket
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest
import uvicorn
from playwright.sync_api import Browser, ConsoleMessage, Page, sync_playwright
from starlette.applications import Starlette
from starlette.routing import Mount
from starlette.staticfiles import StaticFiles
from starlette.types import ASGIApp

from web.security import SecurityHeaders

REPO = Path(__file__).resolve().parents[2]
WEB_STATIC = REPO / "web" / "static"
PAGES = Path(__file__).resolve().parent / "pages"
CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-quic",
]

# Installed by CDP before any page script, so it is not subject to the page's CSP: it records
# every violation the page would otherwise only report to a (non-existent) report endpoint.
_CSP_LISTENER = """
window.__cspViolations = [];
document.addEventListener("securitypolicyviolation", (e) => {
  window.__cspViolations.push(e.violatedDirective + " " + (e.blockedURI || "inline"));
});
"""


def _missing(what: str) -> None:
    """Skip, or fail under CI: a CI run must never silently skip the browser tests."""
    if os.environ.get("CI"):
        pytest.fail(f"{what} is required under CI", pytrace=False)
    pytest.skip(f"{what} is not installed")


@pytest.fixture(scope="module")
def chromium() -> Iterator[Browser]:
    """A headless Chromium (Debian's), shared by a test module; fresh temporary profile."""
    if not CHROMIUM.exists():
        _missing(str(CHROMIUM))
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=str(CHROMIUM), headless=True, args=CHROMIUM_ARGS
        )
        try:
            yield browser
        finally:
            browser.close()


@pytest.fixture(scope="session")
def node() -> str:
    """Path of the ``node`` executable (the JS tests and interop scripts need v18+)."""
    found = shutil.which("node")
    if found is None:
        _missing("node")
    assert found is not None
    return found


@dataclass
class _Server:
    server: uvicorn.Server
    thread: threading.Thread
    base_url: str

    def stop(self) -> None:
        self.server.should_exit = True
        self.thread.join(timeout=10)


def _start(app: ASGIApp) -> _Server:
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    config = uvicorn.Config(
        SecurityHeaders(app, behind_tls=False),
        log_level="warning",
        lifespan="off",
        access_log=False,
    )
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    deadline = time.monotonic() + 10
    while not server.started:
        if not thread.is_alive() or time.monotonic() > deadline:
            raise RuntimeError("uvicorn did not start")
        time.sleep(0.01)
    return _Server(server, thread, f"http://127.0.0.1:{port}")


@pytest.fixture(scope="session")
def serve() -> Iterator[Callable[[ASGIApp], str]]:
    """Start an ASGI app under uvicorn with the production security headers; return its URL.

    Servers stop at the end of the session.
    """
    started: list[_Server] = []

    def start(app: ASGIApp) -> str:
        started.append(_start(app))
        return started[-1].base_url

    try:
        yield start
    finally:
        for server in started:
            server.stop()


@pytest.fixture(scope="session")
def crypto_site(serve: Callable[[ASGIApp], str]) -> str:
    """Base URL serving ``web/static`` at ``/static`` and the test pages at ``/pages``."""
    app = Starlette(
        routes=[
            Mount("/static", StaticFiles(directory=WEB_STATIC), name="static"),
            Mount("/pages", StaticFiles(directory=PAGES), name="pages"),
        ]
    )
    return serve(app)


@dataclass
class PageLog:
    """What a page reported: console errors and Content-Security-Policy violations."""

    page: Page
    console_errors: list[str] = field(default_factory=list)

    def csp_violations(self) -> list[str]:
        violations = self.page.evaluate("window.__cspViolations || []")
        assert isinstance(violations, list)
        return [str(v) for v in violations]


@pytest.fixture
def browser_page(chromium: Browser) -> Iterator[PageLog]:
    """A fresh page in its own context that records console errors and CSP violations."""
    context = chromium.new_context()
    context.add_init_script(_CSP_LISTENER)
    page = context.new_page()
    log = PageLog(page)

    def on_console(message: ConsoleMessage) -> None:
        if message.type == "error":
            log.console_errors.append(message.text)

    page.on("console", on_console)
    page.on("pageerror", lambda error: log.console_errors.append(f"pageerror: {error}"))
    try:
        yield log
    finally:
        context.close()

"""A live vault for the call-form and desk browser tests: a practice with one member and one
assigned secretary (both enrolled, keys and all), served through uvicorn with every request
line and header the server received recorded (to prove what never reaches it)."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from playwright.sync_api import Browser, BrowserContext, Page

from tests.browser.conftest import _CSP_LISTENER
from tests.e2e.conftest import ARRANGE, new_vault, start_server
from tests.e2e.deposit_site import Site, _Logs, _Recorder
from vault.env import Principal
from vault.identity import accounts, practices
from vault.identity.roles import Role
from web.app import create_app

PRACTICE = "Cabinet Desk"
MEMBER = "dr.desk@example.org"
SECRETARY = "sophie"


class RequestLines:
    """ASGI wrapper keeping each request's line (method, path, query) and its headers."""

    def __init__(self, app: object) -> None:
        self.app = app
        self.lines: list[str] = []
        self.headers: list[str] = []

    async def __call__(self, scope: dict, receive, send) -> None:  # type: ignore[no-untyped-def, type-arg]
        if scope.get("type") == "http":
            query = scope.get("query_string", b"").decode("latin-1")
            self.lines.append(f"{scope['method']} {scope['path']}{'?' + query if query else ''}")
            self.headers.extend(
                f"{k.decode('latin-1')}: {v.decode('latin-1')}" for k, v in scope["headers"]
            )
        await self.app(scope, receive, send)  # type: ignore[operator]


@dataclass
class DeskSite(Site):
    practice_id: str = ""
    secretary_id: str = ""
    requests: RequestLines | None = None
    contexts: list[BrowserContext] = field(default_factory=list)
    uncaught: dict[int, list[str]] = field(default_factory=dict)

    def errors(self, page: Page) -> list[str]:
        """The uncaught script errors of a page opened with ``page``."""
        return self.uncaught.get(id(page), [])

    def page(self, chromium: Browser, username: str, width: int = 1366, height: int = 900) -> Page:
        context = chromium.new_context(viewport={"width": width, "height": height})
        context.add_init_script(_CSP_LISTENER)
        self.contexts.append(context)
        page = context.new_page()
        errors: list[str] = []
        page.on("pageerror", lambda e: errors.append(str(e)))
        self.uncaught[id(page)] = errors
        page.goto(self.base_url + "/login")
        page.fill("input[name=username]", username)
        page.fill("#password", self.passwords[username])
        page.fill("input[name=code]", self.next_code(username))
        page.click("#login-form button[type=submit]")
        page.wait_for_url(lambda url: "/login" not in url, timeout=30_000)
        return page


@pytest.fixture
def desk_site(tmp_path: Path) -> Iterator[DeskSite]:
    sock, settings, vault = new_vault(tmp_path)
    env = vault.env
    logs = _Logs()
    root = logging.getLogger()
    root.addHandler(logs)
    recorder = _Recorder(create_app(vault))
    lines = RequestLines(recorder)
    server, thread = start_server(lines, sock)
    site = DeskSite(settings.base_url, settings, env, recorder, logs, requests=lines)
    try:
        site.enrol(Role.MEMBER, MEMBER, PRACTICE)
        site.secretary_id = site.enrol(Role.SECRETARY, SECRETARY)
        admin_id = accounts.invite(
            env, ARRANGE, None, username="root", display_name="Root", role=Role.ADMIN
        ).account_id
        site.practice_id = env.db.read(
            lambda c: c.execute("SELECT id FROM practice WHERE name = ?", (PRACTICE,)).fetchone()[0]
        )
        practices.set_assignment(
            env,
            ARRANGE,
            Principal(admin_id, "root", Role.ADMIN),
            site.secretary_id,
            site.practice_id,
            True,
        )
        yield site
    finally:
        for context in site.contexts:
            context.close()
        server.should_exit = True
        thread.join(timeout=20)
        vault.db.close()
        root.removeHandler(logs)


def deposited_items(site: Site) -> int:
    """How many items the vault holds."""
    return int(site.env.db.read(lambda c: c.execute("SELECT count(*) FROM item").fetchone()[0]))

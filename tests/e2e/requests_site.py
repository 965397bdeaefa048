"""A live vault (uvicorn, SQLCipher) with a practice, its member and an assigned secretary,
signed in in real Chromium, for the requests and replies browser tests. Not a test module."""

from __future__ import annotations

import logging
import math
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from playwright.sync_api import Browser, ConsoleMessage, Page

from crypto import totp
from crypto.encoding import b64url_decode, b64url_encode
from crypto.envelope import ItemHeader, ItemKind, Urgency, encode_body, seal_item
from crypto.secret import Secret
from tests.browser.conftest import _CSP_LISTENER
from tests.e2e.conftest import ARRANGE, new_vault, start_server
from tests.e2e.deposit_site import Site, _Logs, _Recorder
from tests.e2e.team_http import signed_in
from tests.factories import call_note_body
from vault.clock import utc_now
from vault.identity import practices
from vault.identity.roles import Role
from web.app import create_app

MEMBER = "dr.requests@example.org"
SECRETARY = "sophie.requests"
COLLEAGUE = "claire.requests"
PRACTICE = "Cabinet Demandes"
SLOW = 30_000


@dataclass
class RequestsSite:
    site: Site
    practice_id: str
    ids: dict[str, str]
    errors: dict[int, list[str]] = field(default_factory=dict)

    @property
    def base_url(self) -> str:
        return self.site.base_url

    def page(self, browser: Browser, username: str, width: int = 1366) -> Page:
        """A new context signed in as ``username`` (keys unlocked in the tab)."""
        context = browser.new_context(viewport={"width": width, "height": 800})
        context.add_init_script(_CSP_LISTENER)
        page = context.new_page()
        errors: list[str] = []
        self.errors[id(page)] = errors

        def on_console(message: ConsoleMessage) -> None:
            if message.type == "error":
                errors.append(message.text)

        page.on("console", on_console)
        page.on("pageerror", lambda e: errors.append(str(e)))
        page.goto(self.base_url + "/login")
        page.fill("input[name=username]", username)
        page.fill("#password", self.site.passwords[username])
        page.fill("input[name=code]", self.code(username))
        page.click("#login-form button[type=submit]")
        page.wait_for_url(lambda url: "/login" not in url, timeout=SLOW)
        return page

    def code(self, username: str) -> str:
        """A code of a step no sign-in used yet, within the server's ±1 window (waits when
        the account already used the next step)."""
        secret, last = self.site.env.db.read(
            lambda c: c.execute(
                "SELECT totp_secret, totp_last_step FROM account WHERE username = ?", (username,)
            ).fetchone()
        )
        step = max(int(last) + 1, totp.step_at(utc_now()))
        while step > totp.step_at(utc_now()) + 1:
            time.sleep(1)
        return totp.code_at_step(Secret(bytes(secret)), step)

    def page_errors(self, page: Page) -> list[str]:
        return self.errors.get(id(page), [])

    def deposit(self, username: str = SECRETARY) -> str:
        """A call note deposited over HTTP by the secretary's own client (arrangement)."""
        client = signed_in(
            self.base_url, username, self.site.passwords[username], self.code(username)
        )
        practice = next(
            p
            for p in client.transport.get_json("/workspace")["practices"]
            if p["id"] == self.practice_id
        )
        item_id = str(uuid.uuid4())
        header = ItemHeader(
            kind=ItemKind.CALL_NOTE,
            urgency=Urgency.NORMAL,
            item_id=uuid.UUID(item_id),
            client_id=uuid.UUID(self.practice_id),
            author_id=uuid.UUID(client.id),
            call_started_at=math.ceil(self.site.env.now().timestamp()),
            call_seconds=1,
        )
        envelope = seal_item(
            header,
            encode_body(call_note_body()),
            b64url_decode(practice["public_key"]),
            client.unlocked.keys.signing_key,
        )
        client.transport.post_json(
            "/items",
            {
                "item_id": item_id,
                "practice_id": self.practice_id,
                "envelope": b64url_encode(envelope),
            },
        )
        client.transport.sign_out()
        return item_id


@pytest.fixture
def requests_site(tmp_path: Path) -> Iterator[RequestsSite]:
    sock, settings, vault = new_vault(tmp_path)
    env = vault.env
    logs = _Logs()
    root = logging.getLogger()
    root.addHandler(logs)
    recorder = _Recorder(create_app(vault))
    server, thread = start_server(recorder, sock)
    try:
        site = Site(settings.base_url, settings, env, recorder, logs)
        ids = {
            MEMBER: site.enrol(Role.MEMBER, MEMBER, PRACTICE),
            SECRETARY: site.enrol(Role.SECRETARY, SECRETARY),
            COLLEAGUE: site.enrol(Role.SECRETARY, COLLEAGUE),
        }
        (practice_id,) = env.db.read(
            lambda c: c.execute(
                "SELECT practice_id FROM account WHERE id = ?", (ids[MEMBER],)
            ).fetchone()
        )
        for secretary in (SECRETARY, COLLEAGUE):
            practices.set_assignment(env, ARRANGE, None, ids[secretary], practice_id, True)
        yield RequestsSite(site, str(practice_id), ids)
    finally:
        server.should_exit = True
        thread.join(timeout=20)
        env.db.close()
        root.removeHandler(logs)

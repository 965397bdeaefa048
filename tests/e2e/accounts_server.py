"""A live vault for the account tests: a clock the test moves, and a record of every request.

``accounts_vault`` is ``live_vault`` (real app, SQLCipher on disk, uvicorn on
a free port) with two differences:

- the app's ``Env`` reads a ``ManualClock``: real time plus an offset the test
  only ever moves forward. TOTP steps, throttling delays and the 24-hour
  window then take no real waiting (a fresh code is "30 seconds later");
- the app is wrapped in ``Recorder``, an ASGI middleware that keeps every
  request exactly as the server receives it: method, path, query string,
  headers, body and the client's address.

It also enrols accounts over HTTP the way the enrolment page does
(``cli.client.enrolment_body``), for tests where enrolment is arrangement.
"""

from __future__ import annotations

import base64
import re
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path

import pytest
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from cli.client import HttpTransport, enrolment_body
from crypto import totp
from crypto.secret import Secret
from tests.e2e.conftest import LiveVault, new_vault, start_server
from vault.clock import utc_now
from web.app import create_app


class ManualClock:
    """Real time plus an offset that only grows: ``advance`` jumps ahead, never back."""

    def __init__(self) -> None:
        self.offset = timedelta(0)

    def __call__(self) -> datetime:
        return utc_now() + self.offset

    def advance(self, seconds: float) -> None:
        self.offset += timedelta(seconds=seconds)


@dataclass(frozen=True, slots=True)
class Received:
    """One request as the app received it."""

    method: str
    path: str
    query: bytes
    headers: tuple[tuple[bytes, bytes], ...]
    body: bytes
    client: str | None


class Recorder:
    """ASGI middleware that records every HTTP request, body included, before the app sees it."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app
        self.requests: list[Received] = []

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        chunks: list[bytes] = []
        more = True
        while more:  # read the whole body first, then replay it to the app
            message = await receive()
            if message["type"] != "http.request":
                break
            chunks.append(message.get("body", b""))
            more = bool(message.get("more_body", False))
        body = b"".join(chunks)
        client = scope.get("client")
        self.requests.append(
            Received(
                method=scope["method"],
                path=scope["path"],
                query=scope.get("query_string", b""),
                headers=tuple(scope.get("headers", ())),
                body=body,
                client=client[0] if client else None,
            )
        )
        replayed = False

        async def replay() -> Message:
            nonlocal replayed
            if not replayed:
                replayed = True
                return {"type": "http.request", "body": body, "more_body": False}
            return await receive()

        await self.app(scope, replay, send)

    def posts(self, path: str) -> list[Received]:
        return [r for r in self.requests if r.method == "POST" and r.path == path]


@dataclass
class EnrolledAccount:
    username: str
    password: str
    account_id: str
    totp_secret: Secret
    recovery_code: str
    backup_codes: list[str] = field(default_factory=list)


ACCOUNT_ID = re.compile(r'data-account-id="([0-9a-f-]{36})"')
PRACTICE_ID = re.compile(r'data-practice-id="([0-9a-f-]*)"')
PRACTICE_PK = re.compile(r'data-practice-pk="([A-Za-z0-9_-]*)"')


def secret_from_text(text: str) -> Secret:
    """The TOTP secret from the base32 text the enrolment page shows."""
    return Secret(base64.b32decode(text.strip()))


@dataclass
class AccountsVault(LiveVault):
    """A live vault whose clock the test moves, recording every request it receives."""

    clock: ManualClock
    recorder: Recorder

    def fresh_code(self, secret: Secret) -> str:
        """A code of a step never used yet: the clock moves one TOTP step (30 s) ahead first."""
        self.clock.advance(totp.STEP_SECONDS)
        return totp.code_at(secret, self.clock())

    def unused_code(self, username: str, secret: Secret) -> str:
        """A code of a step never used yet, without moving the clock (current step or next)."""
        (last,) = self.account_row(username, "totp_last_step")
        assert isinstance(last, int)
        return totp.code_at_step(secret, max(last + 1, totp.step_at(self.clock())))

    def enrol_over_http(self, link: str, username: str, password: str) -> EnrolledAccount:
        """Enrol from an invitation link as the enrolment page would (Argon2 in Python)."""
        with urllib.request.urlopen(link) as response:  # noqa: S310 - our own live server
            page = response.read().decode()
        secret = totp.new_totp_secret()  # drawn on the enrolling side, as enrolment.js does
        account_id = _one(ACCOUNT_ID, page)
        practice_id = _one(PRACTICE_ID, page) or None
        create_practice_key = practice_id is not None and not _one(PRACTICE_PK, page)
        body, recovery = enrolment_body(
            account_id,
            password,
            self.fresh_code(secret),
            totp_secret=secret,
            practice_id=practice_id,
            create_practice_key=create_practice_key,
        )
        token = link.rsplit("/", 1)[1]
        answer = HttpTransport(self.base_url).post_json(f"/enrol/{token}", body)
        return EnrolledAccount(
            username, password, account_id, secret, recovery.format(), list(answer["backup_codes"])
        )

    def account_row(self, username: str, columns: str) -> tuple[object, ...]:
        row = self.env.db.read(
            lambda c: c.execute(
                f"SELECT {columns} FROM account WHERE username = ?",  # noqa: S608 - test-chosen columns
                (username,),
            ).fetchone()
        )
        assert row is not None, username
        return tuple(row)


def _one(pattern: re.Pattern[str], text: str) -> str:
    found = pattern.search(text)
    assert found is not None, pattern.pattern
    return found.group(1)


@pytest.fixture(name="accounts_vault")
def accounts_vault_fixture(tmp_path: Path) -> Iterator[AccountsVault]:
    """The ``accounts_vault`` fixture: import ``accounts_vault_fixture`` into a test module."""
    clock = ManualClock()
    sock, settings, vault = new_vault(tmp_path, now=clock)
    env = vault.env
    db = env.db
    recorder = Recorder(create_app(vault))
    server, thread = start_server(recorder, sock)
    try:
        yield AccountsVault(settings.base_url, settings, env, clock, recorder)
    finally:
        server.should_exit = True
        thread.join(timeout=20)
        db.close()

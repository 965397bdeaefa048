"""A live vault with its practice, members and secretary for the deposit tests, and the
recorders that check nothing secret reaches the server's requests or logs (used by the
browser deposit test and the command-line tests)."""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from datetime import timedelta

from cli.client import enrolment_body
from crypto import totp
from crypto.secret import Secret
from tests.e2e.conftest import ARRANGE
from vault.env import Env
from vault.identity import accounts, enrolment
from vault.identity.keymaterial import EnrolmentMaterial
from vault.identity.roles import Role
from vault.settings import Settings

PRACTICE = "Cabinet Canari"


class _Recorder:
    """ASGI wrapper keeping every request body the server received."""

    def __init__(self, app: object) -> None:
        self.app = app
        self.bodies: list[bytes] = []

    async def __call__(self, scope: dict, receive, send) -> None:  # type: ignore[no-untyped-def, type-arg]
        async def recording_receive():  # type: ignore[no-untyped-def]
            message = await receive()
            if message.get("type") == "http.request" and message.get("body"):
                self.bodies.append(bytes(message["body"]))
            return message

        await self.app(scope, recording_receive, send)  # type: ignore[operator]


class _Logs(logging.Handler):
    def __init__(self) -> None:
        super().__init__(logging.DEBUG)
        self.lines: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.lines.append(self.format(record))


@dataclass
class Site:
    base_url: str
    settings: Settings
    env: Env
    recorder: _Recorder
    logs: _Logs
    passwords: dict[str, str] = field(default_factory=dict)

    def enrol(self, role: Role, username: str, practice: str | None = None) -> str:
        invitation = accounts.invite(
            self.env,
            ARRANGE,
            None,
            username=username,
            display_name=username,
            role=role,
            practice_name=practice,
        )
        offer = enrolment.offer(self.env, invitation.token)
        password = f"correct horse battery {username}"
        secret = totp.new_totp_secret()
        body, _ = enrolment_body(
            offer.account_id,
            password,
            totp.code_at(secret, self.env.now()),
            totp_secret=secret,
            practice_id=offer.practice_id,
            create_practice_key=offer.practice_id is not None and offer.practice_pk is None,
        )
        enrolment.enrol(
            self.env, ARRANGE, invitation.token, EnrolmentMaterial.parse(body), body["code"]
        )
        self.passwords[username] = password
        return offer.account_id

    def next_code(self, username: str) -> str:
        """A code for the next TOTP step: the enrolment consumed the current one."""
        (secret,) = self.env.db.read(
            lambda c: c.execute(
                "SELECT totp_secret FROM account WHERE username = ?", (username,)
            ).fetchone()
        )
        return totp.code_at(Secret(bytes(secret)), self.env.now() + timedelta(seconds=30))

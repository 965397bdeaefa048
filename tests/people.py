"""Arranging people for tests: enrol accounts as a browser would, sign them in.

Enrolment uses ``cli.client`` (the browser's protocol with ``crypto/``) and
the vault's own use cases; no step is faked. TOTP codes are computed, with
``crypto.totp``, from the secret drawn here as the enrolling browser draws it.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from starlette.testclient import TestClient

from cli.client import Enrolment, enrolment_body
from crypto import totp
from crypto.secret import Secret
from vault.env import Env, RequestInfo
from vault.identity import accounts, enrolment
from vault.identity.keymaterial import EnrolmentMaterial
from vault.identity.roles import Role

ARRANGE = RequestInfo(request_id="test-arrange")
PASSWORDS = {
    Role.MEMBER: "member password 1",
    Role.SECRETARY: "secretary password 1",
    Role.AUDITOR: "auditor password long 1",
    Role.ADMIN: "admin password long 12",
}


@dataclass
class Person:
    account_id: str
    username: str
    role: Role
    password: str
    totp_secret: Secret
    enrolment: Enrolment
    practice_id: str | None = None
    _last_step: int = 0

    clock: Any = None  # a test clock with ``advance(seconds=...)``, moved on to the next step

    def code(self, now: datetime | None = None) -> str:
        """A code for a step never used before (the server refuses replays).

        With a test clock, the clock moves to that step so the code stays in the ±1 window.
        """
        if self.clock is not None:
            now = self.clock()
        current = totp.step_at(now)
        step = max(current, self._last_step + 1)
        if self.clock is not None and step > current:
            self.clock.advance(seconds=totp.STEP_SECONDS * (step - current))
        elif self.clock is None and step > current + 1:
            # Real time: wait until the step is inside the server's ±1 window.
            time.sleep(step * totp.STEP_SECONDS - totp.STEP_SECONDS - time.time() + 0.05)
        self._last_step = step
        return totp.code_at_step(self.totp_secret, step)


def enrol(
    env: Env,
    role: Role,
    username: str,
    *,
    practice: str | None = None,
    password: str | None = None,
    invited_by: Any = None,
) -> Person:
    """Invite and enrol ``username`` the way the enrolment page does."""
    password = password or PASSWORDS[role]
    invitation = accounts.invite(
        env,
        ARRANGE,
        invited_by,
        username=username,
        display_name=username.title(),
        role=role,
        practice_name=practice,
    )
    offer = enrolment.offer(env, invitation.token)
    secret = totp.new_totp_secret()  # drawn by the enrolling browser
    # The current step: still inside the ±1 window if a step boundary passes before the
    # server checks it; sign-in codes then use the steps after it.
    step = totp.step_at(env.now())
    body, recovery = enrolment_body(
        offer.account_id,
        password,
        totp.code_at_step(secret, step),
        totp_secret=secret,
        practice_id=offer.practice_id,
        create_practice_key=offer.practice_id is not None and offer.practice_pk is None,
    )
    result = enrolment.enrol(
        env, ARRANGE, invitation.token, EnrolmentMaterial.parse(body), body["code"]
    )
    return Person(
        account_id=offer.account_id,
        username=username,
        role=role,
        password=password,
        totp_secret=secret,
        enrolment=Enrolment(recovery.format(), result.backup_codes),
        practice_id=offer.practice_id,
        _last_step=step,
        clock=env.now if hasattr(env.now, "advance") else None,
    )


class TestClientTransport:
    """cli.client's transport over Starlette's TestClient (same cookies, CSRF header)."""

    __test__ = False  # not a test class, whatever its name says

    def __init__(self, client: TestClient) -> None:
        self.client = client
        self.csrf = ""

    def _headers(self) -> dict[str, str]:
        headers = {"accept": "application/json"}
        if self.csrf:
            headers["x-csrf-token"] = self.csrf
        return headers

    def _answer(self, response: Any) -> dict[str, Any]:
        from cli.client import ClientError

        if response.status_code >= 400:
            raise ClientError(response.json().get("error", ""), response.status_code)
        data: dict[str, Any] = response.json()
        return data

    def post_json(self, path: str, data: dict[str, Any]) -> dict[str, Any]:
        return self._answer(self.client.post(path, json=data, headers=self._headers()))

    def get_json(self, path: str) -> dict[str, Any]:
        return self._answer(self.client.get(path, headers=self._headers()))


def later(minutes: int) -> datetime:
    from vault.clock import utc_now

    return utc_now() + timedelta(minutes=minutes)

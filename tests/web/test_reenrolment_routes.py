"""A session signed in with a backup code must set up its authenticator again, but harmless
routes stay open to it: switching the language (it answered 403), signing out, static
files and the health check."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from starlette.testclient import TestClient

from cli.client import sign_in
from tests.people import TestClientTransport, enrol
from vault.identity.roles import Role
from vault.opening import Vault
from web.app import create_app
from web.gate import LANGUAGE_COOKIE


@pytest.fixture
def backup_client(vault: Vault) -> Iterator[TestClient]:
    person = enrol(vault.env, Role.MEMBER, "dr.backup", practice="Cabinet B")
    with TestClient(create_app(vault)) as client:
        transport = TestClientTransport(client)
        sign_in(transport, person.username, person.password, person.enrolment.backup_codes[0])
        client.headers["x-csrf-token"] = transport.csrf
        yield client


@pytest.mark.parametrize("accept", ["text/html", "application/json"])
def test_the_language_switch_works_during_reenrolment(
    backup_client: TestClient, accept: str
) -> None:
    r = backup_client.get(
        "/language/en?next=/account/totp", headers={"accept": accept}, follow_redirects=False
    )
    assert r.status_code == 303, r.text
    assert r.headers["location"] == "/account/totp"
    assert r.cookies.get(LANGUAGE_COOKIE) == "en"
    page = backup_client.get("/account/totp", headers={"accept": "text/html"})
    assert page.status_code == 200 and 'lang="en"' in page.text


def test_health_static_and_logout_stay_open_during_reenrolment(
    backup_client: TestClient,
) -> None:
    assert backup_client.get("/health").status_code == 200
    assert backup_client.get("/static/css/app.css").status_code == 200
    r = backup_client.post("/logout", headers={"accept": "text/html"}, follow_redirects=False)
    assert r.status_code in (200, 303), r.text
    assert backup_client.get("/account", follow_redirects=False).status_code in (303, 401)

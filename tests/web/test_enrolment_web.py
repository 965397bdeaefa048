"""Enrolment over HTTP: the invitation link shows nothing that becomes the second factor.

Whoever opens the link first (the admin who made it, a mail scanner, a link
preview) gets a page with names and public values only. The enrolling browser
draws the TOTP secret; the server draws its QR code on request without storing
it, and at enrolment checks the app's code against the secret it receives.
"""

from __future__ import annotations

import base64
import re
from collections.abc import Iterator
from dataclasses import dataclass

import pytest
from starlette.testclient import TestClient

from cli.client import enrolment_body
from crypto import totp
from crypto.encoding import b64url_encode
from tests.people import ARRANGE
from vault.env import Env
from vault.identity import accounts
from vault.identity.roles import Role
from vault.opening import Vault
from web.app import create_app

BASE32_RUN = re.compile(r"[A-Z2-7]{32}")
PASSWORD = "Lune-verte-42!x"


@dataclass
class Site:
    env: Env
    client: TestClient


@pytest.fixture
def site(vault: Vault) -> Iterator[Site]:
    env = vault.env
    with TestClient(create_app(vault)) as client:
        yield Site(env, client)


def _invite(site: Site) -> tuple[str, str]:
    invitation = accounts.invite(
        site.env,
        ARRANGE,
        None,
        username="dr.martin",
        display_name="Dr Martin",
        role=Role.MEMBER,
        practice_name="Cabinet Test",
    )
    return invitation.account_id, invitation.token


def _stored(site: Site, column: str) -> object:
    return site.env.db.read(
        lambda c: c.execute(
            f"SELECT {column} FROM account WHERE username = 'dr.martin'"  # noqa: S608 - test's own
        ).fetchone()[0]
    )


def test_the_first_to_open_the_link_never_sees_the_accounts_second_factor(site: Site) -> None:
    """Given a link opened by a scanner before the invitee, when the invitee enrols with the
    secret their browser drew, then the page the scanner saw holds no TOTP secret, no
    ``otpauth`` URI, no QR code, and the account's secret is the invitee's."""
    account_id, token = _invite(site)
    seen = [site.client.get(f"/enrol/{token}").text for _ in range(2)]
    for page in seen:
        assert "otpauth" not in page and "<svg" not in page
        candidates = {base64.b32decode(m) for m in BASE32_RUN.findall(page)}
        assert candidates == set()
    assert _stored(site, "pending_totp") is None  # opening the link stored nothing

    secret = totp.new_totp_secret()
    body, _ = enrolment_body(
        account_id,
        PASSWORD,
        totp.code_at(secret),
        totp_secret=secret,
        practice_id=str(_stored(site, "practice_id")),
        create_practice_key=True,
    )
    answer = site.client.post(f"/enrol/{token}", json=body, headers={"accept": "application/json"})
    assert answer.status_code == 200, answer.text
    assert _stored(site, "totp_secret") == secret.value


def test_the_qr_code_is_drawn_for_the_browsers_secret_and_nothing_is_stored(site: Site) -> None:
    """The authenticator endpoint answers the QR code and key text of the secret it was
    sent, for this invitee, and leaves the account as it was."""
    _, token = _invite(site)
    secret = totp.new_totp_secret()
    answer = site.client.post(
        f"/enrol/{token}/authenticator",
        json={"totp_secret": b64url_encode(secret.value)},
        headers={"accept": "application/json"},
    )
    assert answer.status_code == 200
    data = answer.json()
    assert data["text"] == totp.secret_base32(secret)
    assert data["svg"].startswith("<svg") and "<script" not in data["svg"]
    assert answer.headers["cache-control"] == "no-store"
    assert _stored(site, "pending_totp") is None and _stored(site, "totp_secret") is None


@pytest.mark.parametrize("value", [None, "", "***", b64url_encode(bytes(19))])
def test_a_malformed_secret_gets_a_clear_400(site: Site, value: object) -> None:
    _, token = _invite(site)
    answer = site.client.post(
        f"/enrol/{token}/authenticator",
        json={"totp_secret": value},
        headers={"accept": "application/json"},
    )
    assert answer.status_code == 400
    assert answer.json()["error"]


def test_no_qr_code_for_an_unknown_link(site: Site) -> None:
    answer = site.client.post(
        "/enrol/not-a-token/authenticator",
        json={"totp_secret": b64url_encode(bytes(20))},
        headers={"accept": "application/json"},
    )
    assert answer.status_code == 404


def test_an_invitation_sent_before_the_route_was_renamed_still_leads_to_the_page(
    site: Site,
) -> None:
    """Invitation links already sent read ``/enroll/{token}``: they redirect, keeping the
    token, to the enrolment page at ``/enrol/{token}``."""
    _, token = _invite(site)
    answer = site.client.get(f"/enroll/{token}", follow_redirects=False)
    assert answer.status_code == 308
    assert answer.headers["location"] == f"/enrol/{token}"
    assert "enrolment-form" in site.client.get(f"/enroll/{token}").text

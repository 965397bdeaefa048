"""Sessions over HTTP: cookie attributes, CSRF, cross-site refusals, admin pages at work."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from starlette.testclient import TestClient

from cli.client import sign_in
from tests.people import Person, TestClientTransport, enrol
from vault.env import Env
from vault.identity.roles import Role
from vault.opening import Vault
from web.app import create_app


@pytest.fixture
def env(vault: Vault) -> Env:
    return vault.env


@pytest.fixture
def admin(env: Env) -> Person:
    return enrol(env, Role.ADMIN, "root")


@pytest.fixture
def signed_in(vault: Vault, admin: Person) -> Iterator[tuple[TestClient, str]]:
    with TestClient(create_app(vault)) as client:
        transport = TestClientTransport(client)
        sign_in(transport, admin.username, admin.password, admin.code())
        yield client, transport.csrf


def test_session_cookie_is_httponly_and_strict(vault: Vault, admin: Person) -> None:
    """The sign-in answer sets an HttpOnly, SameSite=Strict session cookie."""
    with TestClient(create_app(vault)) as client:
        transport = TestClientTransport(client)
        kdf = transport.post_json("/login/prelogin", {"username": "root"})
        assert set(kdf) == {"kdf"}
        from crypto.encoding import b64url_encode
        from crypto.kdf import KdfParams, derive_password_keys

        keys = derive_password_keys(admin.password, KdfParams.from_json(kdf["kdf"]))
        response = client.post(
            "/login",
            json={
                "username": "root",
                "auth_key": b64url_encode(keys.auth_key.value),
                "code": admin.code(),
            },
        )
    cookie = response.headers["set-cookie"].lower()
    assert "httponly" in cookie and "samesite=strict" in cookie and "path=/" in cookie


def test_signed_in_post_without_csrf_token_is_refused(signed_in: tuple[TestClient, str]) -> None:
    """A POST missing the session's CSRF token is a 403 and does nothing."""
    client, csrf = signed_in
    data = {"username": "newbie", "display_name": "N", "role": "secretary"}
    refused = client.post("/admin/invitations", data=data)
    assert refused.status_code == 403
    wrong = client.post("/admin/invitations", data=data, headers={"x-csrf-token": "nope"})
    assert wrong.status_code == 403
    assert "newbie" not in client.get("/admin/accounts").text
    accepted = client.post("/admin/invitations", data=data, headers={"x-csrf-token": csrf})
    assert accepted.status_code == 200 and "/enrol/" in accepted.text
    assert "newbie" in client.get("/admin/accounts").text


def test_cross_site_requests_are_refused_even_with_the_token(
    signed_in: tuple[TestClient, str],
) -> None:
    """A POST from another origin (Origin or Sec-Fetch-Site) is refused before anything runs."""
    client, csrf = signed_in
    data = {"username": "evil", "display_name": "E", "role": "admin"}
    for headers in ({"origin": "https://evil.example"}, {"sec-fetch-site": "cross-site"}):
        r = client.post("/admin/invitations", data=data, headers={"x-csrf-token": csrf, **headers})
        assert r.status_code == 403
    assert "evil" not in client.get("/admin/accounts").text


def test_admin_invites_assigns_and_disables_through_the_pages(
    env: Env, signed_in: tuple[TestClient, str]
) -> None:
    """The admin pages invite a member and a secretary, assign, then disable the secretary."""
    client, csrf = signed_in
    headers = {"x-csrf-token": csrf, "hx-request": "true"}
    client.post(
        "/admin/invitations",
        data={"username": "doc", "display_name": "Doc", "role": "member", "practice": "Cabinet Z"},
        headers=headers,
    )
    sec = enrol(env, Role.SECRETARY, "sec")
    practice_id = env.db.read(lambda c: c.execute("SELECT id FROM practice").fetchone()[0])
    page = client.post(
        "/admin/assignments",
        data={"secretary_id": sec.account_id, "practice_id": practice_id},
        headers=headers,
    )
    assert page.status_code == 200 and "Sec (sec)" in page.text
    again = client.post(
        "/admin/assignments",
        data={"secretary_id": sec.account_id, "practice_id": practice_id},
        headers={**headers, "accept-language": "en"},
    )
    assert again.status_code == 409 and "already done" in again.text
    table = client.post(f"/admin/accounts/{sec.account_id}/disable", headers=headers)
    assert table.status_code == 200
    status = env.db.read(
        lambda c: c.execute(
            "SELECT status FROM account WHERE id = ?", (sec.account_id,)
        ).fetchone()[0]
    )
    assert status == "disabled"


def test_json_clients_get_json_errors_in_their_language(signed_in: tuple[TestClient, str]) -> None:
    """A refused JSON request answers {"error": sentence} in French or English, with its status."""
    client, csrf = signed_in
    headers = {"x-csrf-token": csrf, "accept": "application/json"}
    fr = client.post("/account/password", content=b"not json", headers=headers)
    en = client.post(
        "/account/password", content=b"not json", headers={**headers, "accept-language": "en"}
    )
    assert fr.status_code == en.status_code == 400
    assert fr.json()["error"].startswith("Certaines informations")
    assert en.json()["error"].startswith("Some of the information")

"""Refusals inside a page: one sentence for the form's status area, tied to its field.

An htmx request (a form or a button inside a page) that is refused gets the one
sentence of ``_partials/refusal.html`` — never the error page's title and "back to the
start page" link, which would end up inside the card — naming the field it is about;
a JSON refusal names it too. Also the admin's answers that refresh the account list
and re-issue a lost invitation, and the disabled account's sign-in message.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime

import pytest
from starlette.testclient import TestClient

from cli.client import sign_in
from crypto.encoding import b64url_encode
from crypto.kdf import derive_password_keys
from tests.people import ARRANGE, Person, TestClientTransport, enrol
from tests.vault.conftest import Clock
from vault.env import Env, Principal
from vault.identity import accounts, authentication
from vault.identity.roles import Role
from vault.opening import Vault
from web.app import create_app

HX = {"hx-request": "true"}


@dataclass
class Admin:
    env: Env
    client: TestClient
    root: Person


@pytest.fixture
def admin(vault: Vault) -> Iterator[Admin]:
    vault = vault.with_env(now=Clock(datetime.now(UTC).replace(microsecond=0)))
    env = vault.env
    root = enrol(env, Role.ADMIN, "root")
    with TestClient(create_app(vault)) as client:
        transport = TestClientTransport(client)
        sign_in(transport, root.username, root.password, root.code())
        client.headers["x-csrf-token"] = transport.csrf
        yield Admin(env, client, root)


def _invite(admin: Admin, username: str, lang: str = "en") -> tuple[int, str]:
    answer = admin.client.post(
        "/admin/invitations",
        data={"username": username, "display_name": "Dr X", "role": "member", "practice": "A"},
        headers={**HX, "accept-language": lang},
    )
    return answer.status_code, answer.text


def test_an_htmx_refusal_is_one_sentence_naming_its_field(admin: Admin) -> None:
    answer = admin.client.post("/account/backup-codes", data={"code": "12"}, headers=HX)
    status, text = answer.status_code, answer.text
    assert status == 403
    assert re.fullmatch(
        r'<p class="error" role="alert" data-refusal data-field="code">[^<]+</p>\s*', text
    ), text
    assert "<h1" not in text and "Back to the start page" not in text
    french = admin.client.post(
        "/account/backup-codes", data={"code": "12"}, headers={**HX, "accept-language": "fr"}
    ).text
    assert "code actuel" in french, french


def test_a_refusal_about_no_field_names_none(admin: Admin) -> None:
    answer = admin.client.post("/admin/accounts/not-an-id/disable", headers=HX)
    assert answer.status_code == 404
    assert "data-refusal" in answer.text and "data-field" not in answer.text


def test_a_json_refusal_names_its_field(admin: Admin) -> None:
    answer = admin.client.post(
        "/admin/invitations",
        data={"username": "ab", "display_name": "Dr X", "role": "secretary"},
        headers={"accept": "application/json"},
    )
    assert answer.status_code == 400
    assert answer.json()["field"] == "username"


def test_an_invitation_refreshes_the_list_and_a_lost_one_is_issued_again(admin: Admin) -> None:
    status, text = _invite(admin, "dr.lost")
    assert status == 200
    assert 'id="accounts" hx-swap-oob="true"' in text
    assert 'data-account="dr.lost"' in text  # the list in the same answer shows the account
    first = re.search(r"/enrol/([A-Za-z0-9_-]+)", text)
    assert first is not None

    status, text = _invite(admin, "dr.lost", "fr")
    assert status == 409
    assert 'data-field="username"' in text
    assert "«\u00a0Nouveau lien d&#39;invitation\u00a0»" in text

    (lost,) = [a for a in accounts.list_all(admin.env) if a.username == "dr.lost"]
    answer = admin.client.post(f"/admin/accounts/{lost.id}/invitation", headers=HX)
    assert answer.status_code == 200
    second = re.search(r"/enrol/([A-Za-z0-9_-]+)", answer.text)
    assert second is not None and second.group(1) != first.group(1)
    assert "data-copy-link" in answer.text
    assert admin.client.get(f"/enrol/{first.group(1)}").status_code == 404
    assert admin.client.get(f"/enrol/{second.group(1)}").status_code == 200


def test_the_account_list_asks_before_disabling(admin: Admin) -> None:
    """The disable button is inside a ``<details>``: a first click only opens the question."""
    other = enrol(admin.env, Role.SECRETARY, "sophie")
    page = admin.client.get("/admin/accounts").text
    row = page[page.index('data-account="sophie"') :]
    row = row[: row.index("</tr>")]
    details = row[row.index("<details") : row.index("</details>")]
    assert f'hx-post="/admin/accounts/{other.account_id}/disable"' in details
    assert "<summary>" in details
    assert row.count("/disable") == 1  # nothing outside the question disables


def test_a_disabled_owner_is_told_in_french_too(admin: Admin) -> None:
    sec = enrol(admin.env, Role.SECRETARY, "sophie")
    accounts.set_disabled(
        admin.env,
        ARRANGE,
        Principal(admin.root.account_id, "root", Role.ADMIN),
        sec.account_id,
        True,
    )
    params = authentication.prelogin(admin.env, "sophie")
    key = derive_password_keys(sec.password, params).auth_key
    admin.client.cookies.clear()  # someone else's browser: no session
    answer = admin.client.post(
        "/login",
        json={"username": "sophie", "auth_key": b64url_encode(key.value), "code": sec.code()},
        headers={"accept": "application/json", "accept-language": "fr"},
    )
    assert answer.status_code == 403
    assert (
        answer.json()["error"] == "Ce compte est désactivé\u00a0: contactez votre administrateur."
    )

"""``next`` after signing in (and after a language switch) stays on this site.

The rule (``web.local_path``) is checked against the cases the JS rule is checked
against (``tests/web/local_paths.json``, ``tests/js/local-path.test.mjs``), and the
routes that redirect use it: the sign-in answer's ``next`` and ``/language/{code}``.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from starlette.testclient import TestClient

from crypto.encoding import b64url_encode
from crypto.kdf import KdfParams, derive_password_keys
from tests.people import Person, enrol
from tests.vault.conftest import Clock
from vault.env import Env
from vault.identity.roles import Role
from vault.opening import Vault
from web.app import create_app
from web.local_path import MAX_LENGTH, local_path

CASES = json.loads((Path(__file__).parent / "local_paths.json").read_text(encoding="utf-8"))[
    "cases"
]
OFF_SITE = [
    "/\t/evil.example",
    "/\n/evil.example",
    "/\r/evil.example",
    "//evil.example",
    "/\\evil.example",
    "https://evil.example/",
]


@pytest.mark.parametrize("case", CASES, ids=[c["why"] for c in CASES])
def test_every_shared_case(case: dict[str, Any]) -> None:
    """The same answers as the browser's rule, case by case."""
    assert local_path(case["target"]) == (case["target"] if case["local"] else None)


def test_non_strings_and_the_length_limit() -> None:
    """Only a string can be a path; the limit is inclusive."""
    for value in (None, 42, ["/inbox"], {"/inbox": 1}, b"/inbox"):
        assert local_path(value) is None
    assert local_path("/" + "a" * (MAX_LENGTH - 1)) is not None
    assert local_path("/" + "a" * MAX_LENGTH) is None


@pytest.fixture
def signed(vault: Vault) -> Iterator[tuple[TestClient, Person, Env]]:
    # A clock of its own: a fresh code moves it on.
    vault = vault.with_env(now=Clock(datetime.now(UTC).replace(microsecond=0)))
    env = vault.env
    doctor = enrol(env, Role.MEMBER, "doctor", practice="Cabinet A")
    with TestClient(create_app(vault)) as client:
        yield client, doctor, env


def _sign_in(client: TestClient, who: Person, **extra: object) -> Any:
    client.cookies.clear()  # each time a browser that is not signed in yet
    answer = client.post(
        "/login/prelogin", json={"username": who.username}, headers={"accept": "application/json"}
    )
    assert answer.status_code == 200, answer.text
    kdf = KdfParams.from_json(answer.json()["kdf"])
    auth_key = derive_password_keys(who.password, kdf).auth_key
    body = {"username": who.username, "auth_key": b64url_encode(auth_key.value), "code": who.code()}
    response = client.post("/login", json=body | extra, headers={"accept": "application/json"})
    assert response.status_code == 200, response.text
    return response.json()


def test_the_sign_in_answer_sends_back_only_a_local_next(
    signed: tuple[TestClient, Person, Env],
) -> None:
    """A real sign-in with ``next``: a local path is kept; an off-site one gives the landing page.

    Whatever ``next`` says (a tab, a line break, ``//``, a backslash, a URL, a number), the
    answer's ``next`` is a path on this site.
    """
    client, doctor, _ = signed
    assert _sign_in(client, doctor, next="/account")["next"] == "/account"
    for target in [*OFF_SITE, 7, None, ["/account"]]:
        assert _sign_in(client, doctor, next=target)["next"] == "/inbox", target
    assert _sign_in(client, doctor)["next"] == "/inbox"


@pytest.mark.parametrize("target", OFF_SITE)
def test_the_language_switch_redirects_only_to_a_local_path(
    signed: tuple[TestClient, Person, Env], target: str
) -> None:
    """``/language/en?next=…`` answers 303 to the home page for every off-site target."""
    client = signed[0]
    response = client.get("/language/en", params={"next": target}, follow_redirects=False)
    assert (response.status_code, response.headers["location"]) == (303, "/")
    kept = client.get("/language/en", params={"next": "/account"}, follow_redirects=False)
    assert kept.headers["location"] == "/account"

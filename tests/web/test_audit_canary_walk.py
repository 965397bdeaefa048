"""Auditors and admins never see content: every page they can open, walked with a canary deposited.

A secretary deposits a call note whose every field carries a canary string
(encrypted to the practice, as the browser does), the member reads it, and
then every GET page an auditor or an admin may open is fetched — each audit
entry's page and proof, the console with and without filters, the activity
page, a verification run, the exported bundle, the reports and their CSV —
and the canary is looked for in every answer, in several spellings.
"""

from __future__ import annotations

import re
import time
import uuid
from collections.abc import Iterator
from urllib.parse import quote

import pytest
from starlette.routing import Route
from starlette.testclient import TestClient

from crypto.envelope import encode_body
from tests.factories import (
    REQ,
    add_account,
    add_practice,
    assign,
    call_note_body,
    deposit_as_secretary,
    seal,
)
from tests.factories import World as ItemsWorld
from tests.people import Person, enrol
from vault.env import Env
from vault.identity import sessions
from vault.identity.roles import Role
from vault.items import inbox
from vault.opening import Vault
from web import permissions
from web.app import create_app
from web.session import COOKIE

CANARY = "CANARY-7f3a9c-Zebulon"


def _spellings(canary: str) -> list[str]:
    return [canary, canary.lower(), canary.upper(), quote(canary), canary.encode().hex()]


@pytest.fixture
def walk(vault: Vault) -> Iterator[tuple[Env, TestClient, dict[str, Person]]]:
    env = vault.env
    practice = add_practice(env, "Cabinet Martin")
    member = add_account(env, Role.MEMBER, "dr.martin", practice)
    secretary = add_account(env, Role.SECRETARY, "sophie")
    assign(env, secretary, practice)
    world = ItemsWorld(env, None, practice, practice, member, member, secretary, secretary)  # type: ignore[arg-type]
    body = encode_body(call_note_body(CANARY))
    assert CANARY.encode() in body  # the plaintext does carry it; the server only gets ciphertext
    item_id, envelope = seal(secretary, practice, body=body)
    deposit_as_secretary(world, envelope, item_id)
    inbox.read_envelope(env, REQ, member.principal, item_id)
    people = {
        "auditor": enrol(env, Role.AUDITOR, "auditor"),
        "admin": enrol(env, Role.ADMIN, "root"),
    }
    app = create_app(vault)
    with TestClient(app, raise_server_exceptions=False) as client:
        yield env, client, people


def _sign_in(env: Env, client: TestClient, person: Person) -> None:
    token, csrf = env.db.write(
        lambda c: sessions.create(env, c, person.account_id, "127.0.0.1", "test")
    )
    client.cookies.clear()
    client.cookies.set(COOKIE, token)
    client.headers["x-csrf-token"] = csrf


def test_no_auditor_or_admin_page_shows_the_canary(
    walk: tuple[Env, TestClient, dict[str, Person]],
) -> None:
    env, client, people = walk
    bodies: dict[str, str] = {}

    def fetch(path: str, **headers: str) -> str:
        response = client.get(path, headers=headers)
        assert response.status_code < 500, path
        bodies[f"{path} {headers}"] = response.text
        return response.text

    # The auditor: a verification run and an export first, so their pages exist.
    _sign_in(env, client, people["auditor"])
    started = client.post("/audit/verify").text
    run = re.search(r"/audit/verify/([0-9a-f]+)", started)
    assert run is not None
    deadline = time.monotonic() + 30
    while 'data-verify="running"' in fetch(f"/audit/verify/{run.group(1)}") and (
        time.monotonic() < deadline
    ):
        time.sleep(0.05)
    ready = client.post("/audit/export", data={"code": people["auditor"].code()}).text
    export = re.search(r"/audit/export/([0-9a-f]+)", ready)
    assert export is not None
    fetch(f"/audit/export/{export.group(1)}")
    size = env.db.read(env.log.size)
    app_routes = [r for r in client.app.routes if isinstance(r, Route)]  # type: ignore[attr-defined]
    for role in ("auditor", "admin"):
        _sign_in(env, client, people[role])
        for r in app_routes:
            if role not in permissions.ALLOWED[r.name] or "GET" not in (r.methods or ()):
                continue
            params = list(r.param_convertors)
            if params == ["index"]:
                for i in range(size):
                    fetch(r.url_path_for(r.name, index=str(i)))
            elif params:
                fetch(r.url_path_for(r.name, **{p: str(uuid.uuid4()) for p in params}))
            else:
                fetch(r.url_path_for(r.name))
                fetch(r.url_path_for(r.name), **{"hx-request": "true"})
        fetch("/audit?action=item.read")
        fetch("/audit/activity?days=365")
        fetch("/reports?from=2000-01&to=2002-12")
    # The walk did reach content-adjacent pages: the item's read is listed, its id shown.
    assert any("item.read" in b or "Item read" in b for b in bodies.values())
    assert len(bodies) > size
    leaks = [k for k, b in bodies.items() for s in _spellings(CANARY) if s in b]
    assert leaks == []

"""Form items over HTTP: ``form_template`` in the deposit (docs/format.md §9), required for a
form and refused elsewhere, with one sentence in French and English."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from starlette.testclient import TestClient

from crypto.encoding import b64url_encode
from crypto.envelope import ItemKind, encode_body
from tests.factories import World, seal, session_for
from vault.opening import Vault
from web.app import create_app
from web.session import COOKIE

TEMPLATE = "0f8fad5b-d9cb-469f-a165-70867728950e"


@pytest.fixture
def sec(world: World, vault: Vault) -> Iterator[TestClient]:
    app = create_app(vault.with_env(now=world.clock))
    with TestClient(app, raise_server_exceptions=False) as c:
        token, csrf = session_for(world.env, world.secretary)
        c.cookies.set(COOKIE, token)
        c.headers["x-csrf-token"] = csrf
        c.headers["accept"] = "application/json"
        yield c


def _form(world: World) -> dict[str, object]:
    body = {"template_id": TEMPLATE, "template_version": 1, "template_name": "F", "values": {}}
    iid, envelope = seal(
        world.secretary, world.practice, kind=ItemKind.FORM, body=encode_body(body)
    )
    return {"item_id": iid, "practice_id": world.practice.id, "envelope": b64url_encode(envelope)}


def test_a_form_is_deposited_with_its_template_id(world: World, sec: TestClient) -> None:
    body = _form(world)
    r = sec.post("/items", json={**body, "form_template": TEMPLATE})
    assert r.status_code == 201, r.text
    stored = world.env.db.read(
        lambda c: c.execute(
            "SELECT form_template_id FROM item WHERE id = ?", (body["item_id"],)
        ).fetchone()
    )
    assert stored == (TEMPLATE,)


@pytest.mark.parametrize(
    ("language", "sentence"),
    [
        ("en", "A form names the id of its template, and only a form does."),
        ("fr", "Un formulaire indique l'identifiant de son modèle, et seul un formulaire le fait."),
    ],
)
def test_a_form_without_its_template_or_a_note_with_one_is_refused(
    world: World, sec: TestClient, language: str, sentence: str
) -> None:
    headers = {"accept-language": language}
    r = sec.post("/items", json=_form(world), headers=headers)
    assert (r.status_code, r.json()["error"]) == (400, sentence)
    iid, envelope = seal(world.secretary, world.practice)
    note = {"item_id": iid, "practice_id": world.practice.id, "envelope": b64url_encode(envelope)}
    r = sec.post("/items", json={**note, "form_template": TEMPLATE}, headers=headers)
    assert (r.status_code, r.json()["error"]) == (400, sentence)
    r = sec.post("/items", json={**_form(world), "form_template": 12}, headers=headers)
    assert r.status_code == 400

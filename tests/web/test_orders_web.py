"""Order forms over HTTP (docs/items.md "Orders"): the state routes answer JSON with the
shape the browser and ``permanence fetch`` read, refusals are one sentence in French and
English (403 for the wrong role, 409 out of order, the audited 404 outside the practice),
and the pages render no content of the order."""

from __future__ import annotations

from collections.abc import Callable, Iterator

import pytest
from starlette.testclient import TestClient

from crypto.encoding import b64url_encode
from crypto.envelope import ItemKind, encode_body
from tests.factories import Person, World, seal, session_for
from vault.opening import Vault
from web.app import create_app
from web.session import COOKIE

TEMPLATE = "0f8fad5b-d9cb-469f-a165-70867728950e"
CANARY = "Fournisseur-canari"
Clients = Callable[[Person], TestClient]


@pytest.fixture
def client(world: World, vault: Vault) -> Iterator[Clients]:
    opened: list[TestClient] = []

    def make(person: Person) -> TestClient:
        # One app per person: each client runs its own app's lifespan.
        c = TestClient(create_app(vault.with_env(now=world.clock)), raise_server_exceptions=False)
        c.__enter__()
        opened.append(c)
        token, csrf = session_for(world.env, person)
        c.cookies.set(COOKIE, token)
        c.headers["x-csrf-token"] = csrf
        c.headers["accept"] = "application/json"
        return c

    yield make
    for c in opened:
        c.__exit__(None, None, None)


def _deposit(world: World, sec: TestClient, kind: ItemKind = ItemKind.FORM) -> str:
    body = {"template_id": TEMPLATE, "template_version": 1, "template_name": "Bon de commande",
            "values": {"supplier": CANARY, "lines": []}}  # fmt: skip
    iid, envelope = seal(world.secretary, world.practice, kind=kind, body=encode_body(body))
    extra = {"form_template": TEMPLATE} if kind == ItemKind.FORM else {}
    answer = sec.post(
        "/items",
        json={"item_id": iid, "practice_id": world.practice.id,
              "envelope": b64url_encode(envelope), **extra},
    )  # fmt: skip
    assert answer.status_code == 201, answer.text
    return iid


def test_placed_approved_delivered_over_http(world: World, client: Clients) -> None:
    sec, member = client(world.secretary), client(world.member)
    iid = _deposit(world, sec)
    assert member.get(f"/items/{iid}/order").json() == {"order": None}
    placed = sec.post(f"/items/{iid}/order").json()["order"]
    assert placed["status"] == "ordered" and placed["ordered_by"]["id"] == world.secretary.id
    assert placed["approved_by"] is None and placed["ordered_at"].endswith("+00:00")
    approved = member.post(f"/items/{iid}/order/approve").json()["order"]
    assert approved["status"] == "approved" and approved["approved_by"]["id"] == world.member.id
    listed = member.get("/practice/orders").json()
    assert [o["item_id"] for o in listed["orders"]] == [iid] and listed["timezone"]
    done = sec.post(f"/items/{iid}/order/delivered").json()["order"]
    assert done["status"] == "delivered"
    page = member.get(f"/practice/orders/{iid}", headers={"accept": "text/html"})
    assert page.status_code == 200 and 'data-status="delivered"' in page.text
    assert CANARY not in page.text
    deposits = sec.get("/workspace/deposits", headers={"accept": "text/html"})
    assert 'data-order-status="delivered"' in deposits.text


def test_refusals_are_one_sentence_in_both_languages(world: World, client: Clients) -> None:
    sec, member = client(world.secretary), client(world.member)
    iid = _deposit(world, sec)
    refused = member.post(f"/items/{iid}/order", headers={"accept-language": "en"})
    assert refused.status_code == 403
    assert refused.json()["error"] == "Only the secretary who deposited this order can place it."
    sec.post(f"/items/{iid}/order")
    early = member.post(f"/items/{iid}/order/delivered", headers={"accept-language": "fr"})
    assert early.status_code == 409
    assert early.json()["error"] == "Seule une commande approuvée peut être marquée livrée."
    assert sec.post(f"/items/{iid}/order/approve").status_code == 403
    note = _deposit(world, sec, ItemKind.MESSAGE)
    assert sec.post(f"/items/{note}/order").status_code == 409


def test_outsiders_get_the_same_404(world: World, client: Clients) -> None:
    sec = client(world.secretary)
    iid = _deposit(world, sec)
    sec.post(f"/items/{iid}/order")
    for person in (world.outsider, world.stranger):
        other = client(person)
        for method, path in (
            ("GET", f"/items/{iid}/order"),
            ("POST", f"/items/{iid}/order/approve"),
            ("POST", f"/items/{iid}/order/delivered"),
        ):
            answer = other.request(method, path)
            assert answer.status_code == 404, (person.principal.username, path)
            assert CANARY not in answer.text
    outsider = client(world.outsider)
    assert outsider.get("/practice/orders").json()["orders"] == []
    page = outsider.get(f"/practice/orders/{iid}", headers={"accept": "text/html"})
    assert page.status_code == 404

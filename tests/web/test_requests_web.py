"""Requests, labels and the deposits page over HTTP: take (409 naming who), labels a
secretary seals to herself, the acknowledgement trail, and the 404 matrix of the new routes."""

from __future__ import annotations

import re
import uuid
from collections.abc import Iterator

import nacl.bindings
import pytest
from starlette.routing import Route

from crypto.encoding import b64url_decode, b64url_encode
from tests.factories import REQ, Person, World, assigned_secretary, deposit_item
from tests.web.json_clients import Clients, open_clients
from vault.items import inbox
from vault.opening import Vault
from vault.requests import state
from web.routes import requests as request_routes


@pytest.fixture
def clients(world: World, vault: Vault) -> Iterator[Clients]:
    yield from open_clients(world, vault)


def _open(w: World) -> str:
    rid = str(uuid.uuid4())
    w.env.db.write(
        lambda c: state.open_request(w.env, c, REQ, w.member.principal, w.practice.id, rid)
    )
    return rid


def _label(person: Person, item_id: str, text: str) -> bytes:
    """docs/format.md §11, as the secretary's browser seals it."""
    plain = b"\x01" + uuid.UUID(item_id).bytes + text.encode()
    return b"\x01" + nacl.bindings.crypto_box_seal(plain, person.keys.public_keys.x25519)


def test_a_second_secretary_is_told_who_took_the_request(clients: Clients) -> None:
    w = clients.world
    colleague = assigned_secretary(w.env, "claire", w.practice)
    rid = _open(w)
    taken = clients.as_(w.secretary).post(f"/practices/{w.practice.id}/requests/{rid}/take")
    assert taken.status_code == 200, taken.text
    assert taken.json()["request"]["taken_by"] == {"id": w.secretary.id, "name": "Sophie"}
    for language, sentence in (
        ("en", "Sophie already took this request (28\u00a0Nov\u00a02026, 10:00\u00a0am)."),
        ("fr", "Sophie a déjà pris cette demande (28\u00a0nov.\u00a02026, 10\u00a0h\u00a000)."),
    ):
        again = clients.as_(colleague, language).post(
            f"/practices/{w.practice.id}/requests/{rid}/take"
        )
        assert again.status_code == 409
        assert again.json()["error"] == sentence
        assert again.json()["taken_by"] == "Sophie"
    listed = clients.as_(w.member).get(f"/practices/{w.practice.id}/requests").json()
    [row] = listed["requests"]
    assert row["status"] == "taken" and row["taken_by"]["name"] == "Sophie"
    assert row["taken_at"].startswith("2026-11-28T09:00")


def test_a_member_may_not_take_a_request(clients: Clients) -> None:
    w = clients.world
    rid = _open(w)
    r = clients.as_(w.member).post(f"/practices/{w.practice.id}/requests/{rid}/take")
    assert r.status_code == 403
    assert r.json()["error"] == state.ONLY_SECRETARIES


def test_a_label_is_stored_sealed_and_shown_to_her_alone(clients: Clients) -> None:
    w = clients.world
    iid = deposit_item(w)
    sealed = _label(w.secretary, iid, "Mme L. — ordonnance")
    sec = clients.as_(w.secretary)
    r = sec.put(f"/workspace/deposits/{iid}/label", json={"label": b64url_encode(sealed)})
    assert r.status_code == 200 and r.json() == {"item_id": iid, "labelled": True}
    page = sec.get("/workspace/deposits", headers={"accept": "text/html"}).text
    shown = re.search(r'data-sealed-label="([^"]+)"', page)
    assert shown is not None and b64url_decode(shown.group(1)) == sealed
    assert "ordonnance" not in page
    opened = nacl.bindings.crypto_box_seal_open(
        sealed[1:], w.secretary.keys.public_keys.x25519, w.secretary.keys.x25519_secret.value
    )
    assert opened[17:].decode() == "Mme L. — ordonnance"
    # removed again
    assert sec.put(f"/workspace/deposits/{iid}/label", json={"label": None}).status_code == 200
    page = sec.get("/workspace/deposits", headers={"accept": "text/html"}).text
    assert 'data-sealed-label=""' in page


@pytest.mark.parametrize(
    "label", ["", "not base64!", b64url_encode(b"\x02" + b"x" * 80), b64url_encode(b"\x01" * 20)]
)
def test_a_malformed_label_is_a_clear_400(clients: Clients, label: str) -> None:
    w = clients.world
    iid = deposit_item(w)
    r = clients.as_(w.secretary).put(f"/workspace/deposits/{iid}/label", json={"label": label})
    assert r.status_code == 400
    assert r.json()["error"] in ("The label is not valid: its size or version is wrong.",)


def test_the_deposits_page_shows_the_acknowledgement_trail(clients: Clients) -> None:
    w = clients.world
    iid = deposit_item(w)
    w.clock.advance(300)
    inbox.read_envelope(w.env, REQ, w.member.principal, iid)
    w.clock.advance(300)
    inbox.set_status(w.env, REQ, w.member.principal, iid, "handled")
    page = clients.as_(w.secretary).get("/workspace/deposits", headers={"accept": "text/html"})
    trail = re.findall(r'data-trail-status="(\w+)">([^<]*)', page.text)
    assert [s for s, _ in trail] == ["new", "read", "handled"]
    assert trail[0][1].startswith("Deposited · Sophie")
    assert trail[1][1].startswith("Read · Dr.Martin@Example.Org")
    assert trail[2][1].startswith("Handled · Dr.Martin@Example.Org")


def test_the_new_routes_are_404_for_outsiders(clients: Clients) -> None:
    """A member of another practice and an unassigned secretary get 404 on every new route
    that takes one of the first practice's ids."""
    w = clients.world
    rid = _open(w)
    iid = deposit_item(w)
    routes = [r for r in request_routes.routes() if isinstance(r, Route) and "{" in r.path]
    assert {r.name for r in routes} == REQUEST_ID_ROUTES  # a new id route must join this test
    ids = {"practice_id": w.practice.id, "request_id": rid, "item_id": iid}
    for outsider in (w.outsider, w.stranger):
        client = clients.as_(outsider)
        for r in routes:
            path = r.path.format(**{k: v for k, v in ids.items() if "{" + k + "}" in r.path})
            for method in sorted(r.methods or {"GET"}):
                if method == "HEAD":
                    continue
                # a well-formed body: what refuses it is the id, not the shape
                body = {"request_id": str(uuid.uuid4()), "reply_id": str(uuid.uuid4())}
                got = client.request(method, path, json={**body, "envelope": "AAAA"})
                assert got.status_code == 404, (outsider.principal.username, method, path)
        label = client.put(f"/workspace/deposits/{iid}/label", json={"label": None})
        assert label.status_code == 404
    # the member of the practice may not label a deposit either: it is the secretary's own
    assert clients.as_(w.member).put(f"/workspace/deposits/{iid}/label", json={}).status_code == 404


REQUEST_ID_ROUTES = {
    "practice_requests",
    "request_take",
    "request_done",
    "request_replies",
    "item_replies",
}


def test_done_by_another_secretary_is_a_409_naming_who_took_it(clients: Clients) -> None:
    """The done note of a second secretary is refused with who took the request, and
    nothing of it is stored (the request stays hers, no reply joins its thread)."""
    from crypto.instruction import DocType
    from tests.teamkeys import create, document

    w = clients.world
    colleague = assigned_secretary(w.env, "claire", w.practice)
    made = create(w.env, w.practice.id, w.member)
    rid = _open(w)
    clients.as_(w.secretary).post(f"/practices/{w.practice.id}/requests/{rid}/take")
    reply_id, note = document(
        made.key,
        colleague,
        w.practice.id,
        version=1,
        doc_type=DocType.REPLY,
        body={"text": "fait"},
        subject_id=uuid.UUID(rid),
    )
    r = clients.as_(colleague).post(
        f"/practices/{w.practice.id}/requests/{rid}/done",
        json={"reply_id": reply_id, "envelope": b64url_encode(note)},
    )
    assert r.status_code == 409 and r.json()["error"].startswith("Sophie already took")
    thread = clients.as_(w.member).get(f"/practices/{w.practice.id}/requests/{rid}/replies")
    assert thread.json()["replies"] == []
    assert state.one(w.env, REQ, w.member.principal, w.practice.id, rid).status == "taken"

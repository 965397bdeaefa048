"""Appointments over HTTP: booked by the depositing secretary, decided by a member with an
encrypted reply, her own label served to her alone, refusals in one sentence."""

from __future__ import annotations

import uuid
from collections.abc import Iterator

import nacl.bindings
import pytest

from crypto.encoding import b64url_decode, b64url_encode
from crypto.envelope import ItemKind
from crypto.instruction import DocType
from tests.factories import World, deposit_form
from tests.teamkeys import create, document
from tests.web.json_clients import Clients, open_clients
from vault.opening import Vault


@pytest.fixture
def clients(world: World, vault: Vault) -> Iterator[Clients]:
    yield from open_clients(world, vault)


TEMPLATE = str(uuid.uuid4())


def _deposit(w: World, kind: ItemKind = ItemKind.FORM) -> str:
    return deposit_form(w, TEMPLATE, "RDV", kind=kind)


def test_book_label_and_decline_with_a_reason(clients: Clients) -> None:
    w = clients.world
    team = create(w.env, w.practice.id, w.member)
    iid = _deposit(w)
    base = f"/practices/{w.practice.id}/appointments"
    secretary = clients.as_(w.secretary)
    booked = secretary.post(base, json={"item_id": iid})
    assert booked.status_code == 201 and booked.json()["appointment"]["status"] == "requested"
    assert secretary.post(base, json={"item_id": iid}).status_code == 409
    plain = b"\x01" + uuid.UUID(iid).bytes + b"Mme Durand 06"
    label = b"\x01" + nacl.bindings.crypto_box_seal(plain, w.secretary.keys.public_keys.x25519)
    put = secretary.put(f"/workspace/deposits/{iid}/label", json={"label": b64url_encode(label)})
    assert put.status_code == 200
    [mine] = secretary.get(base).json()["appointments"]
    assert b64url_decode(mine["sealed_label"]) == label

    member = clients.as_(w.member, "fr")
    refused = member.post(f"{base}/{iid}", json={"status": "declined"})
    assert refused.status_code == 400
    assert refused.json()["error"].startswith("Indiquez la nouvelle heure ou le motif")
    assert member.post(f"{base}/{iid}", json={"status": "maybe"}).status_code == 400
    assert member.post(f"{base}/{iid}", json={"status": 3}).status_code == 400
    rid, envelope = document(
        team.key,
        w.member,
        w.practice.id,
        version=1,
        doc_type=DocType.REPLY,
        body={"text": "Le docteur est absent ce jour-là."},
        subject_id=uuid.UUID(iid),
    )
    decided = member.post(
        f"{base}/{iid}",
        json={"status": "declined", "reply_id": rid, "envelope": b64url_encode(envelope)},
    )
    assert decided.status_code == 200, decided.text
    assert decided.json()["appointment"]["reply_id"] == rid
    [seen] = member.get(base).json()["appointments"]
    assert seen["status"] == "declined" and seen["sealed_label"] is None  # hers alone
    assert member.post(base, json={"item_id": iid}).status_code == 403
    secretary = clients.as_(w.secretary)
    assert secretary.post(f"{base}/{iid}", json={"status": "confirmed"}).status_code == 403
    assert secretary.post(f"{base}/{uuid.uuid4()}", json={"status": "confirmed"}).status_code in (
        403,
        404,
    )


def test_the_agenda_page_is_the_members(clients: Clients) -> None:
    w = clients.world
    page = clients.as_(w.member).get("/practice/agenda", headers={"accept": "text/html"})
    assert page.status_code == 200 and 'id="agenda"' in page.text
    assert clients.as_(w.secretary).get("/practice/agenda").status_code in (403, 404)

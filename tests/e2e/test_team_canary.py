"""A canary in every instruction, request and reply field stays inside ciphertext.

Through uvicorn and real HTTP, with the clients' own crypto (``cli.client``,
``crypto/``): a member makes the team key, writes a document of every instruction
type with the canary in every field, sends a request; the secretary deposits a
call note, takes the request and marks it done with a note, both answer on the item
and on the request, and the secretary labels her deposit (sealed to herself).
Everything is read back and opened on the client side (the canary is there: the
search is not blind). Then the canary occurs nowhere in a decrypted dump of the
database (the SQLCipher file opened with its key, every table), the blob directory,
the server's logs or any request body the server received.
"""

from __future__ import annotations

import logging
import math
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import nacl.bindings
import pytest

from crypto.encoding import b64url_decode, b64url_encode
from crypto.envelope import ItemHeader, ItemKind, Urgency, encode_body, seal_item
from crypto.instruction import DocType
from tests.blobfiles import stored_files
from tests.e2e.conftest import ARRANGE, new_vault, start_server
from tests.e2e.deposit_site import PRACTICE, Site, _Logs, _Recorder
from tests.e2e.team_http import Client, create_team_key, open_document, seal_document, signed_in
from tests.factories import call_note_body
from vault.identity import practices
from vault.identity.roles import Role
from vault.storage.datadir import database_key
from vault.storage.store import connect
from web.app import create_app

CANARY = "CANARY-tm4Rk8"


@pytest.fixture
def site(tmp_path: Path) -> Iterator[Site]:
    sock, settings, vault = new_vault(tmp_path)
    env = vault.env
    logs = _Logs()
    root = logging.getLogger()
    old_level = root.level
    root.addHandler(logs)
    root.setLevel(logging.DEBUG)
    recorder = _Recorder(create_app(vault))
    server, thread = start_server(recorder, sock)
    try:
        yield Site(settings.base_url, settings, env, recorder, logs)
    finally:
        server.should_exit = True
        thread.join(timeout=20)
        env.db.close()
        root.removeHandler(logs)
        root.setLevel(old_level)


def _c(text: str) -> str:
    return f"{text} {CANARY}"


# A body of every instruction type, the canary in every field (the keys are the desk's own).
INSTRUCTIONS: dict[DocType, dict[str, Any]] = {
    DocType.PRACTICE_CARD: {
        "name": _c("Cabinet"),
        "address": _c("12 rue"),
        "hours": _c("8 h - 19 h"),
        "practitioners": [{"name": _c("Dr Canari"), "does": _c("généraliste")}],
        "services": _c("vaccins"),
        "tell_callers": _c("dire"),
    },
    DocType.CALL_RULES: {
        "rules": [{"type": _c("ordonnance"), "say": _c("renouveler"), "fields": [_c("nom")]}]
    },
    DocType.CUSTOM_FIELDS: {
        "fields": [
            {"id": _c("mutuelle"), "label": _c("Mutuelle"), "kind": "text", "choices": [_c("a")]}
        ]
    },
    DocType.CLOSURES: {
        "closures": [{"from": "2026-12-24", "who": _c("Dr"), "replacement": _c("Dr B")}]
    },
    DocType.ON_CALL: {
        "entries": [
            {"day": _c("lundi"), "hours": _c("20-8"), "name": _c("Dr C"), "phone": _c("06")}
        ]
    },
    DocType.FORM_TEMPLATES: {"templates": [{"name": _c("modèle"), "text": _c("texte")}]},
    DocType.CATALOGUE: {
        "suppliers": [{"id": _c("s"), "name": _c("Fournisseur"), "address": _c("rue")}],
        "products": [{"reference": _c("REF"), "label": _c("Gants"), "unit_price": "19.99"}],
    },
}


def _deposit(site: Site, secretary: Client, practice_id: str) -> str:
    practice = next(
        p for p in secretary.transport.get_json("/workspace")["practices"] if p["id"] == practice_id
    )
    item_id = str(uuid.uuid4())
    header = ItemHeader(
        kind=ItemKind.CALL_NOTE,
        urgency=Urgency.NORMAL,
        item_id=uuid.UUID(item_id),
        client_id=uuid.UUID(practice_id),
        author_id=uuid.UUID(secretary.id),
        # the vault was made just now: a call starting at the next whole second is plausible
        call_started_at=math.ceil(site.env.now().timestamp()),
        call_seconds=1,
    )
    envelope = seal_item(
        header,
        encode_body(call_note_body(CANARY)),
        b64url_decode(practice["public_key"]),
        secretary.unlocked.keys.signing_key,
    )
    secretary.transport.post_json(
        "/items",
        {"item_id": item_id, "practice_id": practice_id, "envelope": b64url_encode(envelope)},
    )
    return item_id


def _label(secretary: Client, item_id: str, text: str) -> str:
    plain = b"\x01" + uuid.UUID(item_id).bytes + text.encode()
    pk = secretary.unlocked.keys.public_keys.x25519
    return b64url_encode(b"\x01" + nacl.bindings.crypto_box_seal(plain, pk))


def _dump(site: Site) -> list[bytes]:
    """Every value of every table, the SQLCipher file opened anew with its key."""
    conn = connect(site.settings.layout.database, database_key(site.settings))
    out: list[bytes] = []
    try:
        tables = [r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'")]
        for table in tables:
            for row in conn.execute(f'SELECT * FROM "{table}"'):  # noqa: S608 - names from the schema
                out.extend(v if isinstance(v, bytes) else str(v).encode() for v in row)
    finally:
        conn.close()
    return out


def test_the_canary_of_every_team_document_stays_encrypted(site: Site) -> None:
    member_id = site.enrol(Role.MEMBER, "dr.canari@example.org", PRACTICE)
    secretary_id = site.enrol(Role.SECRETARY, "sophie.canari")
    (practice_id,) = site.env.db.read(
        lambda c: c.execute("SELECT practice_id FROM account WHERE id = ?", (member_id,)).fetchone()
    )
    practices.set_assignment(site.env, ARRANGE, None, secretary_id, practice_id, True)
    member = signed_in(
        site.base_url,
        "dr.canari@example.org",
        site.passwords["dr.canari@example.org"],
        site.next_code("dr.canari@example.org"),
    )
    secretary = signed_in(
        site.base_url,
        "sophie.canari",
        site.passwords["sophie.canari"],
        site.next_code("sophie.canari"),
    )
    key = create_team_key(member, practice_id)
    base = f"/practices/{practice_id}"

    for doc_type, body in INSTRUCTIONS.items():
        doc_id, envelope = seal_document(key, member, practice_id, doc_type, body)
        member.put_json(f"{base}/documents/{doc_id}", {"envelope": envelope})

    request_id, envelope = seal_document(
        key,
        member,
        practice_id,
        DocType.REQUEST,
        {"text": _c("Rappeler Mme X pour décaler jeudi"), "due": "2026-12-03T13:00:00Z"},
    )
    member.transport.post_json(f"{base}/requests", {"request_id": request_id, "envelope": envelope})
    item_id = _deposit(site, secretary, practice_id)
    secretary.transport.post_json(f"{base}/requests/{request_id}/take", {})
    note_id, note = seal_document(
        key,
        secretary,
        practice_id,
        DocType.REPLY,
        {"text": _c("Fait, RDV jeudi 10 h")},
        subject_id=request_id,
    )
    done = secretary.transport.post_json(
        f"{base}/requests/{request_id}/done", {"reply_id": note_id, "envelope": note}
    )
    assert done["request"]["status"] == "done"
    answer_id, answer = seal_document(
        key, member, practice_id, DocType.REPLY, {"text": _c("Merci")}, subject_id=request_id
    )
    member.transport.post_json(
        f"{base}/requests/{request_id}/replies", {"reply_id": answer_id, "envelope": answer}
    )
    for author, text in ((member, "rappelée, RDV pris lundi 9 h"), (secretary, "bien noté")):
        reply_id, reply = seal_document(
            key, author, practice_id, DocType.REPLY, {"text": _c(text)}, subject_id=item_id
        )
        author.transport.post_json(
            f"/items/{item_id}/replies", {"reply_id": reply_id, "envelope": reply}
        )
    secretary.put_json(
        f"/workspace/deposits/{item_id}/label", {"label": _label(secretary, item_id, _c("Mme L."))}
    )

    # Read back and opened here: the canary is in every document (the search is not blind).
    documents = member.transport.get_json(f"{base}/documents")["documents"]
    assert len(documents) == len(INSTRUCTIONS) + 1 + 2 + 2  # instructions, request, 2 + 2 replies
    opened = [open_document(key, practice_id, d) for d in documents]
    assert all(CANARY in str(body) for body in opened)
    thread = secretary.transport.get_json(f"/items/{item_id}/replies")["replies"]
    assert [open_document(key, practice_id, d)["text"] for d in thread] == [
        _c("rappelée, RDV pris lundi 9 h"),
        _c("bien noté"),
    ]
    request_thread = member.transport.get_json(f"{base}/requests/{request_id}/replies")["replies"]
    assert len(request_thread) == 2
    secretary.transport.get_json(f"{base}/documents?type={int(DocType.REQUEST)}")
    with secretary.transport.open_stream("/workspace/deposits") as page:
        assert b"data-sealed-label" in page.read()
    for client in (member, secretary):
        client.transport.sign_out()

    needle = CANARY.encode()
    values = _dump(site)
    assert any(b"dr.canari@example.org" in v for v in values), "the dump holds the accounts"
    assert not [v[:60] for v in values if needle in v]
    assert not [data[:60] for data in stored_files(site.settings) if needle in data]
    assert site.logs.lines is not None
    assert not [line for line in site.logs.lines if CANARY in line]
    assert len(site.recorder.bodies) > 15
    assert not [b[:60] for b in site.recorder.bodies if needle in b]

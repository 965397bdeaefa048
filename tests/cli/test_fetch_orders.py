"""``permanence fetch --orders FILE``: every order form of the practice, fetched, verified and
decrypted on this machine, written as French Excel opens it; real server (uvicorn,
SQLCipher)."""

from __future__ import annotations

import uuid
from pathlib import Path

from cli.client import HttpTransport, sign_in
from crypto.encoding import b64url_decode, b64url_encode
from crypto.envelope import ItemHeader, ItemKind, Urgency, encode_body, seal_item
from tests.cli.items_site import MEMBER, SECRETARY, Vault, one_sentence, vault  # noqa: F401

TEMPLATE = "0f8fad5b-d9cb-469f-a165-70867728950e"
LINES = [
    {"reference": "CMP-10", "label": "Compresses", "quantity": "3", "unit_price": "19.99",
     "vat_rate": "20"},
    {"reference": "SER-5", "label": "Sérum; 500 ml", "quantity": "2", "unit_price": "10.20",
     "vat_rate": "5.5"},
    {"reference": "", "label": "Abaisse-langue", "quantity": "26", "unit_price": "0.10",
     "vat_rate": "5.5"},
]  # fmt: skip


def _order(v: Vault) -> str:
    transport = HttpTransport(v.url)
    secretary = sign_in(transport, SECRETARY, v.site.passwords[SECRETARY], v.code(SECRETARY))
    transport.load_csrf()
    practice_pk = b64url_decode(transport.get_json("/workspace")["practices"][0]["public_key"])
    item_id = str(uuid.uuid4())
    header = ItemHeader(
        kind=ItemKind.FORM,
        urgency=Urgency.NORMAL,
        item_id=uuid.UUID(item_id),
        client_id=uuid.UUID(v.practice_id),
        author_id=uuid.UUID(secretary.account_id),
    )
    body = {"template_id": TEMPLATE, "template_version": 1, "template_name": "Bon de commande",
            "values": {"supplier": "Médical Sud\n12 rue des Lilas", "lines": LINES,
                       "delivery_address": "Cabinet", "delivery_date": "2026-12-10",
                       "notes": ""}}  # fmt: skip
    envelope = seal_item(header, encode_body(body), practice_pk, secretary.keys.signing_key)
    transport.post_json(
        "/items",
        {"item_id": item_id, "practice_id": v.practice_id, "envelope": b64url_encode(envelope),
         "form_template": TEMPLATE},
    )  # fmt: skip
    transport.post_json(f"/items/{item_id}/order", {})
    return item_id


def test_the_orders_are_exported_exact_to_the_cent_for_french_excel(
    vault: Vault,  # noqa: F811
    tmp_path: Path,
) -> None:
    v = vault
    item_id = _order(v)
    out = tmp_path / "commandes.csv"
    run = v.run(MEMBER, "fetch", "--orders", str(out))
    assert run.code == 0, run.err
    data = out.read_bytes()
    assert data.startswith(b"\xef\xbb\xbfcommande;date;statut;")
    rows = data.decode("utf-8-sig").split("\r\n")
    assert len(rows) == 5 and rows[-1] == ""
    assert rows[1].startswith(f"{item_id};")
    assert rows[1].endswith(
        ";Médical Sud;CMP-10;Compresses;3;19,99;20;59,97;82,97;13,26;96,23;Cabinet;2026-12-10"
    )
    assert ';"Sérum; 500 ml";2;10,20;5,5;20,40;' in rows[2]
    assert ";commandee;" in rows[3]
    again = v.run(MEMBER, "fetch", "--orders", str(out))
    assert again.code != 0
    assert "exists already" in one_sentence(again.err)
    to_stdout = v.run(MEMBER, "fetch", "--orders", "-")
    assert to_stdout.code == 0 and ";96,23;" in to_stdout.out


def test_a_secretary_cannot_export_orders(vault: Vault) -> None:  # noqa: F811
    run = vault.run(SECRETARY, "fetch", "--orders", "-")
    assert run.code != 0
    assert "members" in one_sentence(run.err)

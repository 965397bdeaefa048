"""``permanence fetch``: list the inbox, or fetch, verify and decrypt one item here.

What it shows of an item comes from the header it has just verified; keys are pinned
(cli/known_keys.py); an extract is written only once verified (cli/download.py).
"""

from __future__ import annotations

import argparse
import json
import sys
import uuid
from pathlib import Path
from typing import Any

from cli.client import ClientError, HttpTransport, Unlocked
from cli.client_session import canonical_id, known_keys_of, progress, session, upper_first
from cli.download import BadItem, download
from cli.forms_export import form_json, records_csv
from cli.known_keys import KeyRole, KnownKeys, Pin
from cli.orders_export import export_orders
from cli.signed_fields import show_signed
from cli.team_client import open_document, team_keys
from cli.terminal import printable
from crypto.encoding import b64url_decode
from crypto.envelope import ItemKind, OpenedItem, open_item
from crypto.errors import CryptoError
from crypto.fingerprint import practice_fingerprint, user_fingerprint
from crypto.forms import FormBody, FormTemplate, parse_form_body, parse_templates
from crypto.grants import PracticeKeyPair
from crypto.secret import Secret
from crypto.signing import VerifyKey
from crypto.stream import FileManifest

EXIT_TAMPERED = 3  # the item verified, but the server's metadata differs from its signed header


def _practice_key(unlocked: Unlocked, known: KnownKeys) -> tuple[Secret, str, Pin, str]:
    """The practice key this member decrypts with, checked against the pin:
    (secret key, practice id, pin, who)."""
    secret, practice_id = unlocked.practice_secret, unlocked.practice_id
    if secret is None or practice_id is None:
        raise ClientError("this account does not hold the practice key yet", 0)
    public_key = PracticeKeyPair(secret).public_key  # cli.client.unlock checked it is published
    practice = unlocked.bundle.get("practice") or {}
    who = f"practice {printable(practice.get('name', ''))}"
    pin = known.check(
        KeyRole.PRACTICE, practice_id, practice_fingerprint(public_key), f"key of {who}"
    )
    return secret, practice_id, pin, upper_first(who)


def _open(
    transport: HttpTransport, unlocked: Unlocked, item_id: str, known: KnownKeys
) -> tuple[dict[str, Any], OpenedItem, list[tuple[Pin, str]]]:
    secret, practice_id, practice_pin, practice_who = _practice_key(unlocked, known)
    answer = transport.get_json(f"/items/{item_id}/envelope")
    author = answer["author"]
    author["id"] = canonical_id(author["id"], transport)
    # The fingerprint shown and pinned is computed here from the keys the signature is checked with.
    x25519_pk, ed25519_pk = b64url_decode(author["x25519_pk"]), b64url_decode(author["ed25519_pk"])
    author["fingerprint"] = user_fingerprint(x25519_pk, ed25519_pk)
    who = f"author {_author_name(author)} ({author['id']})"
    author_pin = known.check(
        KeyRole.AUTHOR, author["id"], author["fingerprint"], f"keys of {who}", str(author["name"])
    )
    try:
        opened = open_item(
            b64url_decode(answer["envelope"]),
            author_verify_key=VerifyKey(ed25519_pk),
            practice_secret_key=secret,
            item_id=uuid.UUID(item_id),
            client_id=uuid.UUID(practice_id),
            author_id=uuid.UUID(author["id"]),
        )
    except CryptoError:
        raise BadItem from None
    pins = [(practice_pin, practice_who), (author_pin, upper_first(who))]
    for pin, _ in pins:
        known.remember(pin)  # only keys that have just verified an item are pinned
    return answer, opened, pins


def open_verified(
    transport: HttpTransport, unlocked: Unlocked, item_id: str, known: KnownKeys
) -> OpenedItem:
    """One item fetched, verified with its author's pinned key and decrypted here."""
    return _open(transport, unlocked, _item_id(item_id), known)[1]


def _author_name(author: dict[str, Any]) -> str:
    """Display name (not unique) and, when the server gives it, account name (unique)."""
    username = author.get("username")
    account = f" [{printable(username)}]" if isinstance(username, str) and username else ""
    return f"{printable(author['name'])}{account}"


def _look_alike_warnings(known: KnownKeys, pins: list[tuple[Pin, str]]) -> list[str]:
    return [
        f"{who} is new here but has the display name of another author you have pinned"
        f" ({', '.join(others)}); check the account name before trusting it"
        for pin, who in pins
        if (others := known.look_alikes(pin))
    ]


def _item_id(text: str) -> str:
    try:
        return str(uuid.UUID(text))
    except ValueError:
        raise ClientError(f"{printable(text)!r} is not an item id", 0) from None


def _templates(
    transport: HttpTransport, unlocked: Unlocked, known: KnownKeys
) -> tuple[FormTemplate, ...]:
    """The practice's form templates (docs/format.md §10, type 0x06), opened with the team
    key; the document the server stored last when there are several."""
    practice_id = str(unlocked.practice_id)
    team = team_keys(transport, unlocked, known, practice_id)
    listed = transport.get_json(f"/practices/{practice_id}/documents?type=6")["documents"]
    opened = []
    for d in listed:
        try:
            opened.append(open_document(d, practice_id, team.keys))
        except CryptoError:
            print("permanence: warning: a form templates document did not verify", file=sys.stderr)
    if not opened:
        return ()
    return parse_templates(max(opened, key=lambda o: o.stored_at).body)


def _records(
    args: argparse.Namespace, known: KnownKeys, transport: HttpTransport, unlocked: Unlocked
) -> int:
    """Every form of one template, verified and decrypted here, as CSV (records.js's bytes)."""
    template_id = _item_id(args.records)
    secret, practice_id, _, _ = _practice_key(unlocked, known)
    template = next(
        (t for t in _templates(transport, unlocked, known) if t.id == template_id), None
    )
    if template is None:
        raise ClientError("no form template of this practice has this id", 0)
    forms: list[tuple[FormBody, str, str]] = []
    bad = 0
    after = None
    while True:
        batch = transport.post_json("/inbox/search", {"after": after, "template": template_id})
        for item in batch["items"]:
            author = batch["authors"][item["author_id"]]
            try:
                opened = open_item(
                    b64url_decode(item["envelope"]),
                    author_verify_key=VerifyKey(b64url_decode(author["ed25519_pk"])),
                    practice_secret_key=secret,
                    item_id=uuid.UUID(item["item_id"]),
                    client_id=uuid.UUID(practice_id),
                    author_id=uuid.UUID(item["author_id"]),
                )
                form = parse_form_body(opened.json())
                if opened.header.kind != ItemKind.FORM or form.template_id != template_id:
                    raise BadItem
            except (CryptoError, BadItem):
                bad += 1
                continue
            forms.append((form, str(item["deposited_at"]), str(author["name"])))
        after = batch["next"]
        if not after:
            break
    zone = str(transport.get_json(f"/practices/{practice_id}/requests").get("timezone") or "UTC")
    out = Path(args.out or ".") / f"records-{template_id}.csv"
    if out.exists() and not args.force:
        raise ClientError(f"{printable(out)} exists: add --force to replace it", 0)
    out.write_bytes(records_csv(template, forms, zone))
    print(f"saved {printable(out)} ({len(forms)} records, each verified)")
    if bad:
        print(
            f"permanence: warning: {bad} form(s) did not verify and are left out", file=sys.stderr
        )
        return EXIT_TAMPERED
    return 0


def fetch(args: argparse.Namespace) -> int:
    item_id = _item_id(args.item) if args.item else None
    if getattr(args, "acknowledge", False) and item_id is None:
        raise ClientError("--acknowledge needs --item: acknowledge the item you fetch", 0)
    known = known_keys_of(args)
    with session(args) as (transport, unlocked):
        if getattr(args, "orders", None):
            return export_orders(transport, unlocked, known, str(args.orders))
        if getattr(args, "records", None):
            return _records(args, known, transport, unlocked)
        return _fetch(args, item_id, known, transport, unlocked)


def _fetch(
    args: argparse.Namespace,
    item_id: str | None,
    known: KnownKeys,
    transport: HttpTransport,
    unlocked: Unlocked,
) -> int:
    if item_id is None:
        print("the server's metadata, not verified (fetch an item to verify it):", file=sys.stderr)
        for item in transport.get_json("/inbox")["items"]:
            print(
                printable(
                    f"{item['id']}  {item['deposited_at'][:16]}  {item['kind']:<9}"
                    f" {item['urgency']:<7} {item['status']:<12} {item['author']}"
                )
            )
        return 0
    answer, opened, pins = _open(transport, unlocked, item_id, known)
    try:
        body = opened.json()
        manifest = FileManifest.from_json(body) if opened.header.kind == ItemKind.EXTRACT else None
        form = parse_form_body(body) if opened.header.kind == ItemKind.FORM else None
    except CryptoError:
        raise BadItem from None
    for pin, who in pins:
        known.say(pin, who)
    author = answer["author"]
    warnings = show_signed(
        opened.header,
        answer,
        f"by {_author_name(author)} (account {opened.header.author_id}),"
        f" key fingerprint {author['fingerprint']} (signature verified)",
    )
    for warning in _look_alike_warnings(known, pins):
        print(f"permanence: warning: {warning}", file=sys.stderr)
    if manifest is not None:
        saved = download(
            transport,
            item_id,
            manifest,
            Path(args.out or "."),
            lambda total: progress("download", total),
            replace=args.force,
        )
        print(f"saved {printable(saved)} ({manifest.size} bytes, verified)")
    else:
        if form is not None:  # with the labels of the version it names (team key)
            body = form_json(form, _templates(transport, unlocked, known))
        text = json.dumps(body, ensure_ascii=False, indent=2, sort_keys=True)
        if args.out is None:
            print(printable(text, keep_newlines=True))
        else:
            _save_json(Path(args.out), item_id, text + "\n", replace=args.force)
    for warning in warnings:
        print(f"permanence: warning: {warning}", file=sys.stderr)
    if getattr(args, "acknowledge", False):
        _acknowledge(transport, item_id, answer.get("status"))
    return EXIT_TAMPERED if warnings else 0


def _save_json(folder: Path, item_id: str, text: str, *, replace: bool) -> None:
    """A message, call note or form's JSON into ``folder``/ITEM_ID.json (``--out``)."""
    out = folder / f"{item_id}.json"
    if out.exists() and not replace:
        raise ClientError(f"{printable(str(out))} exists: add --force to replace it", 0)
    try:
        folder.mkdir(parents=True, exist_ok=True)
        out.write_text(text, encoding="utf-8")
    except OSError as e:
        raise ClientError(f"cannot write {printable(str(out))}: {e.strerror}", 0) from None
    print(f"saved {printable(str(out))} (verified)")


ACKNOWLEDGEABLE = ("new", "read")


def _acknowledge(transport: HttpTransport, item_id: str, status: object) -> None:
    """Mark the fetched item acknowledged ("Pris en charge"), which stops its escalation;
    an item already acknowledged or handled (``status``, as fetched) is left as it is."""
    if status not in ACKNOWLEDGEABLE:
        print(f"already {printable(str(status))}: left as it is", file=sys.stderr)
        return
    transport.post_json(f"/items/{item_id}/status", {"status": "acknowledged"})
    print("acknowledged (Pris en charge): its escalation stops", file=sys.stderr)

"""``permanence deposit`` and ``permanence fetch``: items over HTTP, encrypted here.

This module deposits; ``cli/fetch_cmd.py`` fetches; ``cli/client_session.py`` holds what
both share (sign-in, pinned keys, options, errors).

For scripts (a nightly extract) and for people who prefer not to trust the
JavaScript a server serves: the same sign-in as the browser (password turned
into keys on this machine, TOTP code), the same envelopes and file streams,
made and opened with ``crypto/``. Nothing in clear leaves this machine.
"""

from __future__ import annotations

import argparse
import io
import json
import sys
import uuid
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from cli.client import ClientError, HttpTransport, Unlocked, Unreachable
from cli.client_session import (
    canonical_id,
    common_options,
    guard,
    known_keys_of,
    progress,
    session,
    upper_first,
)
from cli.fetch_cmd import fetch
from cli.known_keys import KeyRole, KnownKeys
from cli.terminal import printable
from crypto.encoding import b64url_decode, b64url_encode
from crypto.envelope import ItemHeader, ItemKind, encode_body, seal_item
from crypto.fingerprint import practice_fingerprint
from crypto.stream import (
    CHUNK_BYTES,
    FileManifest,
    StreamEncryptor,
    new_file_key,
    stream_length,
)
from vault.ids import new_item_id
from vault.items.vocabulary import UrgencyLevel

PART_BYTES = 4 * 1024 * 1024
CALL_TIME_FORMAT = "%Y-%m-%dT%H:%M:%SZ"


def _upload(
    transport: HttpTransport, practice_id: str, item_id: str, path: Path
) -> tuple[str, FileManifest]:
    size = path.stat().st_size
    total = stream_length(size)
    upload = transport.post_json(
        "/uploads", {"practice_id": practice_id, "item_id": item_id, "size": total}
    )
    upload_id = str(upload["upload_id"])
    key = new_file_key()
    encryptor = StreamEncryptor(key)
    show = progress("upload", total)
    offset = 0
    pending = io.BytesIO()

    def flush() -> None:
        nonlocal offset, pending
        part = pending.getvalue()
        pending = io.BytesIO()
        sent = 0
        for attempt in range(10):
            try:
                answer = transport.put_bytes(f"/uploads/{upload_id}/{offset + sent}", part[sent:])
                if int(answer["received"]) == offset + len(part):
                    break
            except ClientError as e:  # a dropped connection or a gap: ask where to resume
                if (not isinstance(e, Unreachable) and e.status != 409) or attempt == 9:
                    raise
            sent = int(transport.get_json(f"/uploads/{upload_id}")["received"]) - offset
            if sent >= len(part):
                break
        else:
            raise ClientError("the vault did not take the file after 10 attempts", 0)
        offset += len(part)
        show(offset)

    with path.open("rb") as f:
        while piece := f.read(CHUNK_BYTES):
            pending.write(encryptor.update(piece))
            if pending.tell() >= PART_BYTES:
                flush()
    pending.write(encryptor.finish())
    flush()
    info = encryptor.info
    media = "text/csv" if path.suffix.lower() == ".csv" else "application/octet-stream"
    return upload_id, FileManifest(path.name, media, info.size, key, info.stream_hash)


def _practice(transport: HttpTransport, wanted: str | None, known: KnownKeys) -> dict[str, Any]:
    practices = transport.get_json("/workspace")["practices"]
    chosen = [p for p in practices if wanted in (None, p["id"], p["name"]) and p["public_key"]]
    if len(chosen) != 1:
        names = ", ".join(f"{p['name']} ({p['id']})" for p in practices) or "none"
        raise ClientError(f"choose one practice with --practice; yours: {names}", 400)
    practice: dict[str, Any] = chosen[0]
    practice["id"] = canonical_id(practice["id"], transport)
    # The fingerprint shown and pinned is computed here from the key the deposit seals to.
    computed = practice_fingerprint(b64url_decode(practice["public_key"]))
    who = f"practice {printable(practice['name'])}"
    pin = known.check(KeyRole.PRACTICE, practice["id"], computed, f"key of {who}")
    known.remember(pin)
    known.say(pin, upper_first(who))
    return practice


def _call_time(note: dict[str, Any]) -> tuple[int, int]:
    """Take ``call_started_at`` (RFC 3339, e.g. 2026-11-27T09:41:05Z) and ``call_seconds``
    out of a note file: (Unix seconds, duration). Absent: now and 0."""
    started_text = note.pop("call_started_at", None)
    seconds = note.pop("call_seconds", 0)
    try:
        started = (
            datetime.now(UTC)
            if started_text is None
            else datetime.fromisoformat(str(started_text).replace("Z", "+00:00"))
        )
        stamp = int(started.timestamp())
        if started.tzinfo is None or stamp < 0 or type(seconds) is not int:
            raise ValueError
        if not 0 <= seconds <= 86400:
            raise ValueError
        return stamp, seconds
    except (ValueError, OverflowError):
        raise ClientError(
            "call_started_at must be an RFC 3339 time with its offset and call_seconds"
            " a whole number of seconds up to 86400",
            0,
        ) from None


def _check_inputs(args: argparse.Namespace) -> None:
    """Refuse a missing or malformed input before signing in (which uses up a TOTP code)."""
    path = args.file or args.note
    if path:
        try:
            with Path(path).open("rb"):
                pass
        except OSError as e:
            raise ClientError(f"cannot read {printable(path)}: {e.strerror or e}", 0) from None
    if args.note:
        try:
            note = json.loads(Path(args.note).read_text(encoding="utf-8"))
        except (OSError, ValueError):
            note = None
        if not isinstance(note, dict):
            raise ClientError(f"{printable(args.note)} does not hold a JSON object", 0)
        _call_time(dict(note))  # refuses a malformed call time


def deposit(args: argparse.Namespace) -> int:
    _check_inputs(args)
    known = known_keys_of(args)
    with session(args) as (transport, unlocked):
        return _deposit(args, known, transport, unlocked)


def _deposit(
    args: argparse.Namespace, known: KnownKeys, transport: HttpTransport, unlocked: Unlocked
) -> int:
    practice = _practice(transport, args.practice, known)
    item_id = new_item_id()
    data: dict[str, Any] = {"item_id": item_id, "practice_id": practice["id"]}
    if args.file:
        kind = ItemKind.EXTRACT
        data["upload_id"], manifest = _upload(transport, practice["id"], item_id, Path(args.file))
        body = manifest.to_body()
    elif args.note:
        kind = ItemKind.CALL_NOTE
        note = json.loads(Path(args.note).read_text(encoding="utf-8"))
        call = _call_time(note)  # signed in the header, sent in clear too, not in the body
        body = encode_body(note)
        data["call_started_at"] = datetime.fromtimestamp(call[0], UTC).strftime(CALL_TIME_FORMAT)
        data["call_seconds"] = call[1]
    else:
        kind = ItemKind.MESSAGE
        body = encode_body({"subject": args.subject or "", "text": sys.stdin.read()})
    header = ItemHeader(
        kind=kind,
        urgency=UrgencyLevel(args.urgency).code,
        item_id=uuid.UUID(item_id),
        client_id=uuid.UUID(practice["id"]),
        author_id=uuid.UUID(unlocked.account_id),
        **({"call_started_at": call[0], "call_seconds": call[1]} if args.note else {}),
    )
    envelope = seal_item(
        header, body, b64url_decode(practice["public_key"]), unlocked.keys.signing_key
    )
    data["envelope"] = b64url_encode(envelope)
    transport.post_json("/items", data)
    print(item_id)
    return 0


def register(commands: argparse._SubParsersAction[Any], settings_of: Any) -> None:
    dep = commands.add_parser(
        "deposit", help="deposit a call note, a message (stdin) or a file, encrypted here"
    )
    common_options(dep)
    dep.add_argument("--practice", help="practice id or name (needed when you serve several)")
    dep.add_argument("--urgency", choices=[u.value for u in UrgencyLevel], default="normal")
    what = dep.add_mutually_exclusive_group(required=True)
    what.add_argument("--file", help="a file to deposit as an extract")
    what.add_argument("--note", help="a JSON file with the call note's fields")
    what.add_argument("--subject", help="a message's subject; its text is read from stdin")
    dep.set_defaults(run=lambda args: guard(deposit, args))

    fet = commands.add_parser("fetch", help="list the practice's items, or fetch and decrypt one")
    common_options(fet)
    fet.add_argument("--item", help="the item id to fetch (list the inbox when absent)")
    fet.add_argument(
        "--out",
        help="folder to save into (created if missing): an extract's file, records' CSV, or"
        " another item's JSON as ITEM_ID.json; without it, extracts and records go to the"
        " current folder and other items' JSON to stdout",
    )
    fet.add_argument(
        "--records", metavar="TEMPLATE_ID", help="save a form template's records as CSV in --out"
    )
    fet.add_argument(
        "--orders",
        metavar="FILE",
        help="export every order form as CSV for French Excel into FILE ('-': standard output)",
    )
    fet.add_argument(
        "--force", action="store_true", help="replace a file of the same name in --out"
    )
    fet.add_argument(
        "--acknowledge",
        action="store_true",
        help="once the item is fetched and verified, acknowledge it ('Pris en charge'):"
        " its escalation stops",
    )
    fet.set_defaults(run=lambda args: guard(fetch, args))

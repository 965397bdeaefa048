"""``permanence deposit`` and ``permanence fetch``: items over HTTP, encrypted here.

For scripts (a nightly extract) and for people who prefer not to trust the
JavaScript a server serves: the same sign-in as the browser (password turned
into keys on this machine, TOTP code), the same envelopes and file streams,
made and opened with ``crypto/``. Nothing in clear leaves this machine.
"""

from __future__ import annotations

import argparse
import getpass
import io
import json
import os
import sys
import uuid
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from cli.client import ClientError, HttpTransport, Unlocked, sign_in
from crypto.encoding import b64url_decode, b64url_encode
from crypto.envelope import ItemHeader, ItemKind, Urgency, encode_body, open_item, seal_item
from crypto.errors import CryptoError
from crypto.fingerprint import practice_fingerprint, user_fingerprint
from crypto.signing import VerifyKey
from crypto.stream import (
    CHUNK_BYTES,
    FileManifest,
    StreamDecryptor,
    StreamEncryptor,
    new_file_key,
)

PART_BYTES = 4 * 1024 * 1024
CALL_TIME_FORMAT = "%Y-%m-%dT%H:%M:%SZ"
URGENCIES = {"low": Urgency.LOW, "normal": Urgency.NORMAL, "urgent": Urgency.URGENT}


def _progress(label: str, total: int) -> Callable[[int], None]:
    """A one-line progress bar on stderr for long transfers."""

    def show(done: int) -> None:
        if total <= 0 or not sys.stderr.isatty():
            return
        width = 30
        filled = int(width * done / total)
        sys.stderr.write(
            f"\r{label} [{'#' * filled}{'.' * (width - filled)}] {done * 100 // total}%"
        )
        if done >= total:
            sys.stderr.write("\n")
        sys.stderr.flush()

    return show


def _connect(args: argparse.Namespace) -> tuple[HttpTransport, Unlocked]:
    transport = HttpTransport(args.url)
    password = os.environ.get("PERMANENCE_PASSWORD") or getpass.getpass(
        f"Password for {args.username}: "
    )
    code = args.code or input("Authenticator code: ").strip()
    unlocked = sign_in(transport, args.username, password, code)
    transport.load_csrf()
    return transport, unlocked


def _stream_size(size: int) -> int:
    chunks = max(1, -(-size // CHUNK_BYTES))
    return 25 + size + 17 * chunks


def _upload(
    transport: HttpTransport, practice_id: str, item_id: str, path: Path
) -> tuple[str, FileManifest]:
    size = path.stat().st_size
    total = _stream_size(size)
    upload = transport.post_json(
        "/uploads", {"practice_id": practice_id, "item_id": item_id, "size": total}
    )
    upload_id = str(upload["upload_id"])
    key = new_file_key()
    encryptor = StreamEncryptor(key)
    show = _progress("upload", total)
    offset = 0
    pending = io.BytesIO()

    def flush() -> None:
        nonlocal offset, pending
        part = pending.getvalue()
        pending = io.BytesIO()
        sent = 0
        for _ in range(10):
            try:
                answer = transport.put_bytes(f"/uploads/{upload_id}/{offset + sent}", part[sent:])
                if int(answer["received"]) == offset + len(part):
                    break
            except (ClientError, OSError) as e:
                if isinstance(e, ClientError) and e.status != 409:
                    raise
            sent = int(transport.get_json(f"/uploads/{upload_id}")["received"]) - offset
            if sent >= len(part):
                break
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


def _practice(transport: HttpTransport, wanted: str | None) -> dict[str, Any]:
    practices = transport.get_json("/workspace")["practices"]
    chosen = [p for p in practices if wanted in (None, p["id"], p["name"]) and p["public_key"]]
    if len(chosen) != 1:
        names = ", ".join(f"{p['name']} ({p['id']})" for p in practices) or "none"
        raise ClientError(f"choose one practice with --practice; yours: {names}", 400)
    practice: dict[str, Any] = chosen[0]
    computed = practice_fingerprint(b64url_decode(practice["public_key"]))
    if computed != practice["fingerprint"]:
        raise ClientError("the server sent a practice key that does not match its fingerprint", 0)
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


def deposit(args: argparse.Namespace) -> int:
    transport, unlocked = _connect(args)
    practice = _practice(transport, args.practice)
    print(
        f"Practice {practice['name']}, key fingerprint {practice['fingerprint']}", file=sys.stderr
    )
    item_id = str(uuid.uuid4())
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
        urgency=URGENCIES[args.urgency],
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


def _open(transport: HttpTransport, unlocked: Unlocked, item_id: str) -> tuple[dict[str, Any], Any]:
    answer = transport.get_json(f"/items/{item_id}/envelope")
    author = answer["author"]
    if unlocked.practice_secret is None or unlocked.practice_id is None:
        raise ClientError("this account does not hold the practice key yet", 0)
    opened = open_item(
        b64url_decode(answer["envelope"]),
        author_verify_key=VerifyKey(b64url_decode(author["ed25519_pk"])),
        practice_secret_key=unlocked.practice_secret,
        item_id=uuid.UUID(item_id),
        client_id=uuid.UUID(unlocked.practice_id),
        author_id=uuid.UUID(author["id"]),
    )
    author["fingerprint"] = user_fingerprint(
        b64url_decode(author["x25519_pk"]), b64url_decode(author["ed25519_pk"])
    )
    return author, opened


def _download(transport: HttpTransport, item_id: str, manifest: FileManifest, out: Path) -> Path:
    out.mkdir(parents=True, exist_ok=True)
    target = out / Path(manifest.name).name
    partial = target.with_name(target.name + ".partial")
    decryptor = StreamDecryptor(manifest.file_key, manifest.stream_hash)
    with transport.open_stream(f"/items/{item_id}/file") as response, partial.open("wb") as f:
        total = int(response.headers.get("content-length") or 0)
        show, done = _progress("download", total), 0
        while piece := response.read(1024 * 1024):
            f.write(decryptor.update(piece))
            done += len(piece)
            show(done)
        f.write(decryptor.finish())  # only now is the whole file verified
    os.replace(partial, target)
    return target


def fetch(args: argparse.Namespace) -> int:
    transport, unlocked = _connect(args)
    if not args.item:
        for item in transport.get_json("/inbox")["items"]:
            print(
                f"{item['id']}  {item['deposited_at'][:16]}  {item['kind']:<9}"
                f" {item['urgency']:<7} {item['status']:<8} {item['author']}"
            )
        return 0
    try:
        author, opened = _open(transport, unlocked, args.item)
    except CryptoError:
        raise ClientError("this item failed verification or decryption", 0) from None
    print(f"by {author['name']}, key fingerprint {author['fingerprint']} (signature verified)")
    body = opened.json()
    if opened.header.kind == ItemKind.EXTRACT:
        manifest = FileManifest.from_json(body)
        saved = _download(transport, args.item, manifest, Path(args.out))
        print(f"saved {saved} ({manifest.size} bytes, verified)")
    else:
        print(json.dumps(body, ensure_ascii=False, indent=2, sort_keys=True))
    return 0


def _common(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--url", required=True, help="the vault's address, e.g. https://vault.example"
    )
    parser.add_argument("--username", required=True)
    parser.add_argument("--code", help="authenticator code (asked for when absent)")


def register(commands: argparse._SubParsersAction[Any], settings_of: Any) -> None:
    dep = commands.add_parser(
        "deposit", help="deposit a call note, a message (stdin) or a file, encrypted here"
    )
    _common(dep)
    dep.add_argument("--practice", help="practice id or name (needed when you serve several)")
    dep.add_argument("--urgency", choices=list(URGENCIES), default="normal")
    what = dep.add_mutually_exclusive_group(required=True)
    what.add_argument("--file", help="a file to deposit as an extract")
    what.add_argument("--note", help="a JSON file with the call note's fields")
    what.add_argument("--subject", help="a message's subject; its text is read from stdin")
    dep.set_defaults(run=lambda args: _guard(deposit, args))

    fet = commands.add_parser("fetch", help="list the practice's items, or fetch and decrypt one")
    _common(fet)
    fet.add_argument("--item", help="the item id to fetch (list the inbox when absent)")
    fet.add_argument("--out", default=".", help="folder for a downloaded extract")
    fet.set_defaults(run=lambda args: _guard(fetch, args))


def _guard(command: Callable[[argparse.Namespace], int], args: argparse.Namespace) -> int:
    try:
        return command(args)
    except ClientError as e:
        print(f"permanence: {e}", file=sys.stderr)
        return 1

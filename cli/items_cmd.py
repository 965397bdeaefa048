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

from cli.client import ClientError, HttpTransport, Unlocked, Unreachable, sign_in, vault_origin
from cli.download import BadItem, download
from cli.known_keys import KeyRole, KnownKeys, Pin, config_dir
from cli.signed_fields import show_signed
from cli.terminal import printable
from crypto.encoding import b64url_decode, b64url_encode
from crypto.envelope import ItemHeader, ItemKind, Urgency, encode_body, open_item, seal_item
from crypto.errors import CryptoError, WeakKdfParameters
from crypto.fingerprint import practice_fingerprint, user_fingerprint
from crypto.grants import PracticeKeyPair
from crypto.signing import VerifyKey
from crypto.stream import (
    CHUNK_BYTES,
    FileManifest,
    StreamEncryptor,
    new_file_key,
)

PART_BYTES = 4 * 1024 * 1024
CALL_TIME_FORMAT = "%Y-%m-%dT%H:%M:%SZ"
URGENCIES = {"low": Urgency.LOW, "normal": Urgency.NORMAL, "urgent": Urgency.URGENT}
EXIT_TAMPERED = 3  # the item verified, but the server's metadata differs from its signed header


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
    try:
        password = os.environ.get("PERMANENCE_PASSWORD") or getpass.getpass(
            f"Password for {args.username}: "
        )
        code = args.code or input("Authenticator code: ").strip()
    except EOFError:
        raise ClientError(
            "no password or authenticator code could be read: set PERMANENCE_PASSWORD"
            " and give the code with --code",
            0,
        ) from None
    try:
        unlocked = sign_in(transport, args.username, password, code)
    except WeakKdfParameters:
        raise ClientError(
            "the server asks for password-hashing parameters outside the accepted range;"
            " refusing to derive your keys with them",
            0,
        ) from None
    except CryptoError:
        raise ClientError(
            "the keys the server sent for your account do not open with your password", 0
        ) from None
    except (KeyError, TypeError, ValueError):
        raise transport.not_a_vault() from None
    transport.load_csrf()
    return transport, unlocked


def _known_keys(args: argparse.Namespace) -> KnownKeys:
    """The pinned keys of this vault; the configuration directory is read here, at the edge."""
    directory = Path(args.config_dir) if args.config_dir else config_dir(os.environ, Path.home())
    return KnownKeys(directory, vault_origin(args.url), args.accept_key or ())


def _upper_first(text: str) -> str:
    return text[:1].upper() + text[1:]


def _canonical_id(value: object, transport: HttpTransport) -> str:
    try:
        return str(uuid.UUID(str(value)))
    except ValueError:
        raise transport.not_a_vault() from None


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
    practice["id"] = _canonical_id(practice["id"], transport)
    # The fingerprint shown and pinned is computed here from the key the deposit seals to.
    computed = practice_fingerprint(b64url_decode(practice["public_key"]))
    who = f"practice {printable(practice['name'])}"
    pin = known.check(KeyRole.PRACTICE, practice["id"], computed, f"key of {who}")
    known.remember(pin)
    known.say(pin, _upper_first(who))
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
    known = _known_keys(args)
    transport, unlocked = _connect(args)
    practice = _practice(transport, args.practice, known)
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


def _practice_key(unlocked: Unlocked, known: KnownKeys) -> tuple[Pin, str]:
    """The practice key this member decrypts with: checked against the published key, pinned."""
    if unlocked.practice_secret is None or unlocked.practice_id is None:
        raise ClientError("this account does not hold the practice key yet", 0)
    public_key = PracticeKeyPair(unlocked.practice_secret).public_key
    practice = unlocked.bundle.get("practice") or {}
    if practice.get("public_key") != b64url_encode(public_key):
        raise ClientError("the practice key granted to you is not the practice's published key", 0)
    who = f"practice {printable(practice.get('name', ''))}"
    pin = known.check(
        KeyRole.PRACTICE, unlocked.practice_id, practice_fingerprint(public_key), f"key of {who}"
    )
    return pin, _upper_first(who)


def _open(
    transport: HttpTransport, unlocked: Unlocked, item_id: str, known: KnownKeys
) -> tuple[dict[str, Any], Any, list[tuple[Pin, str]]]:
    practice_pin, practice_who = _practice_key(unlocked, known)
    answer = transport.get_json(f"/items/{item_id}/envelope")
    author = answer["author"]
    author["id"] = _canonical_id(author["id"], transport)
    # The fingerprint shown and pinned is computed here from the keys the signature is checked with.
    x25519_pk, ed25519_pk = b64url_decode(author["x25519_pk"]), b64url_decode(author["ed25519_pk"])
    author["fingerprint"] = user_fingerprint(x25519_pk, ed25519_pk)
    who = f"author {printable(author['name'])} ({author['id']})"
    author_pin = known.check(KeyRole.AUTHOR, author["id"], author["fingerprint"], f"keys of {who}")
    try:
        opened = open_item(
            b64url_decode(answer["envelope"]),
            author_verify_key=VerifyKey(ed25519_pk),
            practice_secret_key=unlocked.practice_secret,  # type: ignore[arg-type]
            item_id=uuid.UUID(item_id),
            client_id=uuid.UUID(unlocked.practice_id),
            author_id=uuid.UUID(author["id"]),
        )
    except CryptoError:
        raise BadItem from None
    pins = [(practice_pin, practice_who), (author_pin, _upper_first(who))]
    for pin, _ in pins:
        known.remember(pin)  # only keys that have just verified an item are pinned
    return answer, opened, pins


def _item_id(text: str) -> str:
    try:
        return str(uuid.UUID(text))
    except ValueError:
        raise ClientError(f"{printable(text)!r} is not an item id", 0) from None


def fetch(args: argparse.Namespace) -> int:
    item_id = _item_id(args.item) if args.item else None
    known = _known_keys(args)
    transport, unlocked = _connect(args)
    if item_id is None:
        print("the server's metadata, not verified (fetch an item to verify it):", file=sys.stderr)
        for item in transport.get_json("/inbox")["items"]:
            print(
                printable(
                    f"{item['id']}  {item['deposited_at'][:16]}  {item['kind']:<9}"
                    f" {item['urgency']:<7} {item['status']:<8} {item['author']}"
                )
            )
        return 0
    answer, opened, pins = _open(transport, unlocked, item_id, known)
    try:
        body = opened.json()
        manifest = FileManifest.from_json(body) if opened.header.kind == ItemKind.EXTRACT else None
    except CryptoError:
        raise BadItem from None
    for pin, who in pins:
        known.say(pin, who)
    author = answer["author"]
    warnings = show_signed(
        opened.header,
        answer,
        f"by {printable(author['name'])} (account {opened.header.author_id}),"
        f" key fingerprint {author['fingerprint']} (signature verified)",
    )
    if manifest is not None:
        saved = download(
            transport, item_id, manifest, Path(args.out), lambda total: _progress("download", total)
        )
        print(f"saved {printable(saved)} ({manifest.size} bytes, verified)")
    else:
        print(
            printable(
                json.dumps(body, ensure_ascii=False, indent=2, sort_keys=True), keep_newlines=True
            )
        )
    for warning in warnings:
        print(f"permanence: warning: {warning}", file=sys.stderr)
    return EXIT_TAMPERED if warnings else 0


def _common(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--url", required=True, help="the vault's address, e.g. https://vault.example"
    )
    parser.add_argument("--username", required=True)
    parser.add_argument("--code", help="authenticator code (asked for when absent)")
    parser.add_argument(
        "--accept-key",
        action="append",
        metavar="FINGERPRINT",
        help="accept a changed key with this fingerprint (after checking it with its owner)",
    )
    parser.add_argument(
        "--config-dir",
        help="where pinned keys are kept (default: $XDG_CONFIG_HOME/permanence"
        " or ~/.config/permanence)",
    )


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
    except CryptoError:  # a key or answer from the server that is not what it must be
        error: ClientError = ClientError(
            f"what the server at {args.url} sent failed verification", 0
        )
    except (KeyError, TypeError, ValueError, AttributeError):  # a server answer of another shape
        error = ClientError(
            f"the server at {args.url} did not answer as a Permanence vault does", 0
        )
    except ClientError as e:
        error = e
    print(f"permanence: {printable(error)}", file=sys.stderr)
    return 1

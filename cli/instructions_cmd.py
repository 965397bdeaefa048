"""``permanence instructions show|edit``: a practice's instructions, decrypted here.

For members. ``show`` prints the instructions documents (practice card, call rules,
custom fields, closures, on-call list, form templates, suppliers and catalogue) as JSON,
each verified with its author's registered key and decrypted with the team key
(cli/team_client.py).
``edit`` opens ``$VISUAL`` or ``$EDITOR`` on the same JSON in a file of mode 0600 in a
private temporary folder, removed afterwards whatever happens, and writes a new
revision of each document whose body changed (a new document for an entry without
``document_id``). Invalid JSON, an unknown type or an editor that fails: nothing is
written.
"""

from __future__ import annotations

import argparse
import json
import os
import shlex
import shutil
import subprocess
import sys
import tempfile
import uuid
from pathlib import Path
from typing import Any

from cli.client import ClientError, HttpTransport, Unlocked
from cli.client_session import common_options, guard, known_keys_of, session
from cli.team_client import Opened, Team, open_document, team_keys
from cli.terminal import printable
from crypto.encoding import b64url_encode
from crypto.envelope import decode_body
from crypto.errors import CryptoError
from crypto.instruction import NO_SUBJECT, DocType, InstructionHeader, seal_instruction

INSTRUCTION_TYPES = {
    t.name.lower(): t
    for t in (
        DocType.PRACTICE_CARD,
        DocType.CALL_RULES,
        DocType.CUSTOM_FIELDS,
        DocType.CLOSURES,
        DocType.ON_CALL,
        DocType.FORM_TEMPLATES,
        DocType.CATALOGUE,
    )
}
MEMBERS_ONLY = "only a practice's members can show or edit its instructions"
NOT_WRITTEN = "nothing was written"


def _practice(unlocked: Unlocked) -> str:
    if unlocked.practice_id is None:
        raise ClientError(MEMBERS_ONLY, 0)
    return unlocked.practice_id


def _load(transport: HttpTransport, team: Team) -> list[Opened]:
    listed = transport.get_json(f"/practices/{team.practice_id}/documents")["documents"]
    opened = []
    for d in listed:
        if int(d["type"]) not in INSTRUCTION_TYPES.values():
            continue
        try:
            opened.append(open_document(d, team.practice_id, team.keys))
        except CryptoError:
            print(
                f"permanence: document {printable(str(d['document_id']))} failed verification;"
                " it is not shown",
                file=sys.stderr,
            )
    return opened


def _as_json(documents: list[Opened]) -> dict[str, Any]:
    return {
        "documents": [
            {
                "type": DocType(d.header.type).name.lower(),
                "document_id": str(d.header.document_id),
                "revision": d.header.revision,
                "author": d.author["name"],  # the signed author's name, as the server gives it
                "stored_at": d.stored_at,
                "body": d.body,
            }
            for d in documents
        ]
    }


def show(args: argparse.Namespace) -> int:
    known = known_keys_of(args)
    with session(args) as (transport, unlocked):
        team = team_keys(transport, unlocked, known, _practice(unlocked))
        print(json.dumps(_as_json(_load(transport, team)), ensure_ascii=False, indent=2))
    return 0


def _edit_in_editor(text: str) -> str:
    """Let the user edit ``text`` in a 0600 file of a private folder, removed afterwards."""
    editor = os.environ.get("VISUAL") or os.environ.get("EDITOR")
    if not editor:
        raise ClientError("set EDITOR (or VISUAL) to the editor to use; " + NOT_WRITTEN, 0)
    folder = Path(tempfile.mkdtemp(prefix="permanence-"))  # mode 0700
    try:
        path = folder / "instructions.json"
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w", encoding="utf-8") as f:
            f.write(text)
        try:
            done = subprocess.run([*shlex.split(editor), str(path)], check=False)  # noqa: S603
        except (OSError, ValueError):
            raise ClientError(
                f"the editor {editor!r} could not be started; " + NOT_WRITTEN, 0
            ) from None
        if done.returncode != 0:
            raise ClientError(f"the editor exited with status {done.returncode}; " + NOT_WRITTEN, 0)
        return path.read_text(encoding="utf-8")
    finally:
        shutil.rmtree(folder, ignore_errors=True)


def _parse(text: str) -> list[dict[str, Any]]:
    """The edited entries, or one sentence saying what is wrong (nothing is written)."""
    try:
        data = decode_body(text.encode("utf-8"))
    except CryptoError:
        raise ClientError("the edited text is not a valid JSON object; " + NOT_WRITTEN, 0) from None
    entries = data.get("documents")
    if not isinstance(entries, list) or not all(isinstance(e, dict) for e in entries):
        raise ClientError('the edited JSON needs a "documents" list of objects; ' + NOT_WRITTEN, 0)
    for entry in entries:
        if entry.get("type") not in INSTRUCTION_TYPES:
            names = ", ".join(INSTRUCTION_TYPES)
            raise ClientError(f"each document's type is one of {names}; " + NOT_WRITTEN, 0)
        if not isinstance(entry.get("body"), dict):
            raise ClientError('each document needs a "body" object; ' + NOT_WRITTEN, 0)
    return entries


def _changes(entries: list[dict[str, Any]], documents: list[Opened]) -> list[tuple[Any, ...]]:
    """(type, document id, next revision, body) of every new or changed document."""
    known = {str(d.header.document_id): d for d in documents}
    changes = []
    for entry in entries:
        doc_type = INSTRUCTION_TYPES[entry["type"]]
        doc_id = entry.get("document_id")
        if doc_id is None:
            changes.append((doc_type, str(uuid.uuid4()), 1, entry["body"]))
            continue
        before = known.get(str(doc_id))
        if before is None or before.header.type != doc_type:
            raise ClientError(
                f"document {printable(str(doc_id))} is not one of this practice's {entry['type']}"
                " documents (leave document_id out for a new one); " + NOT_WRITTEN,
                0,
            )
        if entry["body"] != before.body:
            changes.append((doc_type, str(doc_id), before.header.revision + 1, entry["body"]))
    return changes


def edit(args: argparse.Namespace) -> int:
    known = known_keys_of(args)
    with session(args) as (transport, unlocked):
        practice_id = _practice(unlocked)
        team = team_keys(transport, unlocked, known, practice_id)
        documents = _load(transport, team)
        text = json.dumps(_as_json(documents), ensure_ascii=False, indent=2) + "\n"
        changes = _changes(_parse(_edit_in_editor(text)), documents)
        if not changes:
            print("nothing changed; nothing was written", file=sys.stderr)
            return 0
        if team.current is None:
            raise ClientError("you hold no key of the practice's current team key version", 0)
        for doc_type, doc_id, revision, body in changes:
            header = InstructionHeader(
                type=doc_type,
                document_id=uuid.UUID(doc_id),
                client_id=uuid.UUID(practice_id),
                author_id=uuid.UUID(unlocked.account_id),
                subject_id=NO_SUBJECT,
                version=team.current,
                revision=revision,
            )
            envelope = seal_instruction(
                team.keys[team.current], header, body, unlocked.keys.signing_key
            )
            transport.put_json(
                f"/practices/{practice_id}/documents/{doc_id}",
                {"envelope": b64url_encode(envelope)},
            )
            print(f"{doc_type.name.lower()} {doc_id}: revision {revision} written")
    return 0


def register(commands: argparse._SubParsersAction[Any], settings_of: Any) -> None:
    parser = commands.add_parser(
        "instructions", help="show or edit the practice's instructions (members), decrypted here"
    )
    parser.add_argument(
        "action",
        choices=("show", "edit"),
        help="show: print them as JSON; edit: edit them in $EDITOR (new revisions)",
    )
    common_options(parser)
    parser.set_defaults(run=lambda args: guard(show if args.action == "show" else edit, args))

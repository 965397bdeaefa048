"""``permanence requests list|take|done``: a secretary's requests from her practices.

A request's text is a REQUEST document under the practice's team key (docs/format.md
§10), verified with its author's registered key and decrypted here; the done note is
a REPLY document sealed and signed here, whose subject is the request. The server
sees only the state: who took it and when, who marked it done and when.
"""

from __future__ import annotations

import argparse
import sys
import uuid
from datetime import UTC, datetime, tzinfo
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from cli.client import ClientError, HttpTransport, Unlocked
from cli.client_session import common_options, guard, known_keys_of, session
from cli.known_keys import KnownKeys
from cli.team_client import NO_KEY, Team, team_keys
from cli.terminal import printable
from crypto.encoding import b64url_decode, b64url_encode
from crypto.instruction import (
    NO_SUBJECT,
    DocType,
    InstructionHeader,
    open_instruction,
    read_unverified_instruction_header,
    seal_instruction,
)
from crypto.secret import Secret
from crypto.signing import VerifyKey
from web.local_dates import NBSP, short_time

MAX_NOTE = 2000


def _request_id(text: str) -> str:
    try:
        return str(uuid.UUID(text))
    except ValueError:
        raise ClientError(f"{printable(text)!r} is not a request id", 0) from None


def _practices(transport: HttpTransport) -> list[dict[str, Any]]:
    return [p for p in transport.get_json("/workspace")["practices"] if p["public_key"]]


def _key(team: Team, version: int) -> Secret:
    key = team.keys.get(version)
    if key is None:
        raise ClientError(NO_KEY, 0)
    return key


def _texts(transport: HttpTransport, team: Team, practice_id: str) -> dict[str, dict[str, Any]]:
    """The practice's REQUEST documents, verified and decrypted: id → body."""
    answer = transport.get_json(f"/practices/{practice_id}/documents?type={int(DocType.REQUEST)}")
    out: dict[str, dict[str, Any]] = {}
    for doc in answer["documents"]:
        author = doc["author"]
        if author.get("role") != "member":  # only members write requests (format §10)
            continue
        envelope = b64url_decode(doc["envelope"])
        version = read_unverified_instruction_header(envelope).version
        _, body = open_instruction(
            envelope,
            _key(team, version),
            VerifyKey(b64url_decode(author["ed25519_pk"])),
            client_id=uuid.UUID(practice_id),
            document_id=uuid.UUID(str(doc["document_id"])),
            author_id=uuid.UUID(str(author["id"])),
            version=version,
            type=DocType.REQUEST,
            subject_id=NO_SUBJECT,
        )
        out[str(doc["document_id"])] = body
    return out


def _zone(name: object) -> tzinfo | None:
    """The practice's zone as the server states it; ``None`` (this machine's) when absent."""
    try:
        return ZoneInfo(str(name)) if name else None
    except (ZoneInfoNotFoundError, ValueError):
        return None


def _when(text: object, zone: tzinfo | None) -> str:
    """A stored time (RFC 3339) as the pages write it, in English: "2 Dec 2026, 2:20 am"."""
    try:
        at = datetime.fromisoformat(str(text).replace("Z", "+00:00"))
    except ValueError:
        return str(text)  # not a time: as it was written
    if at.tzinfo is None:
        return str(text)
    local = zone if zone is not None else at.astimezone().tzinfo or UTC
    return short_time(at, local, "en").replace(NBSP, " ")


def _line(
    state: dict[str, Any],
    practice: dict[str, Any],
    body: dict[str, Any] | None,
    zone: tzinfo | None = None,
) -> str:
    parts = [f"{state['id']}  {state['status']:<5}  {practice['name']}"]
    parts.append(f"  asked {_when(state['created_at'], zone)} by {state['created_by']['name']}")
    if state.get("taken_by"):
        taken = _when(state["taken_at"], zone)
        parts.append(f"; taken by {state['taken_by']['name']} at {taken}")
    if state.get("done_by"):
        parts.append(f"; done by {state['done_by']['name']} at {_when(state['done_at'], zone)}")
    text = "(could not be decrypted)" if body is None else str(body.get("text", ""))
    due = "" if body is None else str(body.get("due") or "")
    due = _when(due, zone) if due else ""
    lines = ["".join(parts)]
    if due:
        lines.append(f"    due: {due}")
    lines.extend(f"    {line}" for line in text.splitlines() or [""])
    return printable("\n".join(lines), keep_newlines=True)


def list_requests(args: argparse.Namespace) -> int:
    known = known_keys_of(args)
    with session(args) as (transport, unlocked):
        return _list(args, known, transport, unlocked)


def _list(
    args: argparse.Namespace, known: KnownKeys, transport: HttpTransport, unlocked: Unlocked
) -> int:
    shown = 0
    for practice in _practices(transport):
        answer = transport.get_json(f"/practices/{practice['id']}/requests")
        zone = _zone(answer.get("timezone"))
        states = [s for s in answer["requests"] if args.all or s["status"] != "done"]
        if not states:
            continue
        team = team_keys(transport, unlocked, known, practice["id"])
        texts = _texts(transport, team, practice["id"])
        for state in states:
            print(_line(state, practice, texts.get(str(state["id"])), zone))
            shown += 1
    if shown == 0:
        print("no open request" if not args.all else "no request", file=sys.stderr)
    return 0


def _find(transport: HttpTransport, request_id: str) -> tuple[dict[str, Any], dict[str, Any]]:
    for practice in _practices(transport):
        for state in transport.get_json(f"/practices/{practice['id']}/requests")["requests"]:
            if state["id"] == request_id:
                return practice, state
    raise ClientError(f"no request {request_id} in the practices you serve", 0)


def take(args: argparse.Namespace) -> int:
    request_id = _request_id(args.request)
    with session(args) as (transport, _):
        practice, _ = _find(transport, request_id)
        answer = transport.post_json(f"/practices/{practice['id']}/requests/{request_id}/take", {})
        print(f"taken: {answer['request']['id']}")
    return 0


def _note(args: argparse.Namespace) -> str:
    note = sys.stdin.read() if args.note == "-" else str(args.note)
    note = note.strip()
    if not note or len(note) > MAX_NOTE:
        raise ClientError(f"the note must hold 1 to {MAX_NOTE} characters", 0)
    return note


def done(args: argparse.Namespace) -> int:
    request_id = _request_id(args.request)
    note = _note(args)  # before signing in, which uses up a code
    known = known_keys_of(args)
    with session(args) as (transport, unlocked):
        practice, _ = _find(transport, request_id)
        team = team_keys(transport, unlocked, known, practice["id"])
        if team.current is None:
            raise ClientError(NO_KEY, 0)
        version = team.current
        reply_id = uuid.uuid4()
        header = InstructionHeader(
            type=DocType.REPLY,
            document_id=reply_id,
            client_id=uuid.UUID(practice["id"]),
            author_id=uuid.UUID(unlocked.account_id),
            subject_id=uuid.UUID(request_id),
            version=version,
            revision=1,
        )
        envelope = seal_instruction(
            _key(team, version), header, {"text": note}, unlocked.keys.signing_key
        )
        answer = transport.post_json(
            f"/practices/{practice['id']}/requests/{request_id}/done",
            {"reply_id": str(reply_id), "envelope": b64url_encode(envelope)},
        )
        state = answer["request"]
        print(printable(f"done: {state['id']} at {state['done_at'][:16]}Z"))
    return 0


def register(commands: argparse._SubParsersAction[Any], settings_of: Any) -> None:
    req = commands.add_parser(
        "requests", help="a secretary's requests from her practices: list, take, mark done"
    )
    sub = req.add_subparsers(dest="action", required=True)
    lst = sub.add_parser("list", help="the open requests (decrypted here)")
    common_options(lst)
    lst.add_argument("--all", action="store_true", help="also the requests already done")
    lst.set_defaults(run=lambda args: guard(list_requests, args))
    tak = sub.add_parser("take", help="take a request so that no colleague does it too")
    common_options(tak)
    tak.add_argument("request", help="the request's id")
    tak.set_defaults(run=lambda args: guard(take, args))
    don = sub.add_parser("done", help="mark a request done with a short note (encrypted here)")
    common_options(don)
    don.add_argument("request", help="the request's id")
    don.add_argument("--note", required=True, help="the note for the practice ('-': stdin)")
    don.set_defaults(run=lambda args: guard(done, args))

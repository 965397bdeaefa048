"""The team key and team documents over HTTP (docs/format.md §10, "over HTTP").

JSON only, for the browser modules (web/static/js/app/team.js) and the command
line. The vault decides who reaches a practice's team (others get an audited
404) and checks every signature, id, version and revision it can without a key.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from crypto.encoding import b64url_decode, b64url_encode
from crypto.errors import CryptoError
from crypto.instruction import DocType
from vault.errors import InvalidInput
from vault.ids import is_uuid
from vault.team import documents, keys, revisions
from vault.team.access import TeamAccount
from web.context import ascii_int, env_of, json_body, request_info, require_principal
from web.responses import json_ok
from web.routing import route

MAX_DOCUMENT_BODY = 2 * revisions.MAX_ENVELOPE_BYTES  # base64url of the envelope, and a key
MAX_VERSION_BODY = 16 * 1024 * 1024  # every document's envelope re-encrypted, and the grants
MAX_RECIPIENTS_BODY = 1024 * 1024
BAD_FIELD = "Some of the information sent is missing or invalid."


def _account(a: TeamAccount) -> dict[str, str]:
    return {
        "id": a.id,
        "name": a.name,
        "role": a.role,
        "x25519_pk": b64url_encode(a.x25519_pk),
        "ed25519_pk": b64url_encode(a.ed25519_pk),
    }


def _document(d: documents.StoredDocument) -> dict[str, Any]:
    return {
        "document_id": d.document_id,
        "type": d.type,
        "subject_id": d.subject_id,
        "version": d.version,
        "revision": d.revision,
        "envelope": b64url_encode(d.envelope),
        "author": _account(d.author),
        "stored_at": d.stored_at,
    }


def _binary(data: Mapping[str, Any], name: str, message: str = BAD_FIELD) -> bytes:
    value = data.get(name)
    if not isinstance(value, str):
        raise InvalidInput(message)
    try:
        return b64url_decode(value)
    except CryptoError:
        raise InvalidInput(message) from None


def _version(data: Mapping[str, Any]) -> int:
    value = data.get("version")
    if type(value) is not int or not 1 <= value <= 2**32 - 1:
        raise InvalidInput()
    return value


def _grants(data: Mapping[str, Any]) -> dict[str, bytes]:
    value = data.get("grants")
    if not isinstance(value, dict) or len(value) > 10_000:
        raise InvalidInput()
    out = {}
    for account_id, grant in value.items():
        if not is_uuid(account_id) or not isinstance(grant, str):
            raise InvalidInput(keys.BAD_GRANT)
        out[account_id] = _binary(value, account_id, keys.BAD_GRANT)
    return out


def _new_version(data: Mapping[str, Any], with_documents: bool) -> keys.NewVersion:
    docs: list[tuple[str, bytes]] = []
    if with_documents:
        sent = data.get("documents", [])
        if not isinstance(sent, list) or len(sent) > keys.MAX_DOCUMENTS:
            raise InvalidInput()
        for item in sent:
            if not isinstance(item, dict) or not is_uuid(item.get("document_id", "")):
                raise InvalidInput()
            docs.append((item["document_id"], _binary(item, "envelope", revisions.BAD_ENVELOPE)))
    return keys.NewVersion(
        version=_version(data),
        record=_binary(data, "record", keys.BAD_RECORD),
        signature=_binary(data, "signature", keys.BAD_RECORD),
        grants=_grants(data),
        documents=tuple(docs),
    )


async def team_state(request: Request) -> Response:
    state = await run_in_threadpool(
        keys.state,
        env_of(request),
        request_info(request),
        require_principal(request),
        request.path_params["practice_id"],
    )
    return json_ok(
        {
            "practice_id": state.practice_id,
            "current_version": state.current_version,
            "rekey_due": state.rekey_due,
            "versions": [
                {
                    "version": v.version,
                    "record": b64url_encode(v.record),
                    "signature": b64url_encode(v.signature),
                    "creator": _account(v.creator),
                    "stored_at": v.stored_at,
                    "grant": None if v.grant is None else b64url_encode(v.grant),
                }
                for v in state.versions
            ],
            "recipients": [_account(a) for a in state.recipients],
            "missing": state.missing,
        }
    )


async def _reach_as_member(request: Request) -> None:
    await run_in_threadpool(
        keys.reach_as_member,
        env_of(request),
        request_info(request),
        require_principal(request),
        request.path_params["practice_id"],
    )


async def team_version_create(request: Request) -> Response:
    await _reach_as_member(request)  # access before the body: outsiders get the audited 404
    new = _new_version(await json_body(request, MAX_VERSION_BODY), with_documents=True)
    version = await run_in_threadpool(
        keys.create_version,
        env_of(request),
        request_info(request),
        require_principal(request),
        request.path_params["practice_id"],
        new,
    )
    response = json_ok({"version": version})
    response.status_code = 201
    return response


async def team_recipients_add(request: Request) -> Response:
    await _reach_as_member(request)  # access before the body: outsiders get the audited 404
    new = _new_version(await json_body(request, MAX_RECIPIENTS_BODY), with_documents=False)
    version = await run_in_threadpool(
        keys.add_recipients,
        env_of(request),
        request_info(request),
        require_principal(request),
        request.path_params["practice_id"],
        new,
    )
    return json_ok({"version": version})


def _doc_type(text: str | None) -> DocType | None:
    if text is None:
        return None
    number = ascii_int(text, 3)
    if number is None or number not in {int(t) for t in DocType}:
        raise InvalidInput()
    return DocType(number)


async def document_list(request: Request) -> Response:
    subject = request.query_params.get("subject")
    if subject is not None and not is_uuid(subject):
        raise InvalidInput()
    doc_type = _doc_type(request.query_params.get("type"))
    env, info, principal = env_of(request), request_info(request), require_principal(request)
    practice_id = request.path_params["practice_id"]
    found = await run_in_threadpool(
        lambda: documents.list_documents(
            env, info, principal, practice_id, doc_type=doc_type, subject_id=subject
        )
    )
    return json_ok({"documents": [_document(d) for d in found]})


async def document_read(request: Request) -> Response:
    history = request.query_params.get("history") == "1"
    env, info, principal = env_of(request), request_info(request), require_principal(request)
    practice_id, document_id = (
        request.path_params["practice_id"],
        request.path_params["document_id"],
    )
    found = await run_in_threadpool(
        lambda: documents.read_document(
            env, info, principal, practice_id, document_id, history=history
        )
    )
    answer: dict[str, Any] = {"document": _document(found[-1])}
    if history:
        answer["revisions"] = [_document(d) for d in found]
    return json_ok(answer)


async def document_write(request: Request) -> Response:
    data = await json_body(request, MAX_DOCUMENT_BODY)
    envelope = _binary(data, "envelope", revisions.BAD_ENVELOPE)
    written = await run_in_threadpool(
        documents.write_document,
        env_of(request),
        request_info(request),
        require_principal(request),
        request.path_params["practice_id"],
        request.path_params["document_id"],
        envelope,
    )
    response = json_ok(
        {
            "document_id": written.document_id,
            "revision": written.revision,
            "stored_at": written.stored_at,
        }
    )
    response.status_code = 201 if written.created else 200
    return response


def routes() -> list[Route]:
    return [
        route("/practices/{practice_id}/team", team_state, "team_state"),
        route(
            "/practices/{practice_id}/team/versions",
            team_version_create,
            "team_version_create",
            ["POST"],
        ),
        route(
            "/practices/{practice_id}/team/recipients",
            team_recipients_add,
            "team_recipients_add",
            ["POST"],
        ),
        route("/practices/{practice_id}/documents", document_list, "document_list"),
        route("/practices/{practice_id}/documents/{document_id}", document_read, "document_read"),
        route(
            "/practices/{practice_id}/documents/{document_id}",
            document_write,
            "document_write",
            ["PUT"],
        ),
    ]

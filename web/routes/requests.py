"""Requests from a practice to its secretaries, over HTTP (docs/items.md "Requests").

JSON for the browser modules and ``permanence requests``; two pages (the member's
requests, the secretary's open requests). What a request says travels only as a
REQUEST document encrypted under the team key; these routes carry its state.
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
from vault.business_hours import BusinessHours
from vault.clock import parse_iso
from vault.errors import InvalidInput, RequestTaken
from vault.identity import practices
from vault.requests import state, threads, writes
from vault.team.documents import StoredDocument
from web import i18n
from web.context import env_of, json_body, request_info, require_principal
from web.local_dates import short_time
from web.rendering import render
from web.responses import json_ok
from web.routing import route

TAKEN_BY = "{name} already took this request ({when})."
DONE_BY = "{name} already marked this request done ({when})."


def _who(who: state.Who | None) -> dict[str, str] | None:
    return None if who is None else {"id": who.id, "name": who.name}


def request_json(s: state.RequestState) -> dict[str, Any]:
    """A request's state as the browser and the command line read it (docs/format.md §10)."""
    return {
        "id": s.id,
        "practice_id": s.practice_id,
        "practice_name": s.practice_name,
        "status": s.status,
        "created_by": _who(s.created_by),
        "created_at": s.created_at.isoformat(),
        "taken_by": _who(s.taken_by),
        "taken_at": None if s.taken_at is None else s.taken_at.isoformat(),
        "done_by": _who(s.done_by),
        "done_at": None if s.done_at is None else s.done_at.isoformat(),
        "reply_id": s.reply_id,
    }


def taken_answer(request: Request, taken: RequestTaken) -> Response:
    """The 409 a second secretary gets: who has the request and since when, in her language."""
    hours = BusinessHours.of(env_of(request).settings)
    when = short_time(parse_iso(taken.at), hours.zone, i18n.current_language())
    sentence = i18n.gettext(DONE_BY if taken.done else TAKEN_BY).format(name=taken.by, when=when)
    response = json_ok(
        {"error": sentence, "taken_by": taken.by, "at": taken.at, "done": taken.done}
    )
    response.status_code = 409
    return response


async def practice_requests(request: Request) -> Response:
    """GET: the practice's requests; POST: a member's new request (its REQUEST envelope)."""
    if request.method == "POST":
        return await request_create(request)
    env, info, principal = env_of(request), request_info(request), require_principal(request)
    practice_id = request.path_params["practice_id"]
    rows = await run_in_threadpool(state.of_practice, env, info, principal, practice_id)
    return json_ok(
        {
            "practice_id": practice_id,
            "timezone": env.settings.timezone,  # the command line writes times in it
            "requests": [request_json(r) for r in rows],
        }
    )


async def request_take(request: Request) -> Response:
    env, info, principal = env_of(request), request_info(request), require_principal(request)
    pid, rid = request.path_params["practice_id"], request.path_params["request_id"]
    try:
        taken = await run_in_threadpool(state.take, env, info, principal, pid, rid)
    except RequestTaken as refused:
        return taken_answer(request, refused)
    return json_ok({"request": request_json(taken)})


async def secretary_requests_page(request: Request) -> Response:
    """The secretary's requests, every assigned practice (the browser decrypts them)."""
    env, principal = env_of(request), require_principal(request)
    assigned = await run_in_threadpool(practices.assigned_practices, env, principal.account_id)
    return render(
        request,
        "requests.html",
        {
            "practices": [{"id": pid, "name": name} for pid, name, key in assigned if key],
            "timezone": env.settings.timezone,
        },
    )


async def member_requests_page(request: Request) -> Response:
    """The member's page: write a request, see who took each and when it was done."""
    principal = require_principal(request)
    return render(
        request,
        "practice_requests.html",
        {"practice_id": principal.practice_id, "timezone": env_of(request).settings.timezone},
    )


MAX_BODY = 1024 * 1024  # base64url of an envelope (a reply is at most a few KiB) and ids


def _envelope_of(data: Mapping[str, Any], id_name: str) -> tuple[str, bytes]:
    """(document id, envelope) of a JSON body ``{id_name: uuid, "envelope": b64url}``."""
    doc_id, text = data.get(id_name), data.get("envelope")
    if not isinstance(doc_id, str) or len(doc_id) > 64 or not isinstance(text, str):
        raise InvalidInput()
    try:
        return doc_id, b64url_decode(text)
    except CryptoError:
        raise InvalidInput(writes.WRONG_DOCUMENT) from None


def document_json(d: StoredDocument) -> dict[str, Any]:
    """A stored document as docs/format.md §10 writes it (the team routes' shape)."""
    return {
        "document_id": d.document_id,
        "type": d.type,
        "subject_id": d.subject_id,
        "version": d.version,
        "revision": d.revision,
        "envelope": b64url_encode(d.envelope),
        "author": {
            "id": d.author.id,
            "name": d.author.name,
            "role": d.author.role,
            "x25519_pk": b64url_encode(d.author.x25519_pk),
            "ed25519_pk": b64url_encode(d.author.ed25519_pk),
        },
        "stored_at": d.stored_at,
    }


async def request_create(request: Request) -> Response:
    env, info, principal = env_of(request), request_info(request), require_principal(request)
    pid = request.path_params["practice_id"]
    rid, envelope = _envelope_of(await json_body(request, MAX_BODY), "request_id")
    created = await run_in_threadpool(
        writes.create_request, env, info, principal, pid, rid, envelope
    )
    response = json_ok({"request": request_json(created)})
    response.status_code = 201
    return response


async def request_done(request: Request) -> Response:
    env, info, principal = env_of(request), request_info(request), require_principal(request)
    pid, rid = request.path_params["practice_id"], request.path_params["request_id"]
    reply_id, envelope = _envelope_of(await json_body(request, MAX_BODY), "reply_id")
    try:
        done = await run_in_threadpool(
            writes.complete_request, env, info, principal, pid, rid, reply_id, envelope
        )
    except RequestTaken as refused:
        return taken_answer(request, refused)
    return json_ok({"request": request_json(done)})


async def request_replies(request: Request) -> Response:
    env, info, principal = env_of(request), request_info(request), require_principal(request)
    pid, rid = request.path_params["practice_id"], request.path_params["request_id"]
    if request.method == "POST":
        reply_id, envelope = _envelope_of(await json_body(request, MAX_BODY), "reply_id")
        stored_at = await run_in_threadpool(
            threads.reply_to_request, env, info, principal, pid, rid, reply_id, envelope
        )
        response = json_ok({"document_id": reply_id, "stored_at": stored_at})
        response.status_code = 201
        return response
    replies = await run_in_threadpool(threads.request_thread, env, info, principal, pid, rid)
    return json_ok({"practice_id": pid, "replies": [document_json(d) for d in replies]})


async def item_replies(request: Request) -> Response:
    env, info, principal = env_of(request), request_info(request), require_principal(request)
    item_id = request.path_params["item_id"]
    if request.method == "POST":
        reply_id, envelope = _envelope_of(await json_body(request, MAX_BODY), "reply_id")
        stored_at = await run_in_threadpool(
            threads.reply_to_item, env, info, principal, item_id, reply_id, envelope
        )
        response = json_ok({"document_id": reply_id, "stored_at": stored_at})
        response.status_code = 201
        return response
    pid, replies = await run_in_threadpool(threads.item_thread, env, info, principal, item_id)
    return json_ok({"practice_id": pid, "replies": [document_json(d) for d in replies]})


def routes() -> list[Route]:
    return [
        route("/requests", secretary_requests_page, "requests_page"),
        route("/practice/requests", member_requests_page, "practice_requests_page"),
        route(
            "/practices/{practice_id}/requests",
            practice_requests,
            "practice_requests",
            ["GET", "POST"],
        ),
        route(
            "/practices/{practice_id}/requests/{request_id}/take",
            request_take,
            "request_take",
            ["POST"],
        ),
        route(
            "/practices/{practice_id}/requests/{request_id}/done",
            request_done,
            "request_done",
            ["POST"],
        ),
        route(
            "/practices/{practice_id}/requests/{request_id}/replies",
            request_replies,
            "request_replies",
            ["GET", "POST"],
        ),
        route("/items/{item_id}/replies", item_replies, "item_replies", ["GET", "POST"]),
    ]

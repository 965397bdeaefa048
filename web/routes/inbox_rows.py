"""The inbox's envelopes in batches (rows and search) and its count of urgent items.

``POST /inbox/envelopes`` hands one page's envelopes (one ``items.listed`` entry, no
status change); ``POST /inbox/search`` the next batch of the whole history for the
browser's search index (one ``items.searched`` entry a batch, never the query);
``GET /inbox/urgent`` the navigation's count of urgent items not handled yet.
"""

from __future__ import annotations

from typing import Any

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from crypto.encoding import b64url_encode
from vault.errors import InvalidInput
from vault.items import listing
from web.context import env_of, json_body, request_info, require_principal
from web.rendering import render
from web.responses import json_ok, wants_json
from web.routing import route


def batch_json(batch: listing.Batch) -> dict[str, Any]:
    return {
        "practice_id": batch.practice_id,
        "items": [
            {
                "item_id": e.id,
                "envelope": b64url_encode(e.envelope),
                "kind": e.kind,
                "urgency": e.urgency,
                "status": e.status,
                "deposited_at": e.deposited_at.isoformat(),
                "call_started_at": None
                if e.call_started_at is None
                else e.call_started_at.isoformat(),
                "call_seconds": e.call_seconds,
                "author_id": e.author_id,
                "form_template": e.form_template_id,
            }
            for e in batch.items
        ],
        "authors": {
            a.id: {
                "id": a.id,
                "name": a.name,
                "username": a.username,
                "x25519_pk": b64url_encode(a.x25519_pk),
                "ed25519_pk": b64url_encode(a.ed25519_pk),
            }
            for a in batch.authors.values()
        },
        "next": batch.next_cursor,
        "total": batch.total,
    }


async def inbox_envelopes(request: Request) -> Response:
    ids = (await json_body(request, 8192)).get("ids")
    env, info, principal = env_of(request), request_info(request), require_principal(request)
    batch = await run_in_threadpool(listing.listed, env, info, principal, ids)
    return json_ok(batch_json(batch))


async def inbox_search(request: Request) -> Response:
    data = await json_body(request, 1024)
    after, template = data.get("after"), data.get("template")
    if after is not None and (not isinstance(after, str) or len(after) > 128):
        raise InvalidInput()
    if template is not None and (not isinstance(template, str) or len(template) > 64):
        raise InvalidInput()
    env, info, principal = env_of(request), request_info(request), require_principal(request)
    batch = await run_in_threadpool(
        listing.searched, env, info, principal, after or None, template=template
    )
    return json_ok(batch_json(batch))


async def inbox_urgent(request: Request) -> Response:
    count = await run_in_threadpool(
        listing.urgent_unhandled, env_of(request), require_principal(request)
    )
    if wants_json(request):
        return json_ok({"urgent": count})
    return render(request, "_partials/nav_urgent.html", {"urgent_count": count})


def routes() -> list[Route]:
    return [
        route("/inbox/envelopes", inbox_envelopes, "inbox_envelopes", ["POST"]),
        route("/inbox/search", inbox_search, "inbox_search", ["POST"]),
        route("/inbox/urgent", inbox_urgent, "inbox_urgent"),
    ]

"""Landing pages: the practice inbox (members) and the secretary's workspace and deposits."""

from __future__ import annotations

from typing import Any

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from crypto.encoding import b64url_decode, b64url_encode
from crypto.errors import CryptoError
from crypto.fingerprint import practice_fingerprint
from vault.errors import InvalidInput
from vault.identity import practices
from vault.items import deposits, labels, listing, trails
from vault.items import inbox as inbox_cases
from vault.orders import status as order_status
from web.context import env_of, json_body, request_info, require_principal
from web.rendering import render
from web.responses import json_ok, wants_json
from web.routing import route

REFRESH_SECONDS = 30  # the inbox asks for new items this often (issue 12: 30 s at most)


async def inbox(request: Request) -> Response:
    env = env_of(request)
    principal = require_principal(request)
    query = dict(request.query_params)
    filt = inbox_cases.InboxFilter.parse(query)

    def read() -> dict[str, Any]:
        name, public_key = practices.name_and_key(env, str(principal.practice_id))
        page = inbox_cases.inbox(env, principal, filt, query.get("after") or None)
        return {
            "urgent_count": listing.urgent_unhandled(env, principal),
            "timezone": env.settings.timezone,
            "refresh_seconds": REFRESH_SECONDS,
            "practice_name": name,
            "practice_public_key": b64url_encode(public_key) if public_key else "",
            "page": page,
            "filters": filt,
            "query": {k: v for k, v in query.items() if k != "after" and v},
        }

    context = await run_in_threadpool(read)
    if wants_json(request):  # the command line (permanence fetch)
        page = context["page"]
        return json_ok(
            {
                "practice_id": principal.practice_id,
                "items": [_item_json(i) for i in page.items],
                "next": page.next_cursor,
            }
        )
    return render(request, "inbox.html", context, partial="_partials/inbox_rows.html")


def _item_json(item: inbox_cases.ItemSummary) -> dict[str, Any]:
    return {
        "id": item.id,
        "kind": item.kind,
        "urgency": item.urgency,
        "status": item.status,
        "deposited_at": item.deposited_at.isoformat(),
        "size": item.size,
        "author": item.author_name,
    }


async def workspace(request: Request) -> Response:
    env = env_of(request)
    principal = require_principal(request)
    assigned = await run_in_threadpool(practices.assigned_practices, env, principal.account_id)
    rows = [
        {
            "id": pid,
            "name": name,
            "fingerprint": practice_fingerprint(pk) if pk else None,
            "public_key": b64url_encode(pk) if pk else "",
        }
        for pid, name, pk in assigned
    ]
    if wants_json(request):  # the command line (permanence deposit)
        return json_ok({"practices": rows})
    return render(request, "workspace.html", {"practices": rows})


async def deposit_page(request: Request) -> Response:
    env = env_of(request)
    principal = require_principal(request)
    practice_id = request.path_params["practice_id"]
    name, key = await run_in_threadpool(
        deposits.assigned_practice, env, request_info(request), principal, practice_id
    )
    return render(
        request,
        "deposit.html",
        {
            "practice": {
                "id": practice_id,
                "name": name,
                "public_key": b64url_encode(key),
            },
            "upload_limit": env.settings.upload_limit_bytes,
            "timezone": env.settings.timezone,
        },
    )


async def my_deposits(request: Request) -> Response:
    env = env_of(request)
    principal = require_principal(request)
    after = request.query_params.get("after") or None
    page = await run_in_threadpool(trails.my_deposits, env, principal, after)
    ids = [r.item.id for r in page.rows]
    orders = await run_in_threadpool(order_status.for_deposits, env, principal, ids)
    return render(
        request,
        "deposits.html",
        {"page": page, "b64": b64url_encode, "orders": orders},
        partial="_partials/deposit_rows.html",
    )


async def deposit_label(request: Request) -> Response:
    """Store the label the secretary's browser sealed to her own key (docs/format.md §11)."""
    data = await json_body(request, 4096)
    text = data.get("label")
    if text is not None and not isinstance(text, str):
        raise InvalidInput()
    try:
        sealed = None if text is None else b64url_decode(text)
    except CryptoError:
        raise InvalidInput(labels.BAD_LABEL) from None
    await run_in_threadpool(
        labels.set_label,
        env_of(request),
        request_info(request),
        require_principal(request),
        request.path_params["item_id"],
        sealed,
    )
    return json_ok({"item_id": request.path_params["item_id"], "labelled": sealed is not None})


def routes() -> list[Route]:
    return [
        route("/inbox", inbox, "inbox"),
        route("/workspace", workspace, "workspace"),
        route("/workspace/deposits", my_deposits, "my_deposits"),
        route("/workspace/deposits/{item_id}/label", deposit_label, "deposit_label", ["PUT"]),
        route("/workspace/{practice_id}", deposit_page, "deposit_page"),
    ]

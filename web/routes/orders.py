"""Order forms over HTTP (docs/items.md "Orders"): their state, and the pages.

What an order says travels only inside its item's envelope (sealed to the practice key)
and is decrypted in the member's browser; the catalogue the secretary picks from is a
team document (docs/format.md §10, type 0x07). These routes carry the state ordered →
approved → delivered, and render pages without any of the order's content.
"""

from __future__ import annotations

from typing import Any

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from crypto.encoding import b64url_encode
from vault.identity import practices
from vault.orders import status
from web.context import env_of, request_info, require_principal
from web.rendering import render
from web.responses import json_ok
from web.routing import route


def _who(who: status.Who | None) -> dict[str, str] | None:
    return None if who is None else {"id": who.id, "name": who.name}


def _at(value: Any) -> str | None:
    return None if value is None else str(value.isoformat())


def order_json(s: status.OrderState) -> dict[str, Any]:
    """An order's state as the browser and ``permanence fetch`` read it."""
    return {
        "item_id": s.item_id,
        "practice_id": s.practice_id,
        "status": s.status,
        "ordered_by": _who(s.ordered_by),
        "ordered_at": _at(s.ordered_at),
        "approved_by": _who(s.approved_by),
        "approved_at": _at(s.approved_at),
        "delivered_by": _who(s.delivered_by),
        "delivered_at": _at(s.delivered_at),
    }


async def order_state(request: Request) -> Response:
    """GET: the item's order state (``null`` when it is no order); POST: place it."""
    env, info, principal = env_of(request), request_info(request), require_principal(request)
    item_id = request.path_params["item_id"]
    if request.method == "POST":
        placed = await run_in_threadpool(status.place, env, info, principal, item_id)
        return json_ok({"order": order_json(placed)})
    state = await run_in_threadpool(status.one, env, info, principal, item_id)
    return json_ok({"order": None if state is None else order_json(state)})


async def order_approve(request: Request) -> Response:
    env, info, principal = env_of(request), request_info(request), require_principal(request)
    item_id = request.path_params["item_id"]
    approved = await run_in_threadpool(status.approve, env, info, principal, item_id)
    return json_ok({"order": order_json(approved)})


async def order_delivered(request: Request) -> Response:
    env, info, principal = env_of(request), request_info(request), require_principal(request)
    item_id = request.path_params["item_id"]
    done = await run_in_threadpool(status.mark_delivered, env, info, principal, item_id)
    return json_ok({"order": order_json(done)})


async def practice_orders(request: Request) -> Response:
    """The member's orders: JSON (the browser, ``permanence fetch``) or the page."""
    env, info, principal = env_of(request), request_info(request), require_principal(request)
    rows = await run_in_threadpool(status.of_practice, env, info, principal)
    if "application/json" in request.headers.get("accept", ""):
        return json_ok(
            {
                "practice_id": principal.practice_id,
                "timezone": env.settings.timezone,
                "orders": [order_json(r) for r in rows],
            }
        )
    return render(
        request,
        "orders.html",
        {"orders": rows, "practice_id": principal.practice_id, "timezone": env.settings.timezone},
    )


async def order_page(request: Request) -> Response:
    """One order, decrypted in the member's browser: view, approve, print (A4)."""
    env, info, principal = env_of(request), request_info(request), require_principal(request)
    item_id = request.path_params["item_id"]
    state = await run_in_threadpool(status.one, env, info, principal, item_id)
    name = await run_in_threadpool(practices.practice_name, env, str(principal.practice_id))
    return render(
        request,
        "order.html",
        {
            "item_id": item_id,
            "order": state,
            "practice_name": name,
            "practice_id": principal.practice_id,
            "timezone": env.settings.timezone,
        },
    )


async def new_order_page(request: Request) -> Response:
    """The secretary fills an order for one of her practices (the browser encrypts it)."""
    env, principal = env_of(request), require_principal(request)
    assigned = await run_in_threadpool(practices.assigned_practices, env, principal.account_id)
    return render(
        request,
        "order_new.html",
        {
            "practices": [
                {"id": pid, "name": name, "public_key": b64url_encode(key)}
                for pid, name, key in assigned
                if key
            ],
            "timezone": env.settings.timezone,
        },
    )


def routes() -> list[Route]:
    return [
        route("/desk/order", new_order_page, "order_new_page"),
        route("/practice/orders", practice_orders, "practice_orders"),
        route("/practice/orders/{item_id}", order_page, "order_page"),
        route("/items/{item_id}/order", order_state, "order_state", ["GET", "POST"]),
        route("/items/{item_id}/order/approve", order_approve, "order_approve", ["POST"]),
        route("/items/{item_id}/order/delivered", order_delivered, "order_delivered", ["POST"]),
    ]

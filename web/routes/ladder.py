"""The on-call ladder's JSON API (for the ladder editor) and the notification link.

``GET /practice/oncall`` gives the member's practice's ladder, the members it may name
and who is on call now; ``PUT /practice/oncall`` replaces it (vault/notify/ladder.py,
audited). ``GET /n/{token}`` is the link of a notification: whoever is not signed in is
sent to sign in first (by the route guard, whatever the token: the answer tells nothing);
when its recipient follows it, it records "opened" (vault/notify/delivery.py) and leads to
the item (a member) or to the deposits page (the secretary); anyone else goes home.
"""

from __future__ import annotations

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import Route

from vault.identity.roles import Role
from vault.notify import delivery, ladder
from web.context import env_of, json_body, request_info, require_principal
from web.responses import json_ok
from web.routing import route

MAX_TOKEN = 64


async def ladder_read(request: Request) -> Response:
    data = await run_in_threadpool(ladder.read, env_of(request), require_principal(request))
    return json_ok(data)


async def ladder_write(request: Request) -> Response:
    body = await json_body(request)
    data = await run_in_threadpool(
        ladder.replace, env_of(request), request_info(request), require_principal(request), body
    )
    return json_ok(data)


async def notification_open(request: Request) -> Response:
    token = str(request.path_params["token"])[:MAX_TOKEN]
    principal = require_principal(request)
    found = await run_in_threadpool(
        delivery.open_link, env_of(request), request_info(request), principal, token
    )
    target = "/"
    if found is not None:
        item_id, practice_id = found
        if principal.role == Role.MEMBER and principal.practice_id == practice_id:
            target = f"/items/{item_id}"
        elif principal.role == Role.SECRETARY:
            target = "/workspace/deposits"
    return RedirectResponse(target, status_code=303)


def routes() -> list[Route]:
    return [
        route("/practice/oncall", ladder_read, "ladder_read"),
        route("/practice/oncall", ladder_write, "ladder_write", ["PUT"]),
        route("/n/{token}", notification_open, "notification_open"),
    ]

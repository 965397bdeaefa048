"""The secretary's desk (instructions beside the call-note form, one practice at a time) and
the member's instructions editor. Both pages are shells: the instructions are read and
written in the browser under the team key, through the JSON routes of docs/format.md §10;
the call notes go to ``POST /items`` as on the deposit page."""

from __future__ import annotations

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from crypto.encoding import b64url_encode
from vault.identity import practices
from web.context import env_of, require_principal
from web.rendering import render
from web.routing import route


async def desk(request: Request) -> Response:
    """The desk: every assigned practice whose key exists; the browser picks one (switcher,
    ``#practice=…``, or the dialled line of ``#to=…``: the fragment never reaches here)."""
    env = env_of(request)
    principal = require_principal(request)
    assigned = await run_in_threadpool(practices.assigned_practices, env, principal.account_id)
    rows = [
        {"id": pid, "name": name, "public_key": b64url_encode(pk)}
        for pid, name, pk in assigned
        if pk is not None
    ]
    return render(
        request,
        "desk.html",
        {"practices": rows, "timezone": env.settings.timezone},
    )


async def instructions_editor(request: Request) -> Response:
    env = env_of(request)
    principal = require_principal(request)
    practice_id = str(principal.practice_id)
    name = await run_in_threadpool(practices.practice_name, env, practice_id)
    return render(
        request,
        "instructions.html",
        {
            "practice": {"id": practice_id, "name": name},
            "timezone": env.settings.timezone,
        },
    )


async def records_page(request: Request) -> Response:
    """A form template's records (docs/items.md "Forms"): a shell; the template is chosen,
    its forms fetched, decrypted, searched and exported as CSV in the browser."""
    env = env_of(request)
    principal = require_principal(request)
    practice_id = str(principal.practice_id)
    name = await run_in_threadpool(practices.practice_name, env, practice_id)
    return render(
        request,
        "records.html",
        {"practice": {"id": practice_id, "name": name}, "timezone": env.settings.timezone},
    )


def routes() -> list[Route]:
    return [
        route("/desk", desk, "desk"),
        route("/practice/instructions", instructions_editor, "instructions_editor"),
        route("/practice/records", records_page, "records_page"),
    ]

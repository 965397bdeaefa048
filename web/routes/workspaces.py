"""The landing pages of practice members (inbox) and secretaries (workspace)."""

from __future__ import annotations

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from crypto.fingerprint import practice_fingerprint
from vault import practices
from web.context import env_of, require_principal
from web.rendering import render
from web.routing import route


async def inbox(request: Request) -> Response:
    env = env_of(request)
    principal = require_principal(request)

    def read() -> dict[str, object]:
        row = env.db.read(
            lambda c: c.execute(
                "SELECT name, public_key FROM practice WHERE id = ?", (principal.practice_id,)
            ).fetchone()
        )
        return {
            "practice_name": row[0],
            "practice_fingerprint": practice_fingerprint(bytes(row[1])) if row[1] else None,
        }

    return render(request, "inbox.html", await run_in_threadpool(read))


async def workspace(request: Request) -> Response:
    env = env_of(request)
    principal = require_principal(request)
    assigned = await run_in_threadpool(practices.assigned_practices, env, principal.account_id)
    rows = [
        {"id": pid, "name": name, "fingerprint": practice_fingerprint(pk) if pk else None}
        for pid, name, pk in assigned
    ]
    return render(request, "workspace.html", {"practices": rows})


def routes() -> list[Route]:
    return [
        route("/inbox", inbox, "inbox"),
        route("/workspace", workspace, "workspace"),
    ]

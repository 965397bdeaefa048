"""The auditor's console."""

from __future__ import annotations

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from web.context import env_of
from web.rendering import render
from web.routing import route


async def audit_console(request: Request) -> Response:
    env = env_of(request)
    size = await run_in_threadpool(env.db.read, env.log.size)
    return render(request, "audit_console.html", {"log_size": size})


def routes() -> list[Route]:
    return [
        route("/audit", audit_console, "audit_console"),
    ]

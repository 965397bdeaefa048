"""Declaring routes: every endpoint is wrapped with its permission check."""

from __future__ import annotations

import functools
from collections.abc import Awaitable, Callable, Sequence
from urllib.parse import quote

from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import Route

from vault.errors import (
    AuthenticationRequired,
    AuthenticatorReenrolmentRequired,
    AwaitingPracticeKey,
    Forbidden,
    Refused,
)
from vault.identity import denials
from web import permissions
from web.context import env_of, principal_of, request_info, session_of
from web.responses import wants_json

Endpoint = Callable[[Request], Awaitable[Response]]


def route(path: str, endpoint: Endpoint, name: str, methods: Sequence[str] = ("GET",)) -> Route:
    """A Route whose endpoint first checks ``permissions.ALLOWED[name]``."""
    if name not in permissions.ALLOWED:
        raise KeyError(f"route {name!r} has no declared permissions in web/permissions.py")

    @functools.wraps(endpoint)
    async def guarded(request: Request) -> Response:
        principal = principal_of(request)
        role = str(principal.role) if principal else None
        if not permissions.allowed(name, role):
            if principal is None:
                if request.method == "GET" and request.headers.get("hx-request") != "true":
                    target = "/login?next=" + quote(request.url.path, safe="/")
                    return RedirectResponse(target, status_code=303)
                raise AuthenticationRequired()
            env = env_of(request)
            await env.db.write_async(
                lambda conn: denials.record(env, conn, request_info(request), principal, route=name)
            )
            raise Forbidden()
        restricted = _restriction(request, name)
        if restricted is not None:
            return restricted
        return await endpoint(request)

    return Route(path, guarded, name=name, methods=list(methods))


# Where a restricted session is sent instead, and what it is told when it cannot be sent.
REENROLMENT_PAGE = "/account/totp"
WAITING_PAGE = "/practice/waiting"


def _restriction(request: Request, name: str) -> Response | None:
    """A session limited to a few routes (see web/permissions.py) goes nowhere else.

    A page is redirected to the one place the session may go; anything else is
    refused with a sentence saying why.
    """
    session = session_of(request)
    if session is None:
        return None
    error: type[Refused]
    if session.must_reenroll_totp and name not in permissions.REENROLMENT:
        target, error = REENROLMENT_PAGE, AuthenticatorReenrolmentRequired
    elif session.awaiting_practice_key and name not in permissions.WAITING_FOR_KEY:
        target, error = WAITING_PAGE, AwaitingPracticeKey
    else:
        return None
    page = request.method == "GET" and request.headers.get("hx-request") != "true"
    if page and not wants_json(request):
        return RedirectResponse(target, status_code=303)
    raise error()

"""Sessions and CSRF on every request.

The session id lives in an HttpOnly, SameSite=Strict cookie (Secure behind
TLS). Every unsafe request must come from our own origin (``Origin`` /
``Sec-Fetch-Site``), and a signed-in one must also carry the session's CSRF
token in ``X-CSRF-Token`` — htmx sends it from ``hx-headers`` on ``<body>``,
the browser modules from the page's ``<meta name="csrf-token">``.
"""

from __future__ import annotations

import hmac
import secrets
from urllib.parse import urlsplit

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import Response
from starlette.types import ASGIApp, Receive, Scope, Send

from vault import sessions
from vault.env import Env
from web import errors
from web.rendering import render_refusal

COOKIE = "permanence_session"
SAFE_METHODS = {"GET", "HEAD", "OPTIONS"}


def set_session_cookie(response: Response, token: str, *, secure: bool) -> None:
    response.set_cookie(COOKIE, token, httponly=True, samesite="strict", secure=secure, path="/")


def clear_session_cookie(response: Response, *, secure: bool) -> None:
    response.delete_cookie(COOKIE, httponly=True, samesite="strict", secure=secure, path="/")


def _same_origin(request: Request) -> bool:
    """Browsers send Origin or Sec-Fetch-Site on every cross-site POST; refuse foreign ones."""
    site = request.headers.get("sec-fetch-site")
    if site is not None and site not in ("same-origin", "none"):
        return False
    origin = request.headers.get("origin")
    if origin is None:
        return True
    parts = urlsplit(origin)
    return parts.netloc == request.headers.get("host", "")


class SessionMiddleware:
    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        request = Request(scope, receive)
        request.state.request_id = secrets.token_hex(8)
        env: Env | None = getattr(scope["app"].state, "env", None)
        session = None
        token = request.cookies.get(COOKIE)
        if token and env is not None:
            session = await run_in_threadpool(sessions.lookup, env, token)
        request.state.session = session
        if request.method not in SAFE_METHODS:
            refused = not _same_origin(request)
            if session is not None:
                sent = request.headers.get("x-csrf-token", "")
                refused = refused or not hmac.compare_digest(sent, session.csrf_token)
            if refused:
                response = render_refusal(request, errors.CSRF)
                await response(scope, receive, send)
                return
        await self.app(scope, receive, send)

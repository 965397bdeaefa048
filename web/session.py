"""Sessions and CSRF on every request.

The session id lives in an HttpOnly, SameSite=Strict cookie; behind TLS it is
Secure and named with the ``__Host-`` prefix, so that no sibling domain and no
plain-HTTP page can set or shadow it. Every unsafe request must come from our
own origin (``Origin``: same scheme and host; ``Sec-Fetch-Site``), and a
signed-in one must also carry the session's CSRF token in ``X-CSRF-Token`` —
htmx sends it from ``hx-headers`` on ``<body>``, the browser modules from the
page's ``<meta name="csrf-token">``.
"""

from __future__ import annotations

import hmac
import itertools
import secrets
from urllib.parse import urlsplit

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import Response

from vault.env import Env
from vault.identity import sessions
from web import errors
from web.rendering import render_refusal

COOKIE = "permanence_session"
TLS_COOKIE = "__Host-" + COOKIE  # Secure, Path=/ and no Domain, as the prefix requires
SAFE_METHODS = {"GET", "HEAD", "OPTIONS"}


def cookie_name(*, secure: bool) -> str:
    return TLS_COOKIE if secure else COOKIE


def set_session_cookie(response: Response, token: str, *, secure: bool) -> None:
    response.set_cookie(
        cookie_name(secure=secure), token, httponly=True, samesite="strict", secure=secure, path="/"
    )


def clear_session_cookie(response: Response, *, secure: bool) -> None:
    response.delete_cookie(
        cookie_name(secure=secure), httponly=True, samesite="strict", secure=secure, path="/"
    )


def _same_origin(request: Request, scheme: str) -> bool:
    """Browsers send Origin or Sec-Fetch-Site on every cross-site POST; refuse foreign ones.

    The Origin must name this very host and the scheme the browser speaks to us
    (``https`` behind TLS): a page of ``http://vault.example`` is another origin.
    """
    site = request.headers.get("sec-fetch-site")
    if site is not None and site not in ("same-origin", "none"):
        return False
    origin = request.headers.get("origin")
    if origin is None:
        return True
    try:
        parts = urlsplit(origin)
    except ValueError:
        return False
    return parts.scheme == scheme and parts.netloc == request.headers.get("host", "")


def _token_matches(sent: str, expected: str) -> bool:
    """Constant-time; a header is Latin-1 text and may hold anything, the token is ASCII."""
    return hmac.compare_digest(sent.encode("latin-1", "replace"), expected.encode("ascii"))


# A request's id ties its log lines and audit entries together; it needs to be unique,
# not secret: a random prefix per process and a counter, without a system call per request.
_REQUEST_PREFIX = secrets.token_hex(4)
_request_numbers = itertools.count(1)


def new_request_id() -> str:
    return f"{_REQUEST_PREFIX}{next(_request_numbers):08x}"


async def attach_session(request: Request, env: Env) -> Response | None:
    """Give the request its id and its session (``request.state``); for an unsafe request
    from another origin, or signed in without the session's CSRF token, the refusal."""
    request.state.request_id = new_request_id()
    secure = env.settings.behind_tls
    session = None
    token = request.cookies.get(cookie_name(secure=secure))
    if token:
        # From the cache on this thread when it can answer alone (most requests of a
        # busy session), else a read (and a touch) in a worker thread.
        cached = sessions.peek(env, token)
        if cached is False:
            session = await run_in_threadpool(sessions.lookup, env, token)
        else:
            session = cached
    request.state.session = session
    if request.method not in SAFE_METHODS:
        refused = not _same_origin(request, "https" if secure else "http")
        if session is not None:
            sent = request.headers.get("x-csrf-token", "")
            refused = refused or not _token_matches(sent, session.csrf_token)
        if refused:
            return render_refusal(request, errors.CSRF)
    return None

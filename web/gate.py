"""Every request's first steps, in one ASGI middleware that wraps ``send`` once.

In this order, as five middlewares did before (issue 18: one wrapper instead of five,
one ``Request`` instead of three, for the same answers):

1. the security headers on every response (``web.security``), the pages below included;
2. the language, from the user's cookie, else ``Accept-Language`` (``web.i18n``);
3. the catch-all: an unexpected exception becomes the polite 500 page, inside the
   security headers (Starlette's own last-resort handler sits outside every
   middleware, so its pages would lack them);
4. the ``Host`` check (against DNS rebinding, ``web.security.unknown_host``);
5. the session and the CSRF check (``web.session.attach_session``).
"""

from __future__ import annotations

import logging

from starlette.requests import ClientDisconnect, Request
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from vault.env import Env
from web import errors, i18n
from web.rendering import render_refusal
from web.security import add_security_headers, host_name, unknown_host
from web.session import attach_session

log = logging.getLogger("permanence.web")

LANGUAGE_COOKIE = "lang"


class Gate:
    """Security headers, language, catch-all 500, host check, session: see the module."""

    def __init__(
        self, app: ASGIApp, *, behind_tls: bool, default_language: str, hosts: frozenset[str]
    ) -> None:
        self.app = app
        self.behind_tls = behind_tls
        self.default_language = default_language
        self.hosts = hosts

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        behind_tls = self.behind_tls
        started = False

        async def send_with_headers(message: Message) -> None:
            nonlocal started
            if message["type"] == "http.response.start":
                started = True
                add_security_headers(message, behind_tls=behind_tls)
            await send(message)

        request = Request(scope, receive)
        i18n.set_language(
            i18n.negotiate(
                request.headers.get("accept-language"),
                request.cookies.get(LANGUAGE_COOKIE),
                self.default_language,
            )
        )
        try:
            if host_name(request.headers.get("host")) not in self.hosts:
                await unknown_host(request)(scope, receive, send_with_headers)
                return
            env: Env = scope["app"].state.vault.env
            refusal = await attach_session(request, env)
            if refusal is not None:
                await refusal(scope, receive, send_with_headers)
                return
            await self.app(scope, receive, send_with_headers)
        except ClientDisconnect:
            return  # the client hung up mid-request: its doing, and nobody to answer
        except Exception as exc:
            # The type only: messages may carry user data; tracebacks stay out of pages.
            log.error("unhandled %s on %s", type(exc).__name__, scope.get("path", "?"))
            if started:
                raise
            response = render_refusal(Request(scope), errors.SERVER_ERROR)
            await response(scope, receive, send_with_headers)

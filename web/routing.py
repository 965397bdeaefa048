"""Declaring routes: every endpoint is wrapped with its permission check."""

from __future__ import annotations

import functools
from collections.abc import Awaitable, Callable, Sequence
from typing import Any
from urllib.parse import quote

from starlette._utils import get_route_path  # what Starlette's own routes match against
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import BaseRoute, Match, Route, Router
from starlette.types import Receive, Scope, Send

from vault.errors import (
    AuthenticationRequired,
    AuthenticatorReenrolmentRequired,
    AwaitingPracticeKey,
    Refused,
)
from vault.identity import denials
from web import permissions
from web.context import env_of, principal_of, request_info, session_of
from web.responses import is_page_load, wants_json

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
                if is_page_load(request):
                    target = "/login?next=" + quote(request.url.path, safe="/")
                    return RedirectResponse(target, status_code=303)
                raise AuthenticationRequired()
            await denials.refuse_route(env_of(request), request_info(request), principal, name)
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
    if session.must_reenrol_totp and name not in permissions.REENROLMENT:
        target, error = REENROLMENT_PAGE, AuthenticatorReenrolmentRequired
    elif session.awaiting_practice_key and name not in permissions.WAITING_FOR_KEY:
        target, error = WAITING_PAGE, AwaitingPracticeKey
    else:
        return None
    if is_page_load(request) and not wants_json(request):
        return RedirectResponse(target, status_code=303)
    raise error()


class IndexedRouter(Router):
    """Starlette's router, which tries every route in turn, with an index of the paths
    that have no parameters (``/items``, ``/inbox``): a request for one of them tries only
    the routes whose pattern matches that path, in their order — the very routes that
    could answer it, so the same route answers (or the same 405). Other paths, and a path
    none of its candidates takes, go through Starlette's whole loop (its slash redirects,
    its 404). The index follows routes added later (it is rebuilt when their number moves).
    """

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._index: dict[str, list[BaseRoute]] = {}
        self._indexed = -1

    def _candidates(self, path: str) -> list[BaseRoute] | None:
        if len(self.routes) != self._indexed:
            self._index = _index(self.routes)
            self._indexed = len(self.routes)
        return self._index.get(path)

    async def app(self, scope: Scope, receive: Receive, send: Send) -> None:
        candidates = self._candidates(get_route_path(scope)) if scope["type"] == "http" else None
        if candidates is not None:
            if "router" not in scope:
                scope["router"] = self
            partial: tuple[BaseRoute, Scope] | None = None
            for candidate in candidates:
                match, child_scope = candidate.matches(scope)
                if match is Match.FULL:
                    scope["route"] = candidate
                    scope.update(child_scope)
                    await candidate.handle(scope, receive, send)
                    return
                if match is Match.PARTIAL and partial is None:
                    partial = (candidate, child_scope)
            if partial is not None:  # "405 Method Not Allowed", as Starlette's loop answers
                scope["route"] = partial[0]
                scope.update(partial[1])
                await partial[0].handle(scope, receive, send)
                return
        await super().app(scope, receive, send)


def _index(routes: Sequence[BaseRoute]) -> dict[str, list[BaseRoute]]:
    """For each path of a route without parameters, every route that may match it, in order
    (a route of another kind than ``Route`` and ``Mount`` is kept everywhere)."""

    def may_match(other: BaseRoute, path: str) -> bool:
        pattern = getattr(other, "path_regex", None)
        return pattern is None or pattern.match(path) is not None

    static = [r.path for r in routes if isinstance(r, Route) and not r.param_convertors]
    return {path: [r for r in routes if may_match(r, path)] for path in static}

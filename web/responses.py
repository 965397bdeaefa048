"""Answers shared by routes: JSON for the browser modules, pages for people."""

from __future__ import annotations

from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse, RedirectResponse, Response

from web import i18n


def is_htmx(request: Request) -> bool:
    """An htmx request (``HX-Request: true``): it swaps a partial, not a whole page."""
    return request.headers.get("hx-request") == "true"


def is_page_load(request: Request) -> bool:
    """A GET the browser navigates to (not an htmx swap): it may be redirected."""
    return request.method == "GET" and not is_htmx(request)


def see_other(request: Request, url: str) -> Response:
    """Send the browser to ``url``: ``HX-Redirect`` for htmx (a 303 would be swapped
    into the page), a 303 otherwise."""
    if is_htmx(request):
        return Response(status_code=204, headers={"hx-redirect": url})
    return RedirectResponse(url, status_code=303)


def wants_json(request: Request) -> bool:
    return "application/json" in request.headers.get("accept", "")


def json_error(
    message: str,
    status: int,
    headers: dict[str, str] | None = None,
    field: str | None = None,
) -> JSONResponse:
    """``{"error": sentence}``, with ``"field"`` naming the form field it is about, if one."""
    body: dict[str, str] = {"error": i18n.gettext(message)}
    if field:
        body["field"] = field
    return JSONResponse(body, status_code=status, headers=headers)


def json_ok(data: dict[str, Any]) -> JSONResponse:
    return JSONResponse(data, headers={"cache-control": "no-store"})

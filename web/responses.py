"""Answers shared by routes: JSON for the browser modules, pages for people."""

from __future__ import annotations

from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse

from web import i18n


def wants_json(request: Request) -> bool:
    return "application/json" in request.headers.get("accept", "")


def json_error(message: str, status: int, headers: dict[str, str] | None = None) -> JSONResponse:
    return JSONResponse({"error": i18n.gettext(message)}, status_code=status, headers=headers)


def json_ok(data: dict[str, Any]) -> JSONResponse:
    return JSONResponse(data, headers={"cache-control": "no-store"})

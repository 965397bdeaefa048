"""What a route reads from the request: the vault environment, who is signed in, where from."""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from starlette.requests import Request

from vault.env import Env, Principal, RequestInfo
from vault.errors import InvalidInput
from vault.sessions import SessionInfo

MAX_JSON_BYTES = 64 * 1024


def env_of(request: Request) -> Env:
    env: Env = request.app.state.env
    return env


def session_of(request: Request) -> SessionInfo | None:
    session: SessionInfo | None = getattr(request.state, "session", None)
    return session


def principal_of(request: Request) -> Principal | None:
    session = session_of(request)
    return None if session is None else session.principal


def require_principal(request: Request) -> Principal:
    principal = principal_of(request)
    if principal is None:  # routes declared for signed-in roles only never get here
        raise InvalidInput()
    return principal


def request_info(request: Request) -> RequestInfo:
    return RequestInfo(
        request_id=getattr(request.state, "request_id", None),
        ip=request.client.host if request.client else None,
        user_agent=request.headers.get("user-agent"),
    )


async def read_body(request: Request, limit: int, too_large: str | None = None) -> bytes:
    """The request body, refused (400) as soon as it passes ``limit`` bytes, never read whole."""
    declared = request.headers.get("content-length")
    length = ascii_int(declared, 19)
    if declared is not None and (length is None or length > limit):
        raise InvalidInput(too_large)
    parts, size = [], 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > limit:
            raise InvalidInput(too_large)
        parts.append(chunk)
    return b"".join(parts)


async def json_body(request: Request) -> Mapping[str, Any]:
    """A JSON object of at most 64 KiB, or a clear 400."""
    body = await read_body(request, MAX_JSON_BYTES)
    try:
        data = json.loads(body)
    except (ValueError, UnicodeDecodeError):
        raise InvalidInput() from None
    if not isinstance(data, dict):
        raise InvalidInput()
    return data


def ascii_int(text: str | None, max_digits: int) -> int | None:
    """A non-negative integer written in ASCII digits (``str.isdigit`` accepts '²'), else None."""
    if text is None or not text or len(text) > max_digits:
        return None
    if not (text.isascii() and text.isdigit()):
        return None
    return int(text)


def text_field(data: Mapping[str, Any], name: str, max_length: int = 200) -> str:
    value = data.get(name)
    if not isinstance(value, str) or len(value) > max_length:
        raise InvalidInput()
    return value

"""What a route reads from the request: the vault environment, who is signed in, where from."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncGenerator, Mapping
from typing import Any

from python_multipart.multipart import parse_options_header
from starlette.datastructures import FormData
from starlette.formparsers import FormParser, MultiPartException, MultiPartParser
from starlette.requests import Request

from vault.env import Env, Principal, RequestInfo
from vault.errors import InvalidInput, TooLarge, TooSlow
from vault.identity.sessions import SessionInfo
from vault.lifecycle import Lifecycle
from vault.opening import Vault

# Every body a route reads goes through ``read_body``, bounded: by default 64 KiB,
# larger only where a route says so (deposits, upload parts). Routes never call
# ``request.body()``, ``.json()``, ``.form()`` or ``.stream()`` themselves.
MAX_JSON_BYTES = 64 * 1024
MAX_FORM_BYTES = 64 * 1024
MAX_FORM_FIELDS = 50
MAX_DEPTH = 32  # nesting of JSON arrays and objects; our bodies use 3 at most


def vault_of(request: Request) -> Vault:
    """The open vault the app serves (``create_app`` sets it once)."""
    vault: Vault = request.app.state.vault
    return vault


def lifecycle_of(request: Request) -> Lifecycle:
    """The app's background jobs and server-lifetime state (verifications, exports)."""
    lifecycle: Lifecycle = request.app.state.lifecycle
    return lifecycle


def env_of(request: Request) -> Env:
    return vault_of(request).env


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
    """The request body, refused (413) as soon as it passes ``limit`` bytes, never read whole,
    and (408) when it has not all arrived within ``body_timeout_seconds``."""
    declared = request.headers.get("content-length")
    length = ascii_int(declared, 19)
    if declared is not None and length is None:
        raise InvalidInput()
    if length is not None and length > limit:
        raise TooLarge(too_large)
    parts: list[bytes] = []
    try:
        async with asyncio.timeout(env_of(request).settings.body_timeout_seconds):
            size = 0
            async for chunk in request.stream():
                size += len(chunk)
                if size > limit:
                    raise TooLarge(too_large)
                parts.append(chunk)
    except TimeoutError:
        raise TooSlow() from None
    return b"".join(parts)


def _check_values(value: object) -> None:
    """Refuse nesting deeper than ``MAX_DEPTH`` and text that is not Unicode (lone surrogates).

    JSON's ``\\ud800`` escapes decode to a Python string no UTF-8 encoder accepts; refusing
    it here keeps every use case from meeting it (a username is hashed, stored, logged).
    """
    stack: list[tuple[object, int]] = [(value, 0)]
    while stack:
        item, depth = stack.pop()
        if depth > MAX_DEPTH:
            raise InvalidInput()
        if isinstance(item, str):
            if item.isascii():  # no surrogate, and no copy to find it out
                continue
            try:
                item.encode("utf-8")
            except UnicodeEncodeError:
                raise InvalidInput() from None
        elif isinstance(item, dict):
            stack.extend((k, depth) for k in item)
            stack.extend((v, depth + 1) for v in item.values())
        elif isinstance(item, list):
            stack.extend((v, depth + 1) for v in item)


async def json_body(request: Request, limit: int = MAX_JSON_BYTES) -> Mapping[str, Any]:
    """A JSON object of at most ``limit`` bytes (64 KiB), or a clear 400 or 413."""
    body = await read_body(request, limit)
    try:
        data = json.loads(body)
    except (ValueError, UnicodeDecodeError, RecursionError):
        raise InvalidInput() from None
    if not isinstance(data, dict):
        raise InvalidInput()
    _check_values(data)
    return data


async def form_body(request: Request, limit: int = MAX_FORM_BYTES) -> FormData:
    """A form (URL-encoded or multipart, no files) of at most ``limit`` bytes, or a 400 or 413.

    Any other content type is an empty form, as Starlette's own ``request.form()`` has it.
    """
    body = await read_body(request, limit)
    content_type, _ = parse_options_header(request.headers.get("content-type"))

    async def stream() -> AsyncGenerator[bytes, None]:
        yield body

    try:
        if content_type == b"application/x-www-form-urlencoded":
            form = await FormParser(request.headers, stream(), max_fields=MAX_FORM_FIELDS).parse()
        elif content_type == b"multipart/form-data":
            parser = MultiPartParser(
                request.headers, stream(), max_files=0, max_fields=MAX_FORM_FIELDS
            )
            form = await parser.parse()
        else:
            return FormData()
    except MultiPartException:
        raise InvalidInput() from None
    _check_values([text for pair in form.multi_items() for text in pair])
    return form


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

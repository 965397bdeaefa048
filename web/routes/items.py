"""Items over HTTP: uploads, deposits, item pages, envelopes, files, statuses, access log.

JSON for the browser modules and the command line; pages for people. Every
blocking vault call runs in the thread pool; ids that the account may not
reach are 404 (vault/ audits them).
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping
from datetime import UTC, datetime
from typing import Any

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import Response, StreamingResponse
from starlette.routing import Route
from starlette.types import Receive, Scope, Send

from crypto.encoding import b64url_decode, b64url_encode
from crypto.errors import CryptoError
from vault.business_hours import BusinessHours
from vault.errors import InvalidInput, TooLarge
from vault.items import access_log, calltime, deposits, inbox, uploads
from vault.notify.trail import trail_for_env as trails_of_deliveries
from web import i18n
from web.context import (
    ascii_int,
    env_of,
    form_body,
    json_body,
    read_body,
    request_info,
    require_principal,
)
from web.local_dates import long_local
from web.rendering import render
from web.responses import json_ok
from web.routing import route

MAX_DEPOSIT_BODY = 2 * deposits.MAX_ENVELOPE_BYTES  # base64url of the envelope, plus ids
_RFC3339 = re.compile(
    r"\d{4}-\d\d-\d\d[Tt]\d\d:\d\d:\d\d(\.\d{1,9})?([Zz]|[+-]\d\d:\d\d)", re.ASCII
)


def _text(data: Mapping[str, Any], name: str, optional: bool = False) -> str | None:
    value = data.get(name)
    if value is None and optional:
        return None
    if not isinstance(value, str) or len(value) > 64:
        raise InvalidInput()
    return value


def _deposit_of(data: Mapping[str, Any]) -> deposits.Deposit:
    envelope_text = data.get("envelope")
    if not isinstance(envelope_text, str):
        raise InvalidInput()
    try:
        envelope = b64url_decode(envelope_text)
    except CryptoError:
        raise InvalidInput(deposits.BAD_ENVELOPE) from None
    seconds = data.get("call_seconds")
    if seconds is not None and type(seconds) is not int:
        raise InvalidInput(calltime.BAD_CALL_TIME)
    return deposits.Deposit(
        item_id=str(_text(data, "item_id")),
        practice_id=str(_text(data, "practice_id")),
        envelope=envelope,
        upload_id=_text(data, "upload_id", optional=True),
        call_started_at=_call_started_at(data.get("call_started_at")),
        call_seconds=seconds,
        form_template=_text(data, "form_template", optional=True),
    )


def _call_started_at(value: object) -> datetime | None:
    """An RFC 3339 date-time with ``Z`` or an offset (docs/format.md §9), as UTC."""
    if value is None:
        return None
    if not isinstance(value, str) or not _RFC3339.fullmatch(value):
        raise InvalidInput(calltime.BAD_CALL_TIME)
    try:
        return datetime.fromisoformat(value.upper().replace("Z", "+00:00")).astimezone(UTC)
    except (ValueError, OverflowError):  # 0001-01-01T00:00:00+05:00 is before year 1 in UTC
        raise InvalidInput(calltime.BAD_CALL_TIME) from None


async def item_deposit(request: Request) -> Response:
    deposit = _deposit_of(await json_body(request, MAX_DEPOSIT_BODY))
    env, info, principal = env_of(request), request_info(request), require_principal(request)
    receipt = await deposits.deposit_async(env, info, principal, deposit)
    response = json_ok({"item_id": receipt.item_id, "created": receipt.created})
    response.status_code = 201 if receipt.created else 200
    return response


async def upload_start(request: Request) -> Response:
    data = await json_body(request, 4096)
    size = data.get("size")
    if type(size) is not int or size < 0:
        raise InvalidInput()
    upload = await run_in_threadpool(
        uploads.start_upload,
        env_of(request),
        request_info(request),
        require_principal(request),
        str(_text(data, "practice_id")),
        str(_text(data, "item_id")),
        size,
    )
    return json_ok({"upload_id": upload.id, "received": upload.received, "size": upload.total})


async def upload_status(request: Request) -> Response:
    upload = await run_in_threadpool(
        uploads.upload_status,
        env_of(request),
        request_info(request),
        require_principal(request),
        request.path_params["upload_id"],
    )
    return json_ok({"upload_id": upload.id, "received": upload.received, "size": upload.total})


async def upload_part(request: Request) -> Response:
    offset_text = request.path_params["offset"]
    if not (offset_text.isascii() and offset_text.isdigit()) or len(offset_text) > 15:
        raise InvalidInput()
    env, info, principal = env_of(request), request_info(request), require_principal(request)
    upload_id, offset = request.path_params["upload_id"], int(offset_text)
    # Its turn first (ownership, bounds, the wait of a part that came early), then its body:
    # a waiting part keeps its bytes in the network's buffers, not in memory.
    declared = ascii_int(request.headers.get("content-length"), 19)
    if declared is not None and declared > uploads.MAX_PART_BYTES:
        raise TooLarge(uploads.TOO_LARGE)  # as read_body would, without waiting first
    await run_in_threadpool(uploads.admit, env, info, principal, upload_id, offset, declared)
    data = await read_body(request, uploads.MAX_PART_BYTES, uploads.TOO_LARGE)
    upload = await run_in_threadpool(
        uploads.append, env, info, principal, upload_id, offset, [data], len(data)
    )
    return json_ok({"upload_id": upload.id, "received": upload.received, "size": upload.total})


async def item_page(request: Request) -> Response:
    detail = await run_in_threadpool(
        inbox.detail,
        env_of(request),
        request_info(request),
        require_principal(request),
        request.path_params["item_id"],
    )
    started = detail.item.call_started_at
    # The delivery trail (metadata), once inbox.detail has checked the member may see the item.
    trail = await run_in_threadpool(trails_of_deliveries, env_of(request), detail.item.id)
    return render(
        request,
        "item.html",
        {
            "detail": detail,
            "trail": trail,
            # The server's record of the call time, for item.js to compare with the signed one.
            "call_started": "" if started is None else str(int(started.timestamp())),
            "timezone": env_of(request).settings.timezone,
            # In the practice's zone, written like the call time beside it (web/local_dates.py).
            "deposited": long_local(
                detail.item.deposited_at, env_of(request).settings.hours, i18n.current_language()
            ),
        },
    )


async def item_envelope(request: Request) -> Response:
    search = request.query_params.get("purpose") == "search"
    env, principal = env_of(request), require_principal(request)
    item_id = request.path_params["item_id"]
    envelope = await run_in_threadpool(
        lambda: inbox.read_envelope(env, request_info(request), principal, item_id, search=search)
    )
    detail = await run_in_threadpool(inbox.detail, env, request_info(request), principal, item_id)
    return json_ok(
        {
            "item_id": item_id,
            "practice_id": detail.practice_id,
            "envelope": b64url_encode(envelope),
            "status": detail.item.status,
            # The server's metadata, which `permanence fetch` compares with the signed header.
            "kind": detail.item.kind,
            "urgency": detail.item.urgency,
            "call_started_at": (
                None
                if detail.item.call_started_at is None
                else detail.item.call_started_at.isoformat()
            ),
            "call_seconds": detail.item.call_seconds,
            "author": {
                "id": detail.author.id,
                "name": detail.author.name,
                "username": detail.author.username,
                "x25519_pk": b64url_encode(detail.author.x25519_pk),
                "ed25519_pk": b64url_encode(detail.author.ed25519_pk),
            },
        }
    )


async def item_file(request: Request) -> Response:
    download = await run_in_threadpool(
        inbox.open_download,
        env_of(request),
        request_info(request),
        require_principal(request),
        request.path_params["item_id"],
    )
    # The download's audit entry has committed; only now does the first byte leave.
    headers = {"content-length": str(download.size), "accept-ranges": "none"}
    if request.method == "HEAD":
        _close(download.chunks)
        return Response(media_type="application/octet-stream", headers=headers)
    # The whole file whatever ``Range`` says: the audit entry already says the whole of it.
    return _Streamed(download.chunks, media_type="application/octet-stream", headers=headers)


class _Streamed(StreamingResponse):
    """A blob streamed from the thread pool, its source closed however the answer ends
    (sent whole, or the client gone mid-way)."""

    def __init__(self, chunks: Iterator[bytes], **kw: Any) -> None:
        super().__init__(chunks, **kw)
        self._chunks = chunks

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        try:
            await super().__call__(scope, receive, send)
        finally:
            _close(self._chunks)


def _close(chunks: Iterator[bytes]) -> None:
    close = getattr(chunks, "close", None)
    if close is not None:
        close()


async def item_status(request: Request) -> Response:
    if "application/json" in request.headers.get("content-type", ""):
        status = (await json_body(request, 1024)).get("status")
    else:
        status = (await form_body(request)).get("status")
    env, principal = env_of(request), require_principal(request)
    item_id = request.path_params["item_id"]
    await run_in_threadpool(
        inbox.set_status, env, request_info(request), principal, item_id, str(status)
    )
    return await _status_answer(request, item_id)


async def item_status_undo(request: Request) -> Response:
    """Undo the reader's own latest acknowledgement or "handled" (vault/items/history.py)."""
    env, principal = env_of(request), require_principal(request)
    item_id = request.path_params["item_id"]
    await run_in_threadpool(inbox.undo_status, env, request_info(request), principal, item_id)
    return await _status_answer(request, item_id)


async def _status_answer(request: Request, item_id: str) -> Response:
    """The item's status as JSON, as the inbox row's cell (a request aimed at it), or as
    the item page's status block."""
    env, principal = env_of(request), require_principal(request)
    detail = await run_in_threadpool(inbox.detail, env, request_info(request), principal, item_id)
    if "application/json" in request.headers.get("accept", ""):
        item = detail.item
        return json_ok(
            {
                "item_id": item_id,
                "status": item.status,
                "changed_by": item.changed_by,
                "changed_at": None if item.changed_at is None else item.changed_at.isoformat(),
                "undo_until": None if item.undo_until is None else item.undo_until.isoformat(),
            }
        )
    if request.headers.get("hx-target", "").startswith("status-cell-"):
        return render(request, "_partials/item_status_cell.html", {"i": detail.item})
    # The delivery trail beside it: an acknowledgement shows there at once.
    trail = await run_in_threadpool(trails_of_deliveries, env, item_id)
    return render(request, "_partials/item_status.html", {"detail": detail, "trail": trail})


async def practice_access(request: Request) -> Response:
    before_text = request.query_params.get("before", "")
    before = ascii_int(before_text, 14)
    kind = request.query_params.get("what") or None
    rows, more = await run_in_threadpool(
        access_log.accesses, env_of(request), require_principal(request), before, kind
    )
    zone = BusinessHours.of(env_of(request).settings)
    return render(
        request,
        "access.html",
        {
            "rows": rows,
            "more": more,
            "what": kind or "",
            "local": zone.local,
            "zone": str(zone.zone),
            "retention_months": env_of(request).settings.audit_retention_months,
        },
    )


def routes() -> list[Route]:
    return [
        route("/items", item_deposit, "item_deposit", ["POST"]),
        route("/uploads", upload_start, "upload_start", ["POST"]),
        route("/uploads/{upload_id}", upload_status, "upload_status"),
        route("/uploads/{upload_id}/{offset}", upload_part, "upload_part", ["PUT"]),
        route("/items/{item_id}", item_page, "item_page"),
        route("/items/{item_id}/envelope", item_envelope, "item_envelope"),
        route("/items/{item_id}/file", item_file, "item_file"),
        route("/items/{item_id}/status", item_status, "item_status", ["POST"]),
        route("/items/{item_id}/status/undo", item_status_undo, "item_status_undo", ["POST"]),
        route("/practice/access", practice_access, "practice_access"),
    ]

"""The log as C2SP ``tlog-tiles`` under ``/audit/tlog``: static, cacheable files.

    /audit/tlog/checkpoint                  the latest checkpoint and its cosignatures (public)
    /audit/tlog/tile/<L>/<N>[.p/<W>]        hash tiles (public: hashes only)
    /audit/tlog/tile/entries/<N>[.p/<W>]    entry bundles (signed-in auditors only)

Full hash tiles never change (``Cache-Control: immutable``); partial ones are cached
an hour, the checkpoint five seconds. Entry bundles are never stored by the browser
(``private, no-store``): retention prunes their entries on the server, each read is
audited, and a cached copy would outlive both (docs/decisions.md, fix-forms-text).
"""

from __future__ import annotations

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import PlainTextResponse, Response
from starlette.routing import Route

from vault.auditing import tiles
from web.context import env_of, request_info, require_principal
from web.routes.auditing import verifier_of
from web.routing import route

IMMUTABLE = "max-age=31536000, immutable"
PARTIAL = "max-age=3600"
ENTRIES = "private, no-store"
OCTETS = "application/octet-stream"


async def tlog_checkpoint(request: Request) -> Response:
    note = await run_in_threadpool(tiles.checkpoint_note, env_of(request), verifier_of(request))
    return PlainTextResponse(
        note,
        media_type="text/plain; charset=utf-8",
        headers={"cache-control": "public, max-age=5"},
    )


async def tlog_tile(request: Request) -> Response:
    data, full = await run_in_threadpool(
        tiles.hashes, env_of(request), verifier_of(request), request.path_params["path"]
    )
    cache = "public, " + (IMMUTABLE if full else PARTIAL)
    return Response(data, media_type=OCTETS, headers={"cache-control": cache})


def _entries(request: Request) -> tuple[bytes, bool]:
    return tiles.entries(
        env_of(request),
        request_info(request),
        require_principal(request),
        verifier_of(request),
        request.path_params["path"],
    )


async def tlog_entries(request: Request) -> Response:
    data, _full = await run_in_threadpool(_entries, request)
    return Response(data, media_type=OCTETS, headers={"cache-control": ENTRIES})


def routes() -> list[Route]:
    return [
        route("/audit/tlog/checkpoint", tlog_checkpoint, "audit_tlog_checkpoint"),
        route("/audit/tlog/tile/entries/{path:path}", tlog_entries, "audit_tlog_entries"),
        route("/audit/tlog/tile/{path:path}", tlog_tile, "audit_tlog_tile"),
    ]

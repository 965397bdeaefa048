"""What an auditor does from the console: verify now, export a bundle, cosign a checkpoint."""

from __future__ import annotations

import tempfile
from collections.abc import Iterator
from typing import IO, Any

from starlette.concurrency import iterate_in_threadpool, run_in_threadpool
from starlette.requests import Request
from starlette.responses import Response, StreamingResponse
from starlette.routing import Route

from vault.auditing import cosigning, export
from vault.auditing.export import PendingExport
from web.context import env_of, form_body, lifecycle_of, request_info, require_principal
from web.rendering import render
from web.routes.auditing import checkpointing_of, verifier_of
from web.routing import route

MAX_NOTE = 16 * 1024
CHUNK = 64 * 1024


async def audit_verify(request: Request) -> Response:
    env = env_of(request)
    checkpointing = checkpointing_of(request)
    run = await run_in_threadpool(
        lifecycle_of(request).verifications.start,
        env,
        request_info(request),
        require_principal(request),
        checkpointing.issuer.signer.verifier,
        checkpointing.issuer.origin,
    )
    return render(request, "_partials/audit_verify.html", {"run": run})


async def audit_verify_status(request: Request) -> Response:
    run = await run_in_threadpool(
        lifecycle_of(request).verifications.get,
        env_of(request),
        request.path_params["handle"],
        require_principal(request),
    )
    return render(request, "_partials/audit_verify.html", {"run": run})


async def audit_export(request: Request) -> Response:
    form = await form_body(request)
    code = str(form.get("code", "")).strip()[:20]
    pending = await run_in_threadpool(
        lifecycle_of(request).exports.prepare,
        env_of(request),
        request_info(request),
        require_principal(request),
        code,
        checkpointing_of(request).issuer,
    )
    return render(request, "_partials/audit_export_ready.html", {"pending": pending})


def _write_bundle(request: Request, pending: PendingExport) -> tuple[IO[Any], int]:
    out = tempfile.TemporaryFile(mode="w+", encoding="utf-8")  # noqa: SIM115 - closed by the stream
    try:
        size = export.write(env_of(request), out, checkpointing_of(request).issuer, pending)
        out.seek(0)
    except BaseException:
        out.close()
        raise
    return out, size


def _chunks(out: IO[Any]) -> Iterator[bytes]:
    try:
        while chunk := out.read(CHUNK):
            yield chunk.encode("utf-8")
    finally:
        out.close()


async def audit_export_download(request: Request) -> Response:
    env = env_of(request)
    pending = await run_in_threadpool(
        lifecycle_of(request).exports.take,
        env,
        request.path_params["handle"],
        require_principal(request),
    )
    out, size = await run_in_threadpool(_write_bundle, request, pending)
    name = f"permanence-audit-{pending.created_at:%Y%m%d-%H%M%S}-{size}.json"
    return StreamingResponse(
        iterate_in_threadpool(_chunks(out)),
        media_type="application/json",
        headers={"content-disposition": f'attachment; filename="{name}"'},
    )


def _cosign(request: Request, key_text: str, note: str) -> dict[str, object]:
    status = cosigning.cosign_latest(
        env_of(request),
        request_info(request),
        require_principal(request),
        key_text,
        note,
        verifier_of(request),
        checkpointing_of(request).witnesses,
    )
    return {"checkpoint": status}


async def audit_cosign(request: Request) -> Response:
    form = await form_body(request)
    key_text = str(form.get("verifier_key", ""))[:1024]
    note = str(form.get("note", "")).replace("\r\n", "\n")[:MAX_NOTE]
    if note and not note.endswith("\n"):
        note += "\n"
    context = await run_in_threadpool(_cosign, request, key_text, note)
    return render(request, "_partials/audit_checkpoint.html", context)


def routes() -> list[Route]:
    return [
        route("/audit/verify", audit_verify, "audit_verify", ["POST"]),
        route("/audit/verify/{handle}", audit_verify_status, "audit_verify_status"),
        route("/audit/export", audit_export, "audit_export", ["POST"]),
        route("/audit/export/{handle}", audit_export_download, "audit_export_download"),
        route("/audit/cosign", audit_cosign, "audit_cosign", ["POST"]),
    ]

"""What an auditor does from the console: verify now, export a bundle, cosign a checkpoint."""

from __future__ import annotations

import tempfile
from collections.abc import Iterator
from typing import IO, Any, TypeVar

from starlette.concurrency import iterate_in_threadpool, run_in_threadpool
from starlette.requests import Request
from starlette.responses import Response, StreamingResponse
from starlette.routing import Route

from audit.entry import Action
from audit.errors import AuditError
from audit.issuer import add_cosignature
from audit.keys import parse_verifier
from vault.auditing import console, export
from vault.auditing.export import Exports, PendingExport
from vault.auditing.verification import Verifications
from vault.errors import InvalidInput
from vault.storage.store import Connection
from web.context import env_of, form_body, request_info, require_principal
from web.rendering import render
from web.routes.auditing import checkpointing_of, verifier_of
from web.routing import route

T = TypeVar("T")
MAX_NOTE = 16 * 1024
CHUNK = 64 * 1024


def _state(request: Request, name: str, factory: type[T]) -> T:
    """One instance per app, made on first use (the event loop is single-threaded)."""
    obj: T | None = getattr(request.app.state, name, None)
    if obj is None:
        obj = factory()
        setattr(request.app.state, name, obj)
    return obj


async def audit_verify(request: Request) -> Response:
    env = env_of(request)
    checkpointing = checkpointing_of(request)
    run = _state(request, "verifications", Verifications).start(
        env,
        request_info(request),
        require_principal(request),
        checkpointing.issuer.signer.verifier,
        checkpointing.issuer.origin,
    )
    return render(request, "_partials/audit_verify.html", {"run": run})


async def audit_verify_status(request: Request) -> Response:
    run = _state(request, "verifications", Verifications).get(
        request.path_params["handle"], require_principal(request)
    )
    return render(request, "_partials/audit_verify.html", {"run": run})


async def audit_export(request: Request) -> Response:
    form = await form_body(request)
    code = str(form.get("code", "")).strip()[:20]
    pending = await run_in_threadpool(
        _state(request, "exports", Exports).prepare,
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
    pending = _state(request, "exports", Exports).take(
        env, request.path_params["handle"], require_principal(request)
    )
    out, size = await run_in_threadpool(_write_bundle, request, pending)
    name = f"permanence-audit-{pending.created_at:%Y%m%d-%H%M%S}-{size}.json"
    return StreamingResponse(
        iterate_in_threadpool(_chunks(out)),
        media_type="application/json",
        headers={"content-disposition": f'attachment; filename="{name}"'},
    )


def _cosign(request: Request, key_text: str, note: str) -> dict[str, object]:
    env = env_of(request)
    principal = require_principal(request)
    server = verifier_of(request)
    try:
        cosigner = parse_verifier(key_text.strip())
    except AuditError:
        raise InvalidInput(
            "This cosignature does not verify against the latest checkpoint."
        ) from None

    def tx(conn: Connection) -> None:
        status = console.checkpoint_status(conn, server)
        if status is None:
            raise InvalidInput("This cosignature does not verify against the latest checkpoint.")
        try:
            add_cosignature(conn, status.seq, note, cosigner, server, now=env.now())
        except AuditError:
            raise InvalidInput(
                "This cosignature does not verify against the latest checkpoint."
            ) from None
        env.record(
            conn,
            Action.AUDIT_COSIGNED,
            request_info(request),
            actor=principal.actor,
            targets={"checkpoint": str(status.seq)},
            detail={"cosigner": cosigner.name},
        )

    env.db.write(tx)
    return {"checkpoint": env.db.read(lambda conn: console.checkpoint_status(conn, server))}


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

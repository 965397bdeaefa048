"""The auditor's console: entries with filters, one entry with its proof, the latest checkpoint.

The console never shows content: audit entries hold ids and metadata only.
A full page load of the console or of an entry is itself recorded
(``audit.viewed``); the htmx refreshes of the list (filters, older entries) are not.
"""

from __future__ import annotations

from urllib.parse import urlencode

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import PlainTextResponse, Response
from starlette.routing import Route

from audit.entry import Action
from audit.issuer import checkpoint_at
from audit.keys import NoteVerifier
from audit.log import AuditLog
from audit.proof import ProofFile
from vault.auditing import console
from vault.auditing.checkpoints import Checkpointing
from vault.business_hours import BusinessHours
from vault.errors import NotFound
from vault.identity import practices
from vault.storage.store import Connection
from web.context import env_of, request_info, require_principal
from web.rendering import render
from web.responses import is_htmx
from web.routes.auditformat import OUTCOMES, ROLES, parse_before, parse_filter, row_view
from web.routing import route


def checkpointing_of(request: Request) -> Checkpointing:
    checkpointing: Checkpointing = request.app.state.checkpointing
    return checkpointing


def verifier_of(request: Request) -> NoteVerifier:
    return checkpointing_of(request).issuer.signer.verifier


def hours_of(request: Request) -> BusinessHours:
    return BusinessHours.of(env_of(request).settings)


def _record_view(request: Request, **targets: str) -> None:
    env = env_of(request)
    principal = require_principal(request)
    env.db.write(
        lambda conn: env.record(
            conn, Action.AUDIT_VIEWED, request_info(request), actor=principal.actor, targets=targets
        )
    )


def _console_context(request: Request, full_page: bool) -> dict[str, object]:
    env = env_of(request)
    hours = hours_of(request)
    entry_filter, values = parse_filter(request.query_params, hours)
    before = parse_before(request.query_params)
    if full_page:
        _record_view(request)

    def read(conn: Connection) -> dict[str, object]:
        page = console.entry_page(conn, entry_filter, before=before)
        context: dict[str, object] = {
            "rows": [row_view(r, hours) for r in page.rows],
            "next_before": page.next_before,
            "query": urlencode({k: v for k, v in values.items() if v}),
            "values": values,
        }
        if full_page:
            context["actions"] = console.known_actions(conn)
            context["checkpoint"] = console.checkpoint_status(conn, verifier_of(request))
            context["log_size"] = AuditLog().size(conn)
        return context

    context = env.db.read(read)
    if full_page:
        context["practices"] = practices.list_practices(env)
        context["roles"] = ROLES
        context["outcomes"] = OUTCOMES
    return context


async def audit_console(request: Request) -> Response:
    full_page = not is_htmx(request)
    context = await run_in_threadpool(_console_context, request, full_page)
    return render(request, "audit_console.html", context, partial="_partials/audit_entries.html")


def _entry_context(request: Request) -> dict[str, object]:
    env = env_of(request)
    text = request.path_params["index"]
    if not (text.isascii() and text.isdigit()) or len(text) > 18:
        raise NotFound()
    index = int(text)
    proof = env.db.read(lambda conn: console.entry_with_proof(conn, index, verifier_of(request)))
    if proof is None:
        raise NotFound()
    _record_view(request, entry=str(index))
    return {
        "proof": proof,
        "row": row_view(proof.row, hours_of(request)),
        "leaf_text": proof.leaf.decode("utf-8", errors="replace"),
    }


async def audit_entry(request: Request) -> Response:
    context = await run_in_threadpool(_entry_context, request)
    return render(request, "audit_entry.html", context)


def _proof_file(request: Request) -> tuple[int, str]:
    env = env_of(request)
    text = request.path_params["index"]
    if not (text.isascii() and text.isdigit()) or len(text) > 18:
        raise NotFound()
    index = int(text)
    checkpointing = checkpointing_of(request)
    verifier = checkpointing.issuer.signer.verifier
    size = env.db.read(AuditLog().size)
    if index >= size:
        raise NotFound()
    latest = checkpointing.issue_now(env)  # the current checkpoint, signed if need be

    def read(conn: Connection) -> str:
        log = AuditLog()
        proof = log.inclusion_proof(conn, index, latest.checkpoint.size)
        leaf = log.leaf(conn, index)
        cosigned = checkpoint_at(conn, latest.seq, verifier).cosigned_note
        return ProofFile(index, proof.hashes, cosigned, leaf).text()

    _record_view(request, entry=str(index))
    return index, env.db.read(read)


async def audit_entry_proof(request: Request) -> Response:
    index, text = await run_in_threadpool(_proof_file, request)
    return PlainTextResponse(
        text,
        headers={"content-disposition": f'attachment; filename="entry-{index}.tlog-proof"'},
    )


async def audit_checkpoint_note(request: Request) -> Response:
    """The latest checkpoint's signed note, as text: what an auditor cosigns offline."""
    status = await run_in_threadpool(
        env_of(request).db.read,
        lambda conn: console.checkpoint_status(conn, verifier_of(request)),
    )
    if status is None:
        raise NotFound()
    return PlainTextResponse(
        status.note,
        headers={"content-disposition": f'attachment; filename="checkpoint-{status.seq}.txt"'},
    )


def routes() -> list[Route]:
    return [
        route("/audit", audit_console, "audit_console"),
        route("/audit/entries/{index}", audit_entry, "audit_entry"),
        route("/audit/entries/{index}/proof", audit_entry_proof, "audit_entry_proof"),
        route("/audit/checkpoint", audit_checkpoint_note, "audit_checkpoint_note"),
    ]

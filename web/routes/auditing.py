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

from audit.keys import NoteVerifier
from vault.auditing import console
from vault.auditing.checkpoints import Checkpointing
from vault.business_hours import BusinessHours
from vault.errors import NotFound
from vault.identity import practices
from web.context import env_of, request_info, require_principal, vault_of
from web.rendering import render
from web.responses import is_htmx
from web.routes.auditformat import OUTCOMES, ROLES, parse_before, parse_filter, row_view
from web.routing import route


def checkpointing_of(request: Request) -> Checkpointing:
    return vault_of(request).checkpointing


def verifier_of(request: Request) -> NoteVerifier:
    return checkpointing_of(request).issuer.signer.verifier


def hours_of(request: Request) -> BusinessHours:
    return BusinessHours.of(env_of(request).settings)


def _console_context(request: Request, full_page: bool) -> dict[str, object]:
    env = env_of(request)
    hours = hours_of(request)
    entry_filter, values = parse_filter(request.query_params, hours)
    shown = console.console_page(
        env,
        request_info(request),
        require_principal(request),
        entry_filter,
        before=parse_before(request.query_params),
        verifier=verifier_of(request),
        full_page=full_page,
        policy=checkpointing_of(request).witnesses,
    )
    context: dict[str, object] = {
        "rows": [row_view(r, hours) for r in shown.page.rows],
        "next_before": shown.page.next_before,
        "query": urlencode({k: v for k, v in values.items() if v}),
        "values": values,
    }
    if full_page:
        context["actions"] = shown.actions
        context["checkpoint"] = shown.checkpoint
        context["witnessing"] = shown.witnessing
        context["log_size"] = shown.log_size
        context["retention"] = shown.kept
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
    proof = console.entry(
        env, request_info(request), require_principal(request), index, verifier_of(request)
    )
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
    return index, console.proof_file(
        env, request_info(request), require_principal(request), index, checkpointing_of(request)
    )


async def audit_entry_proof(request: Request) -> Response:
    index, text = await run_in_threadpool(_proof_file, request)
    return PlainTextResponse(
        text,
        headers={"content-disposition": f'attachment; filename="entry-{index}.tlog-proof"'},
    )


async def audit_checkpoint_note(request: Request) -> Response:
    """The latest checkpoint's signed note, as text: what an auditor cosigns offline."""
    status = await run_in_threadpool(
        console.latest_checkpoint, env_of(request), verifier_of(request)
    )
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

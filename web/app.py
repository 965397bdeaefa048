"""The Starlette application factory."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from starlette.applications import Starlette
from starlette.concurrency import run_in_threadpool
from starlette.exceptions import HTTPException
from starlette.middleware import Middleware
from starlette.requests import Request
from starlette.responses import JSONResponse, RedirectResponse, Response
from starlette.routing import Mount

from vault.errors import Throttled, TooSlow, VaultError
from vault.lifecycle import Lifecycle
from vault.opening import Vault
from web import errors, i18n
from web.gate import LANGUAGE_COOKIE, Gate
from web.local_path import local_path
from web.rendering import STATIC_DIR, render_refusal
from web.responses import json_error, wants_json
from web.routing import IndexedRouter, route
from web.static_files import IMMUTABLE, REVALIDATE, CachedStatic, tree_fingerprint, url_prefix

log = logging.getLogger("permanence.web")


def _safe_next(target: str | None) -> str:
    """Only local paths: a language switch must not become an open redirect."""
    return local_path(target) or "/"


def create_app(
    vault: Vault, lifecycle: Lifecycle | None = None, *, fingerprinted_static: bool = True
) -> Starlette:
    """Build the app over an open vault (``vault.opening.open_vault``; its opener closes it).

    Pages name static files under a fingerprint of their content, cached as immutable
    (web/static_files.py); ``fingerprinted_static=False`` is the former way, plain URLs
    answered ``no-store``, kept as the benchmarks' baseline.

    The app's lifespan starts ``lifecycle`` (by default the vault's server jobs) and,
    at shutdown, stops it before the opener closes the vault.
    """
    settings = vault.settings
    background = lifecycle or Lifecycle(vault)
    fingerprint = tree_fingerprint(STATIC_DIR) if fingerprinted_static else None
    static_mounts = [
        *(
            [Mount(f"/static/{fingerprint}", CachedStatic(STATIC_DIR, IMMUTABLE))]
            if fingerprint
            else []
        ),
        Mount("/static", CachedStatic(STATIC_DIR, REVALIDATE if fingerprint else "no-store")),
    ]

    async def choose_language(request: Request) -> Response:
        code = request.path_params["code"]
        if code not in i18n.LANGUAGES:
            raise HTTPException(404)
        response = RedirectResponse(_safe_next(request.query_params.get("next")), 303)
        response.set_cookie(
            LANGUAGE_COOKIE,
            code,
            max_age=365 * 24 * 3600,
            httponly=True,
            samesite="strict",
            secure=settings.behind_tls,
        )
        return response

    async def health(request: Request) -> Response:
        db = vault.db
        try:
            await run_in_threadpool(db.ping)
        except VaultError:
            return JSONResponse({"status": "unavailable", "database": "unavailable"}, 503)
        writer_ok = db.writer.alive
        status = "ok" if writer_ok else "unavailable"
        return JSONResponse(
            {"status": status, "database": "ok", "writer": "ok" if writer_ok else "stopped"},
            200 if writer_ok else 503,
        )

    async def http_error(request: Request, exc: Exception) -> Response:
        status = exc.status_code if isinstance(exc, HTTPException) else 500
        refusal = errors.for_status(status)
        if wants_json(request):
            return json_error(refusal.message, status)
        return render_refusal(request, refusal)

    async def vault_error(request: Request, exc: Exception) -> Response:
        assert isinstance(exc, VaultError)  # noqa: S101 - registered for VaultError only
        refusal = errors.for_error(exc)
        if refusal.status >= 500:
            log.error("request failed: %s", type(exc).__name__)
        headers = {"retry-after": str(exc.retry_after)} if isinstance(exc, Throttled) else None
        if isinstance(exc, TooSlow):  # the rest of the body is not waited for: hang up
            headers = {"connection": "close"}
        if wants_json(request):
            return json_error(refusal.message, refusal.status, headers, refusal.field)
        response = render_refusal(request, refusal)
        if headers:
            response.headers.update(headers)
        return response

    @asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        async with background:
            yield

    from web.routes import (
        account,
        admin,
        appointments,
        audit_actions,
        audit_activity,
        audit_tiles,
        auditing,
        contacts,
        desk,
        enrolment,
        inbox_rows,
        items,
        ladder,
        ladder_page,
        orders,
        practice,
        reports,
        requests,
        signin,
        team,
        workspaces,
    )

    routes = [
        route("/language/{code}", choose_language, "language"),
        route("/health", health, "health"),
        *signin.routes(),
        *enrolment.routes(),
        *account.routes(),
        *contacts.routes(),
        *ladder_page.routes(),
        *admin.routes(),
        *practice.routes(),
        *ladder.routes(),
        *workspaces.routes(),
        *inbox_rows.routes(),
        *items.routes(),
        *requests.routes(),
        *appointments.routes(),
        *auditing.routes(),
        *audit_actions.routes(),
        *audit_activity.routes(),
        *audit_tiles.routes(),
        *reports.routes(),
        *team.routes(),
        *desk.routes(),
        *orders.routes(),
        *static_mounts,
    ]
    app = Starlette(
        middleware=[
            Middleware(
                Gate,
                behind_tls=settings.behind_tls,
                default_language=settings.default_language,
                hosts=settings.accepted_hosts,
            ),
        ],
        exception_handlers={
            HTTPException: http_error,
            VaultError: vault_error,
        },
    )
    app.router = IndexedRouter(routes, lifespan=lifespan)
    app.state.vault = vault
    app.state.static_prefix = url_prefix(fingerprint)
    app.state.lifecycle = background
    return app

"""Rendering a template as a full page, or its partial for an htmx request."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from jinja2 import Environment, FileSystemLoader, pass_context, select_autoescape
from jinja2.runtime import Context
from starlette.requests import Request
from starlette.responses import HTMLResponse

from vault.identity import sessions
from vault.identity.roles import min_password_length
from vault.ids import random_digits
from vault.notify import contacts
from web import errors, i18n, local_dates
from web.responses import is_htmx

WEB_DIR = Path(__file__).parent
STATIC_DIR = WEB_DIR / "static"

_env = Environment(
    loader=FileSystemLoader(WEB_DIR / "templates"),
    autoescape=select_autoescape(default=True, default_for_string=True),
    extensions=["jinja2.ext.i18n"],
    trim_blocks=True,
    lstrip_blocks=True,
)
_env.install_gettext_callables(i18n.gettext, i18n.ngettext, newstyle=True)  # type: ignore[attr-defined]
_env.globals["min_password_length"] = min_password_length
_env.filters["contact"] = contacts.shown  # "06 12 34 56 78" for +33612345678
_env.filters["short_id"] = lambda item_id: random_digits(str(item_id), 8)  # not its time
local_dates.install(_env, i18n.current_language)
# A label's colon, as French writes it (a no-break space before it) or English: "Rôle :", "Role:".
_env.globals["colon"] = lambda: "\u00a0:" if i18n.current_language() == "fr" else ":"


@pass_context
def _static(context: Context, path: str) -> str:
    """The URL of a static file, under the app's fingerprint (web/static_files.py)."""
    return f"{context['static_prefix']}/{path}"


_env.globals["static"] = _static


def render(
    request: Request,
    template: str,
    context: dict[str, Any],
    *,
    partial: str | None = None,
    status_code: int = 200,
) -> HTMLResponse:
    """The full page, or for ``HX-Request`` the partial that page includes."""
    name = partial if (is_htmx(request) and partial) else template
    session = getattr(request.state, "session", None)
    vault = getattr(request.app.state, "vault", None)
    zone_name = vault.env.settings.timezone if vault is not None else "Europe/Paris"
    if vault is not None:  # the practice's zone, for the time filters (web/local_dates.py)
        local_dates.set_zone(vault.env.settings.hours.zone)
    page = _env.get_template(name).render(
        {
            **context,
            "request": request,
            "static_prefix": getattr(request.app.state, "static_prefix", "/static"),
            "language": i18n.current_language(),
            "practice_timezone": zone_name,  # <meta name="practice-timezone">, app/localdates.js
            "principal": session.principal if session else None,
            "csrf_token": session.csrf_token if session else "",
            "awaiting_practice_key": bool(session and session.awaiting_practice_key),
            "tab_session": sessions.tab_binding(session.id_hash) if session else "",
        }
    )
    response = HTMLResponse(page, status_code=status_code)
    response.headers["vary"] = "HX-Request, Accept-Language, Cookie"
    return response


def render_refusal(request: Request, refusal: errors.Refusal) -> HTMLResponse:
    """The error page for a refusal, in the user's language; for htmx (a form or a button
    inside a page) only its one sentence, which ``refusals.js`` shows in the form's status
    area, tied to ``refusal.field`` when it names one — never a page inside the page."""
    return render(
        request,
        "error.html",
        {
            "title": i18n.gettext(refusal.title),
            "message": i18n.gettext(refusal.message),
            "field": refusal.field,
        },
        partial="_partials/refusal.html",
        status_code=refusal.status,
    )

"""One's contact details, channels and daily digest, on ``/account`` (htmx forms).

Each form posts here and gets back the whole "contacts" block re-rendered, with one
sentence of feedback; a refusal (a bad address, a wrong code…) is one sentence shown in
the form (``app/refusals.js``). The use cases are ``vault.notify.verification`` and
``vault.notify.digest``.
"""

from __future__ import annotations

from typing import Any

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from vault.clock_text import hhmm_text
from vault.env import Env, Principal
from vault.errors import InvalidInput
from vault.identity.roles import Role
from vault.notify import contacts, digest, verification
from web import i18n
from web.context import env_of, form_body, request_info, require_principal
from web.rendering import render
from web.routing import route

PARTIAL = "_partials/contacts.html"
DIGEST_ON_OR_OFF = "Say whether the daily digest is to be on (1) or off (0)."


def context_for(env: Env, principal: Principal, feedback: str = "") -> dict[str, Any]:
    """The contacts block's context (empty for the roles that keep no contact details)."""
    if principal.role not in verification.ROLES:
        return {"contacts": None}
    return {
        "contacts": contacts.of_account(env, principal.account_id),
        "digest": digest.of_account(env, principal.account_id)
        if principal.role is Role.MEMBER
        else None,
        "contacts_feedback": feedback,
    }


async def _answer(request: Request, feedback: str) -> Response:
    env, principal = env_of(request), require_principal(request)
    context = await run_in_threadpool(context_for, env, principal, feedback)
    return render(request, "account.html", context, partial=PARTIAL)


def _text(form: Any, name: str, limit: int = 200) -> str:
    return str(form.get(name, ""))[:limit]


async def code_request(request: Request) -> Response:
    form = await form_body(request)
    channel = _text(form, "channel", 10)
    address = await run_in_threadpool(
        verification.request_code,
        env_of(request),
        request_info(request),
        require_principal(request),
        channel,
        _text(form, "address"),
    )
    sent = (
        i18n.gettext("A code was sent to %(address)s: type it below.")
        if channel == contacts.EMAIL
        else i18n.gettext("A code was sent by SMS to %(address)s: type it below.")
    )
    return await _answer(request, sent % {"address": contacts.shown(address)})


async def code_confirm(request: Request) -> Response:
    form = await form_body(request)
    channel = _text(form, "channel", 10)
    await run_in_threadpool(
        verification.confirm_code,
        env_of(request),
        request_info(request),
        require_principal(request),
        channel,
        _text(form, "code", 20),
    )
    done = (
        i18n.gettext("Your e-mail address is verified.")
        if channel == contacts.EMAIL
        else i18n.gettext("Your phone number is verified.")
    )
    return await _answer(request, done)


async def detail_remove(request: Request) -> Response:
    form = await form_body(request)
    await run_in_threadpool(
        verification.remove_detail,
        env_of(request),
        request_info(request),
        require_principal(request),
        _text(form, "channel", 10),
    )
    return await _answer(request, i18n.gettext("The contact detail was removed."))


async def channels_choose(request: Request) -> Response:
    form = await form_body(request)
    await run_in_threadpool(
        verification.choose_channels,
        env_of(request),
        request_info(request),
        require_principal(request),
        _text(form, "urgency", 10),
        [str(c)[:10] for c in form.getlist("channel")[:4]],
    )
    return await _answer(request, i18n.gettext("Your channels are saved."))


async def digest_change(request: Request) -> Response:
    form = await form_body(request)
    switch = _text(form, "enabled", 2)
    if switch not in ("0", "1"):
        raise InvalidInput(DIGEST_ON_OR_OFF)
    enabled = switch == "1"
    typed = _text(form, "time", 10)
    if enabled and "time" in form and not typed.strip():
        raise InvalidInput(digest.BAD_TIME, field="time")
    setting = await run_in_threadpool(
        digest.set_digest,
        env_of(request),
        request_info(request),
        require_principal(request),
        enabled,
        typed or None,
    )
    said = (
        i18n.gettext("Your daily digest is on, at %(time)s.")
        % {"time": hhmm_text(setting.local_time, i18n.current_language())}
        if setting.enabled
        else i18n.gettext("Your daily digest is off.")
    )
    return await _answer(request, said)


def routes() -> list[Route]:
    return [
        route("/account/contacts/code", code_request, "contact_code", ["POST"]),
        route("/account/contacts/verify", code_confirm, "contact_verify", ["POST"]),
        route("/account/contacts/remove", detail_remove, "contact_remove", ["POST"]),
        route("/account/contacts/channels", channels_choose, "contact_channels", ["POST"]),
        route("/account/digest", digest_change, "digest_change", ["POST"]),
    ]

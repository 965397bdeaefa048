"""One's own account: fingerprint, sessions, password, authenticator, backup codes."""

from __future__ import annotations

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from crypto import totp
from crypto.secret import Secret
from vault.errors import SecondFactorRequired
from vault.identity import authentication, credentials, sessions
from vault.identity.keymaterial import PasswordMaterial, auth_key
from web.context import (
    env_of,
    form_body,
    json_body,
    request_info,
    require_principal,
    session_of,
    text_field,
)
from web.hashing_pool import run_hashing
from web.qr import qr_svg
from web.rendering import render
from web.responses import json_ok
from web.routes import contacts
from web.routing import route
from web.session import clear_session_cookie


def _sessions_context(request: Request) -> dict[str, object]:
    session = session_of(request)
    principal = require_principal(request)
    current = session.id_hash if session else None
    rows = sessions.list_for(env_of(request), principal.account_id, current)
    return {"sessions": rows, **contacts.context_for(env_of(request), principal)}


async def account(request: Request) -> Response:
    context = await run_in_threadpool(_sessions_context, request)
    return render(request, "account.html", context)


async def account_keys(request: Request) -> Response:
    env = env_of(request)
    principal = require_principal(request)
    keys = await run_in_threadpool(authentication.keys_of, env, principal)
    return json_ok({"keys": keys})


async def session_revoke(request: Request) -> Response:
    env = env_of(request)
    principal = require_principal(request)
    handle = request.path_params["handle"]
    await sessions.revoke_other(env, request_info(request), principal, handle)
    context = await run_in_threadpool(_sessions_context, request)
    return render(request, "_partials/sessions.html", context)


async def password_change(request: Request) -> Response:
    data = await json_body(request)
    env = env_of(request)
    current = data.get("current")
    if not isinstance(current, dict):
        current = {}
    await run_hashing(
        credentials.change_password,
        env,
        request_info(request),
        require_principal(request),
        auth_key(current),
        text_field(data, "code", 20),
        PasswordMaterial.parse(data),
    )
    response = json_ok({"next": "/login"})
    clear_session_cookie(response, secure=env.settings.behind_tls)
    return response


async def totp_page(request: Request) -> Response:
    session = session_of(request)
    forced = bool(session and session.must_reenrol_totp)
    return render(request, "totp.html", {"forced": forced})


async def totp_start(request: Request) -> Response:
    env = env_of(request)
    principal = require_principal(request)
    session = session_of(request)
    if not (session and session.must_reenrol_totp):
        form = await form_body(request)
        code = str(form.get("code", ""))[:20]
        await run_in_threadpool(
            credentials.check_second_factor, env, request_info(request), principal, code
        )
    secret: Secret = await run_in_threadpool(credentials.totp_offer, env, principal)
    uri = totp.provisioning_uri(secret, principal.username)
    return render(
        request,
        "_partials/totp_offer.html",
        {"qr": qr_svg(uri), "secret_text": totp.secret_base32(secret)},
    )


async def totp_confirm(request: Request) -> Response:
    env = env_of(request)
    form = await form_body(request)
    await run_in_threadpool(
        credentials.totp_confirm,
        env,
        request_info(request),
        require_principal(request),
        str(form.get("code", ""))[:20],
    )
    response = render(request, "_partials/totp_done.html", {})
    clear_session_cookie(response, secure=env.settings.behind_tls)
    return response


async def backup_codes(request: Request) -> Response:
    env = env_of(request)
    form = await form_body(request)
    code = str(form.get("code", ""))[:20]
    if not code:
        raise SecondFactorRequired()
    codes = await run_in_threadpool(
        credentials.new_backup_codes, env, request_info(request), require_principal(request), code
    )
    return render(request, "_partials/backup_codes.html", {"codes": codes})


def routes() -> list[Route]:
    return [
        route("/account", account, "account"),
        route("/account/keys", account_keys, "account_keys"),
        route("/account/sessions/{handle}/revoke", session_revoke, "session_revoke", ["POST"]),
        route("/account/password", password_change, "password_change", ["POST"]),
        route("/account/totp", totp_page, "totp_page"),
        route("/account/totp", totp_start, "totp_start", ["POST"]),
        route("/account/totp/confirm", totp_confirm, "totp_confirm", ["POST"]),
        route("/account/backup-codes", backup_codes, "backup_codes", ["POST"]),
    ]

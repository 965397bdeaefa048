"""Signing in and out, and recovering a forgotten password."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import Route

from crypto.encoding import b64url_decode
from crypto.errors import CryptoError
from vault.errors import InvalidInput
from vault.identity import authentication, credentials, sessions
from vault.identity.keymaterial import PasswordMaterial, auth_key
from vault.identity.roles import Role
from web.context import env_of, json_body, principal_of, request_info, session_of, text_field
from web.hashing_pool import run_hashing
from web.local_path import local_path
from web.rendering import render
from web.responses import json_ok, see_other
from web.routing import route
from web.session import clear_session_cookie, set_session_cookie

LANDING = {
    Role.MEMBER: "/inbox",
    Role.SECRETARY: "/workspace",
    Role.AUDITOR: "/audit",
    Role.ADMIN: "/admin/accounts",
}


async def home(request: Request) -> Response:
    principal = principal_of(request)
    if principal is None:
        return RedirectResponse("/login", status_code=303)
    # A session restricted to one page (web.routing) is sent there before getting here.
    return RedirectResponse(LANDING[principal.role], status_code=303)


async def login_page(request: Request) -> Response:
    return render(request, "login.html", {}, partial="_partials/login_form.html")


async def prelogin(request: Request) -> Response:
    data = await json_body(request)
    params = await run_in_threadpool(
        authentication.prelogin, env_of(request), text_field(data, "username", 64)
    )
    return json_ok({"kdf": params.to_json()})


async def login(request: Request) -> Response:
    data = await json_body(request)
    env = env_of(request)
    signed_in = await run_hashing(
        authentication.login,
        env,
        request_info(request),
        text_field(data, "username", 64),
        auth_key(data),
        text_field(data, "code", 20),
    )
    # The page the sign-in guard came from (``next``), only if it is a path on this site.
    wanted = local_path(data.get("next")) or LANDING[signed_in.principal.role]
    target = "/account/totp" if signed_in.must_reenrol_totp else wanted
    # The CSRF token is also in every page's <meta>; API clients (permanence fetch) read it here.
    response = json_ok(
        {
            "keys": signed_in.keys,
            "next": target,
            "csrf_token": signed_in.csrf_token,
            # What the browser stores its unlocked keys with (docs/design.md §7).
            "tab_session": sessions.tab_binding(sessions.token_hash(signed_in.token)),
        }
    )
    set_session_cookie(response, signed_in.token, secure=env.settings.behind_tls)
    return response


async def logout(request: Request) -> Response:
    env = env_of(request)
    session = session_of(request)
    if session is not None:
        await sessions.sign_out(env, request_info(request), session)
    response = see_other(request, "/login")
    clear_session_cookie(response, secure=env.settings.behind_tls)
    return response


async def recover_page(request: Request) -> Response:
    return render(request, "recover.html", {})


async def recover_start(request: Request) -> Response:
    data = await json_body(request)
    start = await run_in_threadpool(
        credentials.recovery_start,
        env_of(request),
        request_info(request),
        text_field(data, "username", 64),
    )
    return json_ok(start.to_json())


def _binary(data: Mapping[str, Any], name: str, max_length: int) -> bytes:
    try:
        return b64url_decode(text_field(data, name, max_length))
    except CryptoError:
        raise InvalidInput() from None


async def recover_finish(request: Request) -> Response:
    data = await json_body(request)
    signature = _binary(data, "signature", 200)
    challenge = _binary(data, "challenge", 100)
    await run_hashing(
        credentials.recovery_finish,
        env_of(request),
        request_info(request),
        text_field(data, "username", 64),
        text_field(data, "code", 20),
        PasswordMaterial.parse(data),
        challenge,
        signature,
    )
    return json_ok({"next": "/login"})


def routes() -> list[Route]:
    return [
        route("/", home, "home"),
        route("/login", login_page, "login_page"),
        route("/login/prelogin", prelogin, "prelogin", ["POST"]),
        route("/login", login, "login", ["POST"]),
        route("/logout", logout, "logout", ["POST"]),
        route("/recover", recover_page, "recover_page"),
        route("/recover/start", recover_start, "recover_start", ["POST"]),
        route("/recover/finish", recover_finish, "recover_finish", ["POST"]),
    ]

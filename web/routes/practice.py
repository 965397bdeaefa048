"""A practice's members: colleagues, invitations, and sharing the practice key."""

from __future__ import annotations

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import Route

from crypto.encoding import b64url_encode
from vault.identity import accounts, practices
from vault.identity.keymaterial import grant as parse_grant
from vault.identity.roles import Role
from web.context import (
    env_of,
    form_body,
    json_body,
    request_info,
    require_principal,
    session_of,
    text_field,
)
from web.rendering import render
from web.responses import json_ok
from web.routing import route


def _members_context(request: Request) -> dict[str, object]:
    env = env_of(request)
    principal = require_principal(request)
    return {
        "members": accounts.list_practice(env, str(principal.practice_id)),
        "pending": [
            {
                "request": g,
                "x25519_pk": b64url_encode(g.x25519_pk),
                "ed25519_pk": b64url_encode(g.ed25519_pk),
            }
            for g in practices.pending_grants(env, principal)
        ],
    }


async def practice_members(request: Request) -> Response:
    context = await run_in_threadpool(_members_context, request)
    return render(request, "practice_members.html", context)


async def practice_invite(request: Request) -> Response:
    env = env_of(request)
    form = await form_body(request)
    invitation = await run_in_threadpool(
        lambda: accounts.invite(
            env,
            request_info(request),
            require_principal(request),
            username=str(form.get("username", ""))[:64],
            display_name=str(form.get("display_name", ""))[:100],
            role=Role.MEMBER,
        )
    )
    return render(
        request,
        "_partials/invitation_link.html",
        {"link": invitation.link(env.settings.base_url)},
    )


async def practice_grant(request: Request) -> Response:
    data = await json_body(request)
    await run_in_threadpool(
        practices.grant,
        env_of(request),
        request_info(request),
        require_principal(request),
        request.path_params["account_id"],
        parse_grant(data),
        text_field(data, "code", 20),
    )
    return json_ok({"granted": True})


async def practice_waiting(request: Request) -> Response:
    """The one page of a member nobody has granted the practice key yet."""
    env = env_of(request)
    principal = require_principal(request)
    session = session_of(request)
    if session is not None and not session.awaiting_practice_key:
        return RedirectResponse("/inbox", status_code=303)
    name = await run_in_threadpool(practices.practice_name, env, str(principal.practice_id))
    holders = await run_in_threadpool(practices.key_holders, env, principal)
    return render(request, "practice_waiting.html", {"practice_name": name, "holders": holders})


def routes() -> list[Route]:
    return [
        route("/practice/waiting", practice_waiting, "practice_waiting"),
        route("/practice/members", practice_members, "practice_members"),
        route("/practice/invitations", practice_invite, "practice_invite", ["POST"]),
        route("/practice/grants/{account_id}", practice_grant, "practice_grant", ["POST"]),
    ]

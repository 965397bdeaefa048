"""Administration: invitations, disabling accounts, practices and assignments. No content."""

from __future__ import annotations

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from vault.errors import InvalidInput
from vault.identity import accounts, practices, reinvitation
from vault.identity.roles import Role
from web.context import env_of, form_body, request_info, require_principal
from web.rendering import render
from web.routing import route


def _accounts_context(request: Request) -> dict[str, object]:
    return {"accounts": accounts.list_all(env_of(request)), "roles": [str(r) for r in Role]}


async def admin_accounts(request: Request) -> Response:
    context = await run_in_threadpool(_accounts_context, request)
    return render(request, "admin_accounts.html", context, partial="_partials/accounts_table.html")


async def admin_invite(request: Request) -> Response:
    env = env_of(request)
    form = await form_body(request)
    try:
        role = Role(str(form.get("role", "")))
    except ValueError:
        raise InvalidInput() from None
    invitation = await run_in_threadpool(
        lambda: accounts.invite(
            env,
            request_info(request),
            require_principal(request),
            username=str(form.get("username", ""))[:64],
            display_name=str(form.get("display_name", ""))[:100],
            role=role,
            practice_name=str(form.get("practice", "")).strip()[:120] or None,
        )
    )
    return await _invitation_answer(request, invitation)


async def admin_reinvite(request: Request) -> Response:
    """A new link for an account that never completed enrolment; its older links are void."""
    env = env_of(request)
    invitation = await run_in_threadpool(
        reinvitation.reissue,
        env,
        request_info(request),
        require_principal(request),
        request.path_params["account_id"],
    )
    return await _invitation_answer(request, invitation)


async def _invitation_answer(request: Request, invitation: accounts.Invitation) -> Response:
    """The link to send, and the account list with the invited account in it (out of band)."""
    context = await run_in_threadpool(_accounts_context, request)
    return render(
        request,
        "_partials/invitation_link.html",
        {
            **context,
            "link": invitation.link(env_of(request).settings.base_url),
            "refresh_accounts": True,
        },
    )


async def _set_disabled(request: Request, disabled: bool) -> Response:
    env = env_of(request)
    await run_in_threadpool(
        accounts.set_disabled,
        env,
        request_info(request),
        require_principal(request),
        request.path_params["account_id"],
        disabled,
    )
    context = await run_in_threadpool(_accounts_context, request)
    return render(request, "_partials/accounts_table.html", context)


async def admin_disable(request: Request) -> Response:
    return await _set_disabled(request, True)


async def admin_enable(request: Request) -> Response:
    return await _set_disabled(request, False)


def _practices_context(request: Request) -> dict[str, object]:
    env = env_of(request)
    secretaries = [
        a for a in accounts.list_all(env) if a.role == Role.SECRETARY and a.status != "disabled"
    ]
    return {"practices": practices.list_practices(env), "secretaries": secretaries}


async def admin_practices(request: Request) -> Response:
    context = await run_in_threadpool(_practices_context, request)
    return render(
        request, "admin_practices.html", context, partial="_partials/practices_table.html"
    )


async def _assignment(request: Request, assigned: bool) -> Response:
    env = env_of(request)
    form = await form_body(request)
    await run_in_threadpool(
        practices.set_assignment,
        env,
        request_info(request),
        require_principal(request),
        str(form.get("secretary_id", "")),
        str(form.get("practice_id", "")),
        assigned,
    )
    context = await run_in_threadpool(_practices_context, request)
    return render(request, "_partials/practices_table.html", context)


async def admin_assign(request: Request) -> Response:
    return await _assignment(request, True)


async def admin_unassign(request: Request) -> Response:
    return await _assignment(request, False)


def routes() -> list[Route]:
    return [
        route("/admin/accounts", admin_accounts, "admin_accounts"),
        route("/admin/invitations", admin_invite, "admin_invite", ["POST"]),
        route("/admin/accounts/{account_id}/disable", admin_disable, "admin_disable", ["POST"]),
        route(
            "/admin/accounts/{account_id}/invitation",
            admin_reinvite,
            "admin_reinvite",
            ["POST"],
        ),
        route("/admin/accounts/{account_id}/enable", admin_enable, "admin_enable", ["POST"]),
        route("/admin/practices", admin_practices, "admin_practices"),
        route("/admin/assignments", admin_assign, "admin_assign", ["POST"]),
        route("/admin/assignments/remove", admin_unassign, "admin_unassign", ["POST"]),
    ]

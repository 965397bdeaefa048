"""A route refused to the signed-in account's role: audited, then refused with 403."""

from __future__ import annotations

from audit.entry import Action, Outcome
from vault.env import Env, Principal, RequestInfo
from vault.errors import Forbidden


async def refuse_route(env: Env, request: RequestInfo, principal: Principal, route: str) -> None:
    """Record that ``principal`` was refused ``route``, then raise ``Forbidden``."""
    await env.db.write_async(
        lambda conn: env.record(
            conn,
            Action.ACCESS_DENIED,
            request,
            actor=principal.actor,
            outcome=Outcome.DENIED,
            detail={"route": route},
        )
    )
    raise Forbidden()

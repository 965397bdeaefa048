"""Forbidden requests of signed-in accounts: recorded, but no flood of the log.

Every denial used to append its own ``access.denied`` entry (a member hitting
``/audit`` from 8 threads: ~750 entries a second), with whatever path text the
user chose as targets. Now (``record``, called by the denial paths):

- a target is kept only if it is a well-formed id (canonical lowercase UUID);
  anything else is stored as ``"invalid"``, never the text sent;
- per account and what was denied (a route name, or the kinds of target), the
  first denial in a window of ``refusals.WINDOW`` is one entry of its own and
  the rest are counted into one entry (``vault.identity.refusals``, reason
  ``repeated``), appended when the window closes or before the next entry of
  its own; a denial naming an item that exists is keyed by that item as well,
  so each such item tried gets an entry of its own at least once per window.

When a window opened is kept as a row of ``login_failure`` (subject
``denied:...``, the time of the entry of its own), pruned with the others.
"""

from __future__ import annotations

from collections.abc import Mapping

from audit.entry import Action, Outcome
from vault.clock import iso
from vault.env import Env, Principal, RequestInfo
from vault.errors import Forbidden
from vault.identity import refusals
from vault.ids import is_uuid
from vault.storage.store import Connection

INVALID = "invalid"


def well_formed(targets: Mapping[str, str] | None) -> dict[str, str]:
    """The targets with every value that is not a canonical id replaced by ``"invalid"``."""
    return {k: v if is_uuid(v) else INVALID for k, v in (targets or {}).items()}


def record(
    env: Env,
    conn: Connection,
    request: RequestInfo,
    principal: Principal,
    *,
    route: str | None = None,
    targets: Mapping[str, str] | None = None,
) -> None:
    """Record one denial of ``principal``: an entry of its own, or one more in a count."""
    kept = well_formed(targets)
    subject = f"denied:{principal.account_id}:{route or ','.join(sorted(kept)) or '-'}"
    item = kept.get("item", INVALID)
    if item != INVALID and conn.execute("SELECT 1 FROM item WHERE id = ?", (item,)).fetchone():
        subject += ":" + item
    now = env.now()
    opened = conn.execute(
        "SELECT 1 FROM login_failure WHERE subject = ? AND at > ?",
        (subject, iso(now - refusals.WINDOW)),
    ).fetchone()
    if opened is not None:
        refusal = refusals.Refusal(
            Action.ACCESS_DENIED, principal.account_id, lambda: principal.actor, "repeated"
        )
        refusals.count(env, conn, request, subject, refusal)
        return
    refusals.flush(env, conn, [subject])  # the last window's count goes first
    conn.execute("DELETE FROM login_failure WHERE subject = ?", (subject,))
    conn.execute("INSERT INTO login_failure (subject, at) VALUES (?, ?)", (subject, iso(now)))
    env.record(
        conn,
        Action.ACCESS_DENIED,
        request,
        actor=principal.actor,
        outcome=Outcome.DENIED,
        targets=kept,
        detail={"route": route} if route else None,
    )


async def refuse_route(env: Env, request: RequestInfo, principal: Principal, route: str) -> None:
    """Record that ``principal`` was refused ``route`` (``record``), then raise ``Forbidden``."""
    await env.db.write_async(lambda conn: record(env, conn, request, principal, route=route))
    raise Forbidden()


__all__ = ["INVALID", "record", "refuse_route", "well_formed"]

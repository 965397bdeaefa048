"""An urgent item's delivery trail: who was told, by which channel, when, and what came of it.

Server metadata (no content): one step per message of the escalation
(vault/notify/engine.py) in its current state, one per notification link opened, and
the acknowledgement that stopped the escalation. Oldest first.

States: ``pending`` (not sent yet), ``sent``, ``retried`` (sent after failed
attempts), ``failed`` (failed, retrying: it is tried again later), ``cancelled`` (not
sent any more: acknowledged meanwhile), ``opened`` (the recipient opened the link),
``acknowledged`` ("Pris en charge": the escalation stops).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from vault.clock import parse_iso
from vault.env import Env
from vault.storage.store import Connection

STATES = ("pending", "sent", "retried", "failed", "cancelled", "opened", "acknowledged")
WEBHOOK_NAME = "webhook"


@dataclass(frozen=True, slots=True)
class TrailStep:
    step: int  # the escalation's step (0: the first person on call)
    recipient_id: str  # account id; "" for the practice's webhook
    recipient_name: str  # display name; "webhook" for the webhook
    channel: str  # email, sms, webhook; "" for an acknowledgement
    state: str  # one of STATES
    at: datetime
    attempts: int
    purpose: str = "urgent"  # urgent, unacknowledged (the end of the ladder), acknowledged


def _state(state: str, attempts: int) -> str:
    if state == "sent" and attempts > 1:
        return "retried"
    return state


def trail_for(conn: Connection, item_id: str) -> list[TrailStep]:
    """Every step of the item's escalation, oldest first ([] for an item without one)."""
    steps: list[tuple[str, int, TrailStep]] = []
    for (
        did,
        step,
        account,
        name,
        purpose,
        channel,
        state,
        attempts,
        created,
        sent,
        failed,
        opened,
    ) in conn.execute(
        "SELECT d.id, d.step, d.account_id, a.display_name, d.purpose, d.channel, d.state,"
        " d.attempts, d.created_at, d.sent_at, d.failed_at, d.opened_at"
        " FROM delivery d LEFT JOIN account a ON a.id = d.account_id"
        " WHERE d.item_id = ? ORDER BY d.id",
        (item_id,),
    ):
        who = "" if account is None else str(account)
        display = WEBHOOK_NAME if account is None else str(name)
        shown = _state(str(state), int(attempts))
        at = {"sent": sent, "failed": failed}.get(str(state)) or created
        steps.append(
            (
                str(at),
                int(did),
                TrailStep(
                    int(step),
                    who,
                    display,
                    str(channel),
                    shown,
                    parse_iso(str(at)),
                    int(attempts),
                    str(purpose),
                ),
            )
        )
        if opened is not None:
            steps.append(
                (
                    str(opened),
                    int(did),
                    TrailStep(
                        int(step),
                        who,
                        display,
                        str(channel),
                        "opened",
                        parse_iso(str(opened)),
                        int(attempts),
                        str(purpose),
                    ),
                )
            )
    row = conn.execute(
        "SELECT e.step, e.acknowledged_at, e.acknowledged_by, a.display_name FROM escalation e"
        " LEFT JOIN account a ON a.id = e.acknowledged_by"
        " WHERE e.item_id = ? AND e.acknowledged_at IS NOT NULL",
        (item_id,),
    ).fetchone()
    if row is not None:
        step, at, by, name = row
        steps.append(
            (
                str(at),
                2**62,
                TrailStep(
                    max(int(step) - 1, 0),
                    "" if by is None else str(by),
                    "" if name is None else str(name),
                    "",
                    "acknowledged",
                    parse_iso(str(at)),
                    0,
                    "acknowledged",
                ),
            )
        )
    steps.sort(key=lambda s: (s[0], s[1]))
    return [s[2] for s in steps]


def trail_for_env(env: Env, item_id: str) -> list[TrailStep]:
    """``trail_for`` in a read transaction of its own."""
    return env.db.read(lambda c: trail_for(c, item_id))

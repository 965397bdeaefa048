"""An item's status history, and which change its author may still undo.

Every change is a row of ``item_status`` (who, when, to which status); an undo is a row of
its own (``undo`` = 1) that records the status the item went back to, so the history says
what happened, in order, and nothing is ever deleted. Only a status set by hand
(acknowledged, handled) can be undone, by the member who set it, within ``UNDO_WINDOW``,
and only while it is the item's latest change: once a colleague has moved the item on, the
undo would rewrite their decision. An undo itself cannot be undone (set the status again).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from vault.clock import parse_iso
from vault.items.vocabulary import HANDLING, Status
from vault.storage.store import Connection

UNDO_WINDOW = timedelta(minutes=2)


@dataclass(frozen=True, slots=True)
class StatusChange:
    status: str
    by: str
    at: datetime
    by_id: str = ""
    undo: bool = False  # this row records an undo: the item went back to ``status``


def undo_until(
    status: str, by_id: str | None, at: datetime | None, undo: bool, account_id: str
) -> datetime | None:
    """Until when ``account_id`` may undo an item's latest change (``status`` set by
    ``by_id`` at ``at``), or None if that change is not theirs to undo."""
    if at is None or undo or by_id != account_id or status not in HANDLING:
        return None
    return at + UNDO_WINDOW


def load(conn: Connection, item_id: str) -> tuple[StatusChange, ...]:
    """Every status change of the item, oldest first."""
    return tuple(
        StatusChange(str(s), str(by), parse_iso(str(at)), str(by_id), bool(undo))
        for s, by, at, by_id, undo in conn.execute(
            "SELECT h.status, a.display_name, h.at, h.account_id, h.undo FROM item_status h"
            " JOIN account a ON a.id = h.account_id WHERE h.item_id = ? ORDER BY h.rowid",
            (item_id,),
        )
    )


def undo_target(
    history: tuple[StatusChange, ...], account_id: str, now: datetime
) -> tuple[StatusChange, str] | None:
    """The change ``account_id`` may undo now and the status it goes back to, or None."""
    if len(history) < 2:
        return None
    last = history[-1]
    until = undo_until(last.status, last.by_id, last.at, last.undo, account_id)
    if until is None or now > until:
        return None
    return last, history[-2].status or Status.NEW.value

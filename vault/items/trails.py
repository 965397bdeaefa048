"""A secretary's deposits with what became of each: its acknowledgement trail, her label and,
for an urgent one, its delivery trail (whom the practice's ladder told, how, when).

The trail is every status change the practice made (new → read → handled, and any
status a later version adds), with who and when: the secretary learns that her call
was seen and dealt with, never what it said (she may not read deposits back).
"""

from __future__ import annotations

from dataclasses import dataclass

from vault.clock import parse_iso
from vault.env import Env, Principal
from vault.items import inbox
from vault.items.history import StatusChange
from vault.items.inbox import ItemSummary
from vault.items.labels import labels_of
from vault.notify.trail import TrailStep, trail_for
from vault.storage.store import Connection


@dataclass(frozen=True, slots=True)
class DepositRow:
    item: ItemSummary
    practice_id: str
    trail: tuple[StatusChange, ...]
    label: bytes | None  # docs/format.md §11, sealed to her own key
    deliveries: tuple[TrailStep, ...] = ()  # the urgent item's delivery trail (metadata)

    @property
    def taken(self) -> StatusChange | None:
        """The acknowledgement that still stands ("Pris en charge par …"): the latest one,
        unless an undo took the item back before it since."""
        standing = None
        for change in self.trail:
            if change.status == "acknowledged" and not change.undo:
                standing = change
            elif change.undo and change.status in ("new", "read"):
                standing = None
        return standing


@dataclass(frozen=True, slots=True)
class DepositsPage:
    rows: list[DepositRow]
    next_cursor: str | None


def _trails(conn: Connection, item_ids: list[str]) -> dict[str, list[StatusChange]]:
    out: dict[str, list[StatusChange]] = {i: [] for i in item_ids}
    if not item_ids:
        return out
    marks = ", ".join("?" * len(item_ids))
    for item_id, status, by, at, undo in conn.execute(
        "SELECT h.item_id, h.status, a.display_name, h.at, h.undo FROM item_status h"  # noqa: S608 - placeholders only
        f" JOIN account a ON a.id = h.account_id WHERE h.item_id IN ({marks}) ORDER BY h.rowid",
        item_ids,
    ):
        out[str(item_id)].append(
            StatusChange(str(status), str(by), parse_iso(str(at)), undo=bool(undo))
        )
    return out


def my_deposits(env: Env, principal: Principal, after: str | None) -> DepositsPage:
    """One page of the secretary's own deposits, each with its trail and her sealed label."""
    page = inbox.my_deposits(env, principal, after)
    ids = [i.id for i in page.items]

    def read(
        conn: Connection,
    ) -> tuple[
        dict[str, list[StatusChange]],
        dict[str, bytes],
        dict[str, str],
        dict[str, tuple[TrailStep, ...]],
    ]:
        practices: dict[str, str] = {}
        if ids:
            marks = ", ".join("?" * len(ids))
            practices = {
                str(i): str(p)
                for i, p in conn.execute(
                    f"SELECT id, practice_id FROM item WHERE id IN ({marks})",  # noqa: S608 - placeholders only
                    ids,
                )
            }
        urgent = [i.id for i in page.items if i.urgency == "urgent"]
        deliveries = {i: tuple(trail_for(conn, i)) for i in urgent}
        return _trails(conn, ids), labels_of(conn, principal, ids), practices, deliveries

    trails, labels, practices, deliveries = env.db.read(read)
    return DepositsPage(
        [
            DepositRow(
                i, practices[i.id], tuple(trails[i.id]), labels.get(i.id), deliveries.get(i.id, ())
            )
            for i in page.items
        ],
        page.next_cursor,
    )

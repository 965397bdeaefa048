"""A secretary's own labels beside her deposits, sealed by her browser to her own key.

She may not read a deposit back (docs/design.md §1), so to tell her calls apart her
browser seals a short label she wrote ("Mme L. — ordonnance") to her own X25519
public key (docs/format.md §11). The server stores the sealed box and hands it back
to her alone; it cannot open it, and checks only its size and version byte.
"""

from __future__ import annotations

from audit.entry import Action
from vault.clock import iso
from vault.env import Env, Principal, RequestInfo
from vault.errors import InvalidInput
from vault.identity.roles import Role
from vault.ids import is_uuid
from vault.items.access import Denied, write_or_deny
from vault.storage.store import Connection

SEAL_OVERHEAD = 48
MAX_LABEL_TEXT_BYTES = 480  # 120 code points of up to 4 bytes
MIN_LABEL_BYTES = 1 + SEAL_OVERHEAD + 1 + 16 + 1
MAX_LABEL_BYTES = 1 + SEAL_OVERHEAD + 1 + 16 + MAX_LABEL_TEXT_BYTES
BAD_LABEL = "The label is not valid: its size or version is wrong."


def check_sealed_label(sealed: bytes) -> None:
    """The shape of docs/format.md §11 (the server cannot check more)."""
    if not MIN_LABEL_BYTES <= len(sealed) <= MAX_LABEL_BYTES or sealed[0] != 0x01:
        raise InvalidInput(BAD_LABEL)


def _own_deposit(conn: Connection, principal: Principal, item_id: str) -> str:
    """The practice of ``item_id`` when the principal deposited it; ``Denied`` otherwise."""
    if principal.role != Role.SECRETARY or not is_uuid(item_id):
        raise Denied(item=item_id)
    row = conn.execute(
        "SELECT practice_id FROM item WHERE id = ? AND author_id = ?",
        (item_id, principal.account_id),
    ).fetchone()
    if row is None:
        raise Denied(item=item_id)
    return str(row[0])


def set_label(
    env: Env, request: RequestInfo, principal: Principal, item_id: str, sealed: bytes | None
) -> None:
    """Store (or with ``None`` remove) the secretary's sealed label of her own deposit."""
    if sealed is not None:
        check_sealed_label(sealed)

    def tx(conn: Connection) -> None:
        practice_id = _own_deposit(conn, principal, item_id)
        if sealed is None:
            conn.execute("DELETE FROM deposit_label WHERE item_id = ?", (item_id,))
        else:
            conn.execute(
                "INSERT INTO deposit_label (item_id, author_id, sealed, written_at)"
                " VALUES (?, ?, ?, ?) ON CONFLICT (item_id) DO UPDATE"
                " SET sealed = excluded.sealed, written_at = excluded.written_at",
                (item_id, principal.account_id, sealed, iso(env.now())),
            )
        env.record(
            conn,
            Action.DEPOSIT_LABELLED,
            request,
            actor=principal.actor,
            targets={"practice": practice_id, "item": item_id},
            detail={"removed": sealed is None},
        )

    write_or_deny(env, request, principal, tx)


def labels_of(conn: Connection, principal: Principal, item_ids: list[str]) -> dict[str, bytes]:
    """The principal's sealed labels of ``item_ids`` (her own deposits only)."""
    if not item_ids:
        return {}
    marks = ", ".join("?" * len(item_ids))
    rows = conn.execute(
        f"SELECT item_id, sealed FROM deposit_label WHERE author_id = ? AND item_id IN ({marks})",  # noqa: S608 - placeholders only
        (principal.account_id, *item_ids),
    ).fetchall()
    return {str(i): bytes(s) for i, s in rows}

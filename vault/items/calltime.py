"""A call note's call time: what the author signed, and whether it is plausible.

The call's start and duration are signed in the item header (docs/format.md
§5); the depositor also sends them in clear. The server stores the signed
values, refuses a deposit whose clear values differ from them, and refuses a
call that starts before the vault was created or ends more than a few minutes
in the future (clock drift between the secretary's machine and the server).
The header format itself caps the duration at 24 hours.
"""

from __future__ import annotations

import weakref
from datetime import UTC, datetime, timedelta

from crypto.envelope import ItemHeader, ItemKind
from vault.clock import parse_iso
from vault.env import Env
from vault.errors import InvalidInput
from vault.storage.database import Database

CLOCK_DRIFT = timedelta(minutes=5)
BAD_CALL_TIME = "The call's start time or duration is not valid."
CALL_TIME_DIFFERS = "The call's start time or duration differs from the signed one."
IMPLAUSIBLE_CALL = (
    "The call's time is not plausible: it starts before this vault existed"
    " or ends more than five minutes from now."
)

_created: weakref.WeakKeyDictionary[Database, datetime] = weakref.WeakKeyDictionary()


def vault_created_at(env: Env) -> datetime:
    """When ``permanence init`` created the vault: when its first migration was applied.

    Every vault records it in ``schema_migrations`` (migration 1 runs in ``init``),
    so vaults created before this check existed have it too. Read once per database.
    """
    created = _created.get(env.db)
    if created is None:
        row = env.db.read(
            lambda c: c.execute(
                "SELECT applied_at FROM schema_migrations WHERE number = 1"
            ).fetchone()
        )
        created = _created[env.db] = parse_iso(str(row[0]))
    return created


def vault_created_at_known(env: Env) -> bool:
    """True once ``vault_created_at`` has been read for this database (it needs no read)."""
    return env.db in _created


def check_call_time(
    env: Env, header: ItemHeader, started: datetime | None, seconds: int | None
) -> None:
    """Refuse clear call values that differ from the verified ``header``'s, or an
    implausible signed call time.

    Clear values are optional (the signed ones are what is stored, ``stored_call_time``)
    but, when given, must equal the signed ones. Only a call note has a call time.
    """
    if header.kind != ItemKind.CALL_NOTE:
        if started is not None or seconds is not None:
            raise InvalidInput(BAD_CALL_TIME)
        return
    signed_start, signed_seconds = header.call_started_at, header.call_seconds
    if (started is not None and started.timestamp() != signed_start) or (
        seconds is not None and seconds != signed_seconds
    ):
        raise InvalidInput(CALL_TIME_DIFFERS)
    # In whole seconds: a header may hold a start no datetime can (year 285 million).
    earliest = int(vault_created_at(env).timestamp())
    latest = (env.now() + CLOCK_DRIFT).timestamp()
    if signed_start < earliest or signed_start + signed_seconds > latest:
        raise InvalidInput(IMPLAUSIBLE_CALL)


def stored_call_time(header: ItemHeader) -> tuple[datetime | None, int | None]:
    """(start, duration) of a checked header, as the item row stores them; None if no call."""
    if header.kind != ItemKind.CALL_NOTE:
        return None, None
    return datetime.fromtimestamp(header.call_started_at, UTC), header.call_seconds

"""A practice's on-call ladder: which members are told of an urgent item, in what order, when.

Server metadata (SECURITY.md): member accounts, their order, the days and hours each is
on call in the ladder's time zone, and the delay before the next rung. Members read and
replace their practice's ladder (``ladder.changed`` audited); the engine
(vault/notify/engine.py) asks who is on call at a given moment.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from audit.entry import Action
from vault.clock import iso
from vault.env import Env, Principal, RequestInfo
from vault.errors import AwaitingPracticeKey, InvalidInput
from vault.identity.roles import Role
from vault.items.access import holds_practice_key
from vault.storage.store import Connection

MAX_RUNGS = 20
MIN_DELAY_MINUTES, MAX_DELAY_MINUTES = 1, 240
WEEKDAYS = (1, 2, 3, 4, 5, 6, 7)  # ISO: Monday is 1

BAD_LADDER = "The on-call ladder is not valid: check each line's member, days and hours."
BAD_MEMBER = "The on-call ladder names an account that is not an active member of the practice."
BAD_DELAY = (
    f"The delay before the next person must be a whole number of minutes from"
    f" {MIN_DELAY_MINUTES} to {MAX_DELAY_MINUTES}."
)
BAD_ZONE = "The time zone of the on-call ladder is not known (write it like Europe/Paris)."
TOO_MANY = f"An on-call ladder has at most {MAX_RUNGS} lines."


@dataclass(frozen=True, slots=True)
class Rung:
    """One line of the ladder: ``account_id`` is on call on ``days`` from ``start`` to
    ``end`` (minutes after local midnight; ``end`` before ``start`` runs past midnight and
    belongs to the day it starts; ``start == end`` is the whole day)."""

    account_id: str
    days: frozenset[int]
    start: int
    end: int
    display_name: str = ""
    active: bool = True  # False: the account was disabled since (the engine passes it over)

    def on_call(self, local: datetime) -> bool:
        minute = local.hour * 60 + local.minute
        day = local.isoweekday()
        if self.start == self.end:
            return day in self.days
        if self.start < self.end:
            return day in self.days and self.start <= minute < self.end
        if minute >= self.start:  # the evening part of a night that starts today
            return day in self.days
        yesterday = 7 if day == 1 else day - 1
        return minute < self.end and yesterday in self.days


@dataclass(frozen=True, slots=True)
class Ladder:
    practice_id: str
    rungs: tuple[Rung, ...]
    delay_seconds: int
    timezone: str
    configured: bool  # False: the practice has never set one (the defaults apply)

    def on_call(self, at: datetime) -> list[Rung]:
        """The rungs on call at ``at``, in ladder order."""
        local = at.astimezone(ZoneInfo(self.timezone))
        return [r for r in self.rungs if r.on_call(local)]

    def as_json(self, now: datetime, members: Sequence[tuple[str, str]]) -> dict[str, Any]:
        local = now.astimezone(ZoneInfo(self.timezone))
        return {
            "delay_minutes": self.delay_seconds // 60 or 1,
            "delay_seconds": self.delay_seconds,
            "timezone": self.timezone,
            "configured": self.configured,
            "rungs": [
                {
                    "account_id": r.account_id,
                    "display_name": r.display_name,
                    "active": r.active,
                    "days": sorted(r.days),
                    "start": _hhmm(r.start),
                    "end": _hhmm(r.end),
                    "on_call_now": r.on_call(local),
                }
                for r in self.rungs
            ],
            "members": [{"account_id": a, "display_name": n} for a, n in members],
        }


def _hhmm(minutes: int) -> str:
    return f"{minutes // 60:02d}:{minutes % 60:02d}"


def _minutes(text: object) -> int:
    if not isinstance(text, str) or len(text) != 5 or text[2] != ":":
        raise InvalidInput(BAD_LADDER)
    hours, minutes = text[:2], text[3:]
    if not (hours.isdigit() and minutes.isdigit()):
        raise InvalidInput(BAD_LADDER)
    h, m = int(hours), int(minutes)
    if h == 24 and m == 0:
        return 0  # "24:00" as an end is midnight
    if h > 23 or m > 59:
        raise InvalidInput(BAD_LADDER)
    return h * 60 + m


def load(conn: Connection, env: Env, practice_id: str) -> Ladder:
    """The practice's ladder (an empty one with the deployment's defaults if never set)."""
    row = conn.execute(
        "SELECT delay_seconds, timezone FROM oncall_ladder WHERE practice_id = ?", (practice_id,)
    ).fetchone()
    rungs = tuple(
        Rung(
            str(a), frozenset(int(d) for d in str(days)), int(s), int(e), str(name), st == "active"
        )
        for a, days, s, e, name, st in conn.execute(
            "SELECT r.account_id, r.days, r.start_minute, r.end_minute, a.display_name,"
            " a.status"
            " FROM oncall_rung r JOIN account a ON a.id = r.account_id"
            " WHERE r.practice_id = ? ORDER BY r.position",
            (practice_id,),
        )
    )
    if row is None:
        return Ladder(
            practice_id, rungs, env.settings.escalation_delay_seconds, env.settings.timezone, False
        )
    return Ladder(practice_id, rungs, int(row[0]), str(row[1]), True)


def _members(conn: Connection, practice_id: str) -> list[tuple[str, str]]:
    return [
        (str(a), str(n))
        for a, n in conn.execute(
            "SELECT id, display_name FROM account WHERE practice_id = ? AND role = 'member'"
            " AND status = 'active' ORDER BY lower(display_name), id",  # NOCASE: ASCII letters
            (practice_id,),
        )
    ]


def _member_of(principal: Principal) -> str:
    if principal.role != Role.MEMBER or principal.practice_id is None:
        raise InvalidInput()
    return principal.practice_id


def read(env: Env, principal: Principal) -> dict[str, Any]:
    """The ladder of the member's practice as the ladder editor's JSON, with the members
    it may name and who is on call now."""
    practice_id = _member_of(principal)

    def tx(conn: Connection) -> dict[str, Any]:
        if not holds_practice_key(conn, principal):
            raise AwaitingPracticeKey()
        return load(conn, env, practice_id).as_json(env.now(), _members(conn, practice_id))

    return env.db.read(tx)


def parse(data: Mapping[str, Any], default_zone: str) -> tuple[list[Rung], int, str]:
    """(rungs, delay seconds, time zone) from the editor's JSON, or a 400 with one sentence."""
    rungs_in = data.get("rungs")
    if not isinstance(rungs_in, list):
        raise InvalidInput(BAD_LADDER)
    if len(rungs_in) > MAX_RUNGS:
        raise InvalidInput(TOO_MANY)
    rungs: list[Rung] = []
    for line in rungs_in:
        if not isinstance(line, dict):
            raise InvalidInput(BAD_LADDER)
        account, days = line.get("account_id"), line.get("days")
        if not isinstance(account, str) or not isinstance(days, list) or not days:
            raise InvalidInput(BAD_LADDER)
        if not all(isinstance(d, int) and not isinstance(d, bool) and d in WEEKDAYS for d in days):
            raise InvalidInput(BAD_LADDER)
        rungs.append(
            Rung(account, frozenset(days), _minutes(line.get("start")), _minutes(line.get("end")))
        )
    minutes = data.get("delay_minutes", 10)
    if (
        not isinstance(minutes, int)
        or isinstance(minutes, bool)
        or not MIN_DELAY_MINUTES <= minutes <= MAX_DELAY_MINUTES
    ):
        raise InvalidInput(BAD_DELAY)
    zone = data.get("timezone", default_zone)
    if not isinstance(zone, str) or not zone or len(zone) > 64:
        raise InvalidInput(BAD_ZONE)
    try:
        ZoneInfo(zone)
    except (ZoneInfoNotFoundError, ValueError, OSError):
        raise InvalidInput(BAD_ZONE) from None
    return rungs, minutes * 60, zone


def replace(
    env: Env, request: RequestInfo, principal: Principal, data: Mapping[str, Any]
) -> dict[str, Any]:
    """Replace the member's practice's ladder with the editor's JSON (audited
    ``ladder.changed``); every rung must name an active member of the practice."""
    practice_id = _member_of(principal)
    rungs, delay, zone = parse(data, env.settings.timezone)

    def tx(conn: Connection) -> dict[str, Any]:
        if not holds_practice_key(conn, principal):
            raise AwaitingPracticeKey()
        members = _members(conn, practice_id)
        known = {a for a, _ in members}
        if any(r.account_id not in known for r in rungs):
            raise InvalidInput(BAD_MEMBER)
        now = iso(env.now())
        conn.execute("DELETE FROM oncall_rung WHERE practice_id = ?", (practice_id,))
        conn.execute(
            "INSERT INTO oncall_ladder (practice_id, delay_seconds, timezone, updated_at,"
            " updated_by) VALUES (?, ?, ?, ?, ?) ON CONFLICT (practice_id) DO UPDATE SET"
            " delay_seconds = excluded.delay_seconds, timezone = excluded.timezone,"
            " updated_at = excluded.updated_at, updated_by = excluded.updated_by",
            (practice_id, delay, zone, now, principal.account_id),
        )
        conn.executemany(
            "INSERT INTO oncall_rung (practice_id, position, account_id, days, start_minute,"
            " end_minute) VALUES (?, ?, ?, ?, ?, ?)",
            [
                (
                    practice_id,
                    i,
                    r.account_id,
                    "".join(str(d) for d in sorted(r.days)),
                    r.start,
                    r.end,
                )
                for i, r in enumerate(rungs)
            ],
        )
        env.record(
            conn,
            Action.LADDER_CHANGED,
            request,
            actor=principal.actor,
            targets={"practice": practice_id},
            detail={"rungs": len(rungs), "delay_seconds": delay, "timezone": zone},
        )
        return load(conn, env, practice_id).as_json(env.now(), members)

    return env.db.write(tx)

"""Counts for the console's pictures and the alerts, on the audit index of a real vault."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from audit.entry import Action, Actor, AuditEntry, Outcome
from vault.auditing import alerts, statistics
from vault.business_hours import BusinessHours
from vault.storage.database import Database

T0 = datetime(2026, 11, 23, 9, 0, tzinfo=UTC)  # a Monday, 10:00 in Paris
HOURS = BusinessHours.parse("Mon-Fri 08:00-19:00", "Europe/Paris")


def _append(db: Database, action: Action, at: datetime, **fields: object) -> int:
    from audit.log import AuditLog

    entry = AuditEntry.new(action, now=at, **fields)
    return db.write(lambda c: AuditLog().append(c, entry))


def test_business_hours_parse_and_contain() -> None:
    assert HOURS.contains(T0)
    assert not HOURS.contains(T0.replace(hour=19))  # 20:00 in Paris
    assert not HOURS.contains(T0 + timedelta(days=5))  # Saturday
    assert HOURS.hour_open(0, 8) and not HOURS.hour_open(0, 19) and not HOURS.hour_open(6, 10)
    every = BusinessHours.parse("Sat-Mon 00:00-24:00", "UTC")
    assert every.days == frozenset({5, 6, 0}) and every.contains(T0 + timedelta(days=5))


def test_accesses_per_practice_per_day_and_off_hours(database: Database) -> None:
    """Reads count per local day and practice; an access at 23:30 is listed as off hours."""
    reader = Actor(account="a1", name="dr.martin", role="member")
    for day in range(3):
        for _ in range(day + 1):
            _append(
                database,
                Action.ITEM_READ,
                T0 + timedelta(days=day),
                actor=reader,
                targets={"practice": "p1", "item": "i1"},
            )
    late = _append(
        database,
        Action.ITEM_DOWNLOADED,
        T0.replace(hour=22, minute=30),
        actor=reader,
        targets={"practice": "p2", "item": "i2"},
    )
    _append(database, Action.LOGIN_FAILED, T0, actor=Actor(name="x"), outcome=Outcome.DENIED)
    window = statistics.Window(T0.date(), T0.date() + timedelta(days=6))
    stats = database.read(lambda c: statistics.activity(c, window, HOURS))
    assert [stats.accesses["p1"][T0.date() + timedelta(days=d)] for d in range(3)] == [1, 2, 3]
    assert sum(stats.accesses["p2"].values()) == 1
    assert stats.failed_logins[T0.date()] == 1
    assert [o[0] for o in stats.off_hours] == [late]
    assert stats.by_hour[(0, 23)] == 1  # 22:30 UTC is 23:30 in Paris, a Monday


def test_alerts_find_bursts_denials_and_failed_verifications(database: Database) -> None:
    for i in range(6):  # six failures in five minutes: one burst
        _append(
            database,
            Action.LOGIN_FAILED,
            T0 + timedelta(minutes=i),
            actor=Actor(name="mallory"),
            outcome=Outcome.DENIED,
        )
    for i in range(4):  # four failures an hour apart: no burst
        _append(
            database,
            Action.LOGIN_FAILED,
            T0 + timedelta(hours=i + 1),
            actor=Actor(name="alice"),
            outcome=Outcome.DENIED,
        )
    denied = _append(
        database,
        Action.ACCESS_DENIED,
        T0,
        outcome=Outcome.DENIED,
        actor=Actor(account="s1", name="sam", role="secretary"),
        targets={"practice": "p9"},
    )
    failed = _append(
        database,
        Action.AUDIT_VERIFIED,
        T0,
        outcome=Outcome.FAILED,
        actor=Actor(account="u1", name="auditor", role="auditor"),
    )
    found = database.read(lambda c: alerts.alerts(c, T0 - timedelta(days=1)))
    kinds = {(a.kind, a.who) for a in found}
    assert kinds == {
        ("login_burst", "mallory"),
        ("practice_denied", "sam"),
        ("verification_failed", "auditor"),
    }
    burst = next(a for a in found if a.kind == "login_burst")
    assert burst.count == 6 and burst.last_index - burst.first_index == 5
    assert {a.first_index for a in found if a.kind != "login_burst"} == {denied, failed}


def test_a_listing_and_a_search_batch_count_as_one_access_each(database: Database) -> None:
    """A page of 50 rows shown is one access (one ``items.listed`` entry), not 50 readings."""
    reader = Actor(account="a1", name="dr.martin", role="member")
    _append(database, Action.ITEMS_LISTED, T0, actor=reader, targets={"practice": "p1"})
    _append(database, Action.ITEMS_SEARCHED, T0, actor=reader, targets={"practice": "p1"})
    stats = database.read(
        lambda c: statistics.activity(c, statistics.Window(T0.date(), T0.date()), HOURS)
    )
    assert stats.accesses == {"p1": {T0.date(): 2}}
    assert set(statistics.ACCESS_ACTIONS) >= {"items.listed", "items.searched"}

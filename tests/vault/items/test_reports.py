"""Activity reports against a seeded dataset whose totals are known by hand.

Practice A, October 2026 (Paris time): five calls — sam 60 s, 120 s, 300 s
(one urgent), tess 240 s (started 31 October 23:30 in Paris, which is still
October there) and one with no duration — and one message. Of these six items
four were read after 10, 20, 30 and 40 minutes (median 25) and three handled
after 60, 120 and 180 minutes (median 120). November: one urgent call of
600 s, and a call that started at 00:30 on 1 December in Paris (23:30 UTC on
30 November), which belongs to December. Practice B: one call of 90 s.
"""

from __future__ import annotations

import uuid
from datetime import UTC, date, datetime, timedelta

import pytest

from vault.business_hours import BusinessHours
from vault.clock import iso
from vault.env import Env, Principal, RequestInfo
from vault.errors import AwaitingPracticeKey, Forbidden, InvalidInput, NotFound
from vault.identity import accounts
from vault.identity.roles import Role
from vault.items.reports import compute, to_csv, view
from vault.opening import Vault
from vault.storage.store import Connection

R = RequestInfo(request_id="test")
OCT, NOV = date(2026, 10, 1), date(2026, 11, 1)


@pytest.fixture
def env(vault: Vault) -> Env:
    return vault.env


def _t(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=UTC)


def _seed(env: Env) -> dict[str, str]:
    ids: dict[str, str] = {}
    for name, role, practice in (
        ("dr.a", Role.MEMBER, "Cabinet A"),
        ("dr.b", Role.MEMBER, "Cabinet B"),
        ("sam", Role.SECRETARY, None),
        ("tess", Role.SECRETARY, None),
    ):
        inv = accounts.invite(
            env, R, None, username=name, display_name=name, role=role, practice_name=practice
        )
        ids[name] = inv.account_id
    rows = env.db.read(lambda c: c.execute("SELECT name, id FROM practice").fetchall())
    ids.update({str(n): str(i) for n, i in rows})
    a, b = ids["Cabinet A"], ids["Cabinet B"]
    items = [
        # practice, author, kind, urgency, deposited, call start, seconds, read after, handled after
        (a, "sam", "call_note", 1, "2026-10-05T09:10:00", "2026-10-05T09:00:00", 60, 10, 60),
        (a, "sam", "call_note", 2, "2026-10-06T09:10:00", "2026-10-06T09:00:00", 120, 20, 120),
        (a, "sam", "call_note", 1, "2026-10-07T09:10:00", "2026-10-07T09:00:00", 300, 30, 180),
        (a, "tess", "call_note", 1, "2026-10-31T22:45:00", "2026-10-31T22:30:00", 240, 40, None),
        (a, "tess", "call_note", 0, "2026-10-08T10:00:00", None, None, None, None),
        (a, "tess", "message", 1, "2026-10-09T10:00:00", None, None, None, None),
        (a, "sam", "call_note", 2, "2026-11-10T10:10:00", "2026-11-10T10:00:00", 600, 5, None),
        (a, "sam", "call_note", 1, "2026-11-30T23:40:00", "2026-11-30T23:30:00", 30, None, None),
        (b, "sam", "call_note", 1, "2026-10-12T10:10:00", "2026-10-12T10:00:00", 90, None, None),
    ]

    def tx(conn: Connection) -> None:
        for member, practice in (("dr.a", a), ("dr.b", b)):  # each holds its practice key
            conn.execute(
                "INSERT INTO practice_grant (practice_id, account_id, sealed, created_at)"
                " VALUES (?, ?, x'00', '2026-10-01T00:00:00+00:00')",
                (practice, ids[member]),
            )
        for practice, author, kind, urgency, deposited, started, seconds, read, done in items:
            item_id, at = str(uuid.uuid4()), _t(deposited)
            conn.execute(
                "INSERT INTO item (id, practice_id, author_id, kind, urgency, pinned, status,"
                " deposited_at, envelope, size, blob_size, call_started_at, call_seconds)"
                " VALUES (?, ?, ?, ?, ?, 0, 'new', ?, x'00', 1, ?, ?, ?)",
                (
                    item_id,
                    practice,
                    ids[author],
                    kind,
                    urgency,
                    iso(at),
                    0 if kind == "extract" else None,
                    iso(_t(started)) if started else None,
                    seconds,
                ),
            )
            for status, after in (("read", read), ("handled", done)):
                if after is not None:
                    conn.execute(
                        "INSERT INTO item_status (item_id, status, account_id, at)"
                        " VALUES (?, ?, ?, ?)",
                        (item_id, status, ids["dr.a"], iso(at + timedelta(minutes=after))),
                    )

    env.db.write(tx)
    return ids


def test_figures_match_the_known_totals(env: Env) -> None:
    _seed(env)
    hours = BusinessHours.of(env.settings)
    report = env.db.read(lambda c: compute(c, hours, OCT, NOV))
    by = {(p.practice, p.month): p for p in report.practices}
    october = by[("Cabinet A", "2026-10")]
    assert (october.calls, october.call_minutes, october.average_minutes) == (5, 12.0, 3.0)
    assert (october.urgent_calls, october.items, october.unread, october.unhandled) == (1, 6, 2, 3)
    assert (october.median_minutes_to_read, october.median_minutes_to_handled) == (25.0, 120.0)
    november = by[("Cabinet A", "2026-11")]
    assert (november.calls, november.call_minutes, november.urgent_calls) == (1, 10.0, 1)
    assert november.items == 1  # the 23:40 UTC deposit of 30 November is in December, in Paris
    assert by[("Cabinet B", "2026-10")].calls == 1
    people = {
        (s.practice, s.month, s.secretary): (s.calls, s.call_minutes) for s in report.secretaries
    }
    assert people[("Cabinet A", "2026-10", "sam")] == (3, 8.0)
    assert people[("Cabinet A", "2026-10", "tess")] == (2, 4.0)
    assert people[("Cabinet B", "2026-10", "sam")] == (1, 1.5)


def test_members_see_their_own_practice_only_and_views_are_recorded(env: Env) -> None:
    ids = _seed(env)
    member = Principal(ids["dr.a"], "dr.a", Role.MEMBER, ids["Cabinet A"])
    own = view(env, R, member, OCT, NOV)
    assert {p.practice for p in own.practices} == {"Cabinet A"}
    with pytest.raises(NotFound):
        view(env, R, member, OCT, NOV, ids["Cabinet B"])
    with pytest.raises(Forbidden):
        view(env, R, Principal(ids["sam"], "sam", Role.SECRETARY), OCT, NOV)
    with pytest.raises(InvalidInput):
        view(env, R, member, NOV, OCT)
    admin = Principal(str(uuid.uuid4()), "root", Role.ADMIN)
    assert {p.practice for p in view(env, R, admin, OCT, NOV).practices} == {
        "Cabinet A",
        "Cabinet B",
    }
    last = env.db.read(lambda c: env.log.entry(c, env.log.size(c) - 1)).entry
    assert last.action == "report.viewed" and last.actor.name == "root"


def test_a_member_nobody_granted_the_key_sees_no_report(env: Env) -> None:
    """A member an admin added to Cabinet A, not yet granted its key: no report of it."""
    ids = _seed(env)
    planted = accounts.invite(
        env,
        R,
        None,
        username="planted",
        display_name="P",
        role=Role.MEMBER,
        practice_name="Cabinet A",
    )
    member = Principal(planted.account_id, "planted", Role.MEMBER, ids["Cabinet A"])
    with pytest.raises(AwaitingPracticeKey):
        view(env, R, member, OCT, NOV)


def test_csv_has_both_tables_and_neutralises_formulas(env: Env) -> None:
    _seed(env)
    env.db.write(
        lambda c: c.execute("UPDATE practice SET name = '=HYPERLINK(1)' WHERE name = 'Cabinet B'")
    )
    hours = BusinessHours.of(env.settings)
    text = to_csv(env.db.read(lambda c: compute(c, hours, OCT, OCT)))
    lines = text.splitlines()
    assert lines[0].startswith("section,practice,month,secretary,calls,call_minutes")
    assert "practice,Cabinet A,2026-10,,5,12.0,3.0,1,6,25.0,120.0,2,3" in lines
    assert "secretary,Cabinet A,2026-10,sam,3,8.0,,,,,,," in lines
    assert any(line.startswith("practice,'=HYPERLINK(1)") for line in lines)

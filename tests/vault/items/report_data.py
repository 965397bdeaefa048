"""Activity reports: a dataset whose totals are known by hand (used by test_reports.py).

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

from vault.clock import iso
from vault.env import Env, RequestInfo
from vault.identity import accounts
from vault.identity.roles import Role
from vault.storage.store import Connection

R = RequestInfo(request_id="test")
OCT, NOV = date(2026, 10, 1), date(2026, 11, 1)


def _t(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=UTC)


def seed(env: Env) -> dict[str, str]:
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

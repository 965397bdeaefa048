"""A signed-in account refused a route again and again costs the log one entry and a count
per window (a member hitting /audit from 8 threads appended ~750 entries a second)."""

from __future__ import annotations

from tests.web.test_member_invitations import Practice, clock_fixture, practice  # noqa: F401
from vault.identity import refusals


def test_repeated_route_denials_are_counted(practice: Practice) -> None:  # noqa: F811
    start = practice.size()
    for _ in range(30):
        r = practice.client.get("/audit", headers={"accept": "application/json"})
        assert r.status_code == 403
    assert practice.size() == start + 1
    (first,) = practice.entries(start)
    assert (first.action, first.detail["route"]) == ("access.denied", "audit_console")
    # Another route is another subject: its first denial is recorded on its own.
    assert (
        practice.client.get("/admin/accounts", headers={"accept": "application/json"}).status_code
        == 403
    )
    assert practice.size() == start + 2
    practice.clock.advance(seconds=refusals.WINDOW.total_seconds())
    refusals.flush_closed(practice.env)  # unless the app's sweeper was quicker
    counted = practice.entries(start + 2)
    assert [(e.detail["reason"], e.detail["count"]) for e in counted] == [("repeated", 29)]
    assert counted[0].actor.account == practice.ids["doctor"]

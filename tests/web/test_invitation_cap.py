"""A member invites at most ``accounts.MEMBER_INVITATIONS_PER_DAY`` colleagues in 24 hours
(every invitation creates a vault-wide username: 40 in a row all used to succeed). The
refusal is one sentence in both languages, and is audited as counted refusals."""

from __future__ import annotations

from tests.web.test_member_invitations import Practice, clock_fixture, practice  # noqa: F401
from vault.env import Principal, RequestInfo
from vault.identity import accounts, refusals
from vault.identity.roles import Role

CAP = 20  # accounts.MEMBER_INVITATIONS_PER_DAY, checked below


def test_a_member_invites_at_most_twenty_colleagues_a_day(practice: Practice) -> None:  # noqa: F811
    for n in range(CAP):
        status, text, _ = practice.invite(f"new.colleague{n}")
        assert status == 200, text
    start = practice.size()
    status, text, headers = practice.invite("one.too.many")
    assert status == 429, text
    assert "colleagues" in text and "24 hours" in text
    assert 0 < int(headers["retry-after"]) <= 24 * 3600 + 1
    status, text, _ = practice.invite("one.too.many", lang="fr")
    assert status == 429 and "24 heures" in text
    assert practice.size() == start  # counted, not appended one by one
    practice.clock.advance(seconds=refusals.WINDOW.total_seconds())
    refusals.flush_closed(practice.env)  # unless the app's sweeper was quicker
    (entry,) = practice.entries(start)
    assert (entry.action, entry.outcome) == ("account.invited", "denied")
    assert (entry.detail["reason"], entry.detail["count"]) == ("daily_limit", 2)
    assert entry.actor.account == practice.ids["doctor"]
    # A day after the first invitation, one more is allowed (the web session has expired).
    practice.clock.advance(days=1)
    env, doctor = practice.env, practice.ids["doctor"]
    (practice_id,) = env.db.read(
        lambda c: c.execute("SELECT practice_id FROM account WHERE id = ?", (doctor,)).fetchone()
    )
    by = Principal(doctor, "doctor", Role.MEMBER, practice_id)
    accounts.invite(env, RequestInfo(), by, username="next.day", display_name="N", role=Role.MEMBER)
    assert accounts.MEMBER_INVITATIONS_PER_DAY == CAP

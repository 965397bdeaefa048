"""The member invitation form is no username oracle: one answer, throttled, audited.

Usernames are unique across the vault, so a member inviting a name taken elsewhere
must be refused; the form's answer must not confirm that such an account exists,
and a member (or a stolen member session) must not be able to test names quickly
or unseen.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime

import pytest
from starlette.testclient import TestClient

from audit.entry import AuditEntry, decode
from cli.client import sign_in
from tests.people import TestClientTransport, enrol
from tests.vault.conftest import Clock
from vault.env import Env, Principal, RequestInfo
from vault.identity import accounts, refusals, throttle
from vault.identity.roles import Role
from vault.opening import Vault
from web.app import create_app


@dataclass
class Practice:
    env: Env
    clock: Clock
    client: TestClient  # signed in as the member "doctor" of Cabinet A
    ids: dict[str, str]

    def invite(self, username: str, lang: str = "en") -> tuple[int, str, dict[str, str]]:
        response = self.client.post(
            "/practice/invitations",
            data={"username": username, "display_name": "Someone"},
            headers={"hx-request": "true", "accept-language": lang},
        )
        return response.status_code, response.text, dict(response.headers)

    def entries(self, start: int) -> list[AuditEntry]:
        return self.env.db.read(
            lambda c: [decode(leaf).entry for leaf in self.env.log.leaves(c, start)]
        )

    def size(self) -> int:
        return self.env.db.read(self.env.log.size)


@pytest.fixture(name="clock")
def clock_fixture() -> Clock:
    return Clock(datetime.now(UTC).replace(microsecond=0))


@pytest.fixture
def practice(vault: Vault, clock: Clock) -> Iterator[Practice]:
    vault = vault.with_env(now=clock)
    env = vault.env
    doctor = enrol(env, Role.MEMBER, "doctor", practice="Cabinet A")
    ids = {
        "doctor": doctor.account_id,
        "colleague": enrol(env, Role.MEMBER, "colleague", practice="Cabinet A").account_id,
        "dr.other": enrol(env, Role.MEMBER, "dr.other", practice="Cabinet B").account_id,
        "sophie": enrol(env, Role.SECRETARY, "sophie").account_id,
        "root": enrol(env, Role.ADMIN, "root").account_id,
    }
    with TestClient(create_app(vault)) as client:
        transport = TestClientTransport(client)
        sign_in(transport, doctor.username, doctor.password, doctor.code())
        client.headers["x-csrf-token"] = transport.csrf
        yield Practice(env, clock, client, ids)


def test_a_name_taken_outside_the_practice_is_not_confirmed(practice: Practice) -> None:
    """A member of another practice, a secretary, an admin: one answer, saying nothing of them.

    The answer is a 409 that does not say the name is taken or exists (in English and in
    French), is byte-identical for the three kinds of account, and differs from the
    answer about a colleague of the member's own practice (whom the page lists anyway).
    """
    status, colleague, _ = practice.invite("colleague")
    assert status == 409 and "already has an account in your practice" in colleague
    answers = {name: practice.invite(name)[:2] for name in ("dr.other", "sophie", "root")}
    assert {status for status, _ in answers.values()} == {409}
    assert len({text for _, text in answers.values()}) == 1
    text = answers["root"][1]
    assert "cannot be used" in text
    for word in ("taken", "exist", "already"):
        assert word not in text
    practice.clock.advance(seconds=1)  # the third refusal made the member wait a second
    french = practice.invite("DR.OTHER", "fr")[1]
    assert "ne peut pas être utilisé\u00a0:" in french and "déjà" not in french


def test_refusals_are_audited_with_the_account_they_hit(practice: Practice) -> None:
    """Each refused invitation is an ``account.invited`` entry, denied, naming both accounts."""
    start = practice.size()
    practice.invite("dr.other")
    (entry,) = practice.entries(start)
    assert (entry.action, entry.outcome) == ("account.invited", "denied")
    assert entry.actor.account == practice.ids["doctor"]
    assert entry.targets["account"] == practice.ids["dr.other"]
    assert entry.detail["reason"] == "username_unavailable"


def test_testing_names_is_throttled_per_member(practice: Practice) -> None:
    """From the 3rd refusal the member waits (429 + Retry-After); 10 a day, then refused.

    While waiting, even a free name waits (nothing is looked up), and the refusals are
    counted into one audited entry; once the delay has passed a free name is invited.
    """
    for _ in range(throttle.INVITE_LIMIT.delay_from):
        assert practice.invite("dr.other")[0] == 409
    start = practice.size()
    status, _, headers = practice.invite("sophie")
    assert status == 429 and headers["retry-after"] == "1"
    assert practice.invite("free.name")[0] == 429
    assert practice.size() == start  # counted, not appended one by one
    practice.clock.advance(seconds=1)
    assert practice.invite("free.name")[0] == 200
    counted = [e for e in practice.entries(start) if e.outcome == "denied"]
    assert [(e.detail["reason"], e.detail["count"]) for e in counted] == [("throttled", 2)]

    refused = throttle.INVITE_LIMIT.delay_from
    while refused < throttle.INVITE_LIMIT.max_failures:
        status, _, headers = practice.invite("root")
        if status == 429:
            practice.clock.advance(seconds=int(headers["retry-after"]))
        else:
            assert status == 409
            refused += 1
    capped = practice.size()
    status, _, headers = practice.invite("another.free.name")
    assert status == 429 and int(headers["retry-after"]) > 3600
    practice.clock.advance(seconds=refusals.WINDOW.total_seconds())
    refusals.flush_closed(practice.env)  # unless the app's sweeper was quicker
    (last,) = practice.entries(capped)
    assert (last.action, last.detail["reason"], last.detail["count"]) == (
        "account.invited",
        "throttled",
        1,
    )


def test_a_free_name_is_invited_and_costs_nothing(practice: Practice) -> None:
    """Inviting colleagues with free names is never throttled: twelve in a row succeed."""
    for n in range(12):
        status, text, _ = practice.invite(f"new.colleague{n}")
        assert status == 200 and "/enrol/" in text


# A member invites at most ``accounts.MEMBER_INVITATIONS_PER_DAY`` colleagues in 24 hours
CAP = 20  # accounts.MEMBER_INVITATIONS_PER_DAY, checked below


def test_a_member_invites_at_most_twenty_colleagues_a_day(practice: Practice) -> None:
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


# A signed-in account refused a route again and again costs the log one entry and a count
def test_repeated_route_denials_are_counted(practice: Practice) -> None:
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

"""A ladder of three members escalates step by step on an injected clock, and stops at the
first acknowledgement; the end of the ladder tells every member and the secretary."""

from __future__ import annotations

from dataclasses import replace
from email.message import EmailMessage, Message

import pytest

from crypto.envelope import Urgency
from tests.factories import REQ, Person, World, add_account, audit_actions, deposit_item
from tests.vault.notify.receivers import Inbox, mail_text
from vault.identity.roles import Role
from vault.items import inbox
from vault.notify import delivery, engine, ladder, trail
from vault.settings import SmtpSettings

ALL_DAYS = [1, 2, 3, 4, 5, 6, 7]
DELAY = 600


@pytest.fixture
def three(world: World, mailbox: Inbox) -> tuple[World, list[Person]]:
    """Dr Martin, Dr Bernard, Dr Petit on call all day, every day, 10 minutes apart; the
    secretary has a mail address."""
    w = world
    smtp_settings = SmtpSettings(host="127.0.0.1", port=mailbox.port, sender="vault@example.org")
    w.env = replace(w.env, settings=replace(w.env.settings, smtp=smtp_settings))
    bernard = add_account(w.env, Role.MEMBER, "dr.bernard@example.org", w.practice)
    petit = add_account(w.env, Role.MEMBER, "dr.petit@example.org", w.practice)
    members = [w.member, bernard, petit]
    w.env.db.write(
        lambda c: c.execute(
            "UPDATE account SET username = 'sophie@example.org' WHERE id = ?", (w.secretary.id,)
        )
    )
    ladder.replace(
        w.env,
        REQ,
        w.member.principal,
        {
            "rungs": [
                {"account_id": m.id, "days": ALL_DAYS, "start": "00:00", "end": "00:00"}
                for m in members
            ],
            "delay_minutes": DELAY // 60,
        },
    )
    return w, members


def _to(mailbox: Inbox) -> list[str]:
    got = [to[0] for to, _ in mailbox.mails]
    mailbox.mails.clear()
    return got


def _urgent(w: World) -> str:
    return deposit_item(w, urgency=Urgency.URGENT)


def test_the_ladder_is_climbed_one_person_per_delay(
    three: tuple[World, list[Person]], mailbox: Inbox
) -> None:
    w, _ = three
    iid = _urgent(w)
    assert engine.tick(w.env) == (1, 0)
    assert _to(mailbox) == ["dr.martin@example.org"]
    w.clock.advance(DELAY - 1)
    assert engine.tick(w.env) == (0, 0)  # not yet: the delay has not passed
    w.clock.advance(1)
    assert engine.tick(w.env) == (1, 0) and _to(mailbox) == ["dr.bernard@example.org"]
    w.clock.advance(DELAY)
    assert engine.tick(w.env) == (1, 0) and _to(mailbox) == ["dr.petit@example.org"]
    w.clock.advance(DELAY)
    engine.tick(w.env)
    final = sorted(_to(mailbox))
    assert final == sorted(
        [
            "dr.martin@example.org",
            "dr.bernard@example.org",
            "dr.petit@example.org",
            "sophie@example.org",
        ]
    )
    w.clock.advance(DELAY * 10)
    assert engine.tick(w.env) == (0, 0) and mailbox.mails == []  # the escalation has ended
    states = [(s.recipient_id, s.state, s.purpose) for s in trail.trail_for_env(w.env, iid)]
    assert (w.secretary.id, "sent", "unacknowledged") in states
    assert [a for a in audit_actions(w.env) if a.startswith("escalation.")] == [
        "escalation.started",
        *["escalation.step"] * 4,
        "escalation.ended",
    ]


def test_the_secretary_is_told_to_phone_the_practice(
    three: tuple[World, list[Person]], mailbox: Inbox
) -> None:
    w, _ = three
    _urgent(w)
    for _ in range(4):
        engine.tick(w.env)
        w.clock.advance(DELAY)
    mails: dict[str, Message] = {}
    for to, mail in mailbox.mails:
        mails[to[0]] = mail
    text = mail_text(mails["sophie@example.org"])
    assert "toujours pas pris en charge" in text and "appelez le cabinet" in text
    assert "10\u00a0h\u00a000" in text  # deposited at 09:00 UTC, 10 h 00 in Paris


def test_an_acknowledgement_stops_the_ladder(
    three: tuple[World, list[Person]], mailbox: Inbox
) -> None:
    w, (_, bernard, _) = three
    iid = _urgent(w)
    engine.tick(w.env)
    w.clock.advance(DELAY)
    engine.tick(w.env)
    assert _to(mailbox) == ["dr.martin@example.org", "dr.bernard@example.org"]
    w.clock.advance(60)
    inbox.set_status(w.env, REQ, bernard.principal, iid, "acknowledged")
    for _ in range(5):
        w.clock.advance(DELAY)
        assert engine.tick(w.env) == (0, 0)
    assert mailbox.mails == []
    steps = trail.trail_for_env(w.env, iid)
    assert [(s.recipient_name, s.state) for s in steps] == [
        ("Dr.Martin@Example.Org", "sent"),
        ("Dr.Bernard@Example.Org", "sent"),
        ("Dr.Bernard@Example.Org", "acknowledged"),
    ]
    assert audit_actions(w.env).count("escalation.ended") == 1


def test_handling_the_item_also_stops_it(three: tuple[World, list[Person]], mailbox: Inbox) -> None:
    w, (martin, _, _) = three
    iid = _urgent(w)
    inbox.set_status(w.env, REQ, martin.principal, iid, "handled")
    assert engine.tick(w.env) == (0, 0)  # the first message was cancelled before it left
    w.clock.advance(DELAY)
    assert engine.tick(w.env) == (0, 0) and mailbox.mails == []
    assert [s.state for s in trail.trail_for_env(w.env, iid)] == ["cancelled", "acknowledged"]


def test_only_members_on_call_now_are_climbed(world: World, mailbox: Inbox) -> None:
    """Saturday 10 h in Paris: the weekday rung is skipped, the weekend one is told first."""
    w = world
    smtp_settings = SmtpSettings(host="127.0.0.1", port=mailbox.port, sender="vault@example.org")
    w.env = replace(w.env, settings=replace(w.env.settings, smtp=smtp_settings))
    weekend = add_account(w.env, Role.MEMBER, "dr.weekend@example.org", w.practice)
    ladder.replace(
        w.env,
        REQ,
        w.member.principal,
        {
            "rungs": [
                {
                    "account_id": w.member.id,
                    "days": [1, 2, 3, 4, 5],
                    "start": "08:00",
                    "end": "19:00",
                },
                {"account_id": weekend.id, "days": [6, 7], "start": "09:30", "end": "10:30"},
            ]
        },
    )
    _urgent(w)  # 2026-11-28 09:00 UTC is a Saturday, 10:00 in Paris
    engine.tick(w.env)
    assert _to(mailbox) == ["dr.weekend@example.org"]
    w.clock.advance(DELAY)
    engine.tick(w.env)  # nobody else on call: the end of the ladder, every member
    assert sorted(_to(mailbox)) == ["dr.martin@example.org", "dr.weekend@example.org"]


def test_without_a_ladder_every_member_is_told_at_once(world: World, mailbox: Inbox) -> None:
    """Then, a delay later, every member again and the secretary: still unacknowledged."""
    w = world
    w.env.db.write(
        lambda c: c.execute(
            "UPDATE account SET username = 'sophie@example.org' WHERE id = ?", (w.secretary.id,)
        )
    )
    add_account(w.env, Role.MEMBER, "dr.bernard@example.org", w.practice)
    smtp_settings = SmtpSettings(host="127.0.0.1", port=mailbox.port, sender="vault@example.org")
    w.env = replace(w.env, settings=replace(w.env.settings, smtp=smtp_settings))
    _urgent(w)
    engine.tick(w.env)
    assert sorted(_to(mailbox)) == ["dr.bernard@example.org", "dr.martin@example.org"]
    w.clock.advance(DELAY - 1)
    assert engine.tick(w.env) == (0, 0)
    w.clock.advance(1)
    engine.tick(w.env)
    assert sorted(_to(mailbox)) == [
        "dr.bernard@example.org",
        "dr.martin@example.org",
        "sophie@example.org",
    ]
    w.clock.advance(DELAY)
    assert engine.tick(w.env) == (0, 0)


def test_a_failing_first_step_never_fails_the_deposit(
    three: tuple[World, list[Person]], mailbox: Inbox, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The first step runs inside the deposit; if it raises, the deposit still commits and
    the server's next round runs the step."""
    w, _ = three

    def broken(conn: object, account_id: str, urgency: str) -> list[tuple[str, str]]:
        raise RuntimeError("a bug")

    monkeypatch.setattr(engine, "reachable", broken)
    iid = _urgent(w)
    assert w.env.db.read(lambda c: c.execute("SELECT count(*) FROM item").fetchone()[0]) == 1
    assert trail.trail_for_env(w.env, iid) == []
    monkeypatch.undo()
    assert engine.tick(w.env) == (1, 0)
    assert _to(mailbox) == ["dr.martin@example.org"]


def test_someone_no_channel_reaches_is_passed_over(
    three: tuple[World, list[Person]], mailbox: Inbox
) -> None:
    """Dr Bernard has no e-mail username and nothing verified: the ladder goes from
    Dr Martin to Dr Petit one delay later, instead of waiting a delay for nobody."""
    w, (_, bernard, _) = three
    w.env.db.write(
        lambda c: c.execute("UPDATE account SET username = 'bernard' WHERE id = ?", (bernard.id,))
    )
    _urgent(w)
    engine.tick(w.env)
    assert _to(mailbox) == ["dr.martin@example.org"]
    w.clock.advance(DELAY)
    engine.tick(w.env)
    assert _to(mailbox) == ["dr.petit@example.org"]


def test_a_phone_number_without_a_gateway_is_not_used(
    three: tuple[World, list[Person]], mailbox: Inbox
) -> None:
    """A verified phone number but no SMS gateway configured: only the mail goes, and no
    message waits in the trail to be retried for ever."""
    w, (martin, _, _) = three
    at = "2026-11-28T08:00:00.000Z"
    w.env.db.write(
        lambda c: c.execute(
            "INSERT INTO contact VALUES (?, 'email', 'martin@example.org', ?),"
            " (?, 'sms', '+33612345678', ?)",
            (martin.id, at, martin.id, at),
        )
    )
    iid = _urgent(w)
    assert engine.tick(w.env) == (1, 0)
    assert [s.channel for s in trail.trail_for_env(w.env, iid)] == ["email"]


def test_a_slow_relay_never_lets_another_process_send_the_same_message(
    three: tuple[World, list[Person]], mailbox: Inbox
) -> None:
    """Each message takes most of a lease to send; after two of the four, another process
    runs its round and sends the other two. Every message still goes once: a message is
    leased when its own turn comes, not with the whole round."""
    w, _ = three
    for _ in range(3):  # climb the ladder's three rungs
        _urgent_or_step(w)
    w.clock.advance(DELAY)
    engine.advance(w.env)  # its end: four messages due at once
    sent: list[str] = []

    def other(to: str, mail: EmailMessage) -> None:
        sent.append(to)

    def this(to: str, mail: EmailMessage) -> None:
        sent.append(to)
        w.clock.advance(delivery.LEASE_SECONDS * 0.6)
        if len(sent) == 2:
            delivery.deliver_due(w.env, worker="other", mail=other)

    delivery.deliver_due(w.env, worker="this", mail=this)
    assert len(sent) == 4 and len(set(sent)) == 4, sent


def _urgent_or_step(w: World) -> None:
    if not w.env.db.read(lambda c: c.execute("SELECT count(*) FROM escalation").fetchone()[0]):
        _urgent(w)
    else:
        w.clock.advance(DELAY)
    engine.advance(w.env)
    delivery.deliver_due(w.env)


def test_a_message_claimed_by_a_process_whose_heartbeat_stopped_is_taken_over(
    three: tuple[World, list[Person]], mailbox: Inbox
) -> None:
    """A server process claims a message and is killed before it sends: while its heartbeat
    lives the message is its own; once the heartbeat has stopped, another process sends it,
    long before the claim's own lease would have ended."""
    from vault import leases

    w, _ = three
    _urgent(w)
    leases.beat(w.env, holder="killed")
    claimed = delivery._claim(w.env, "killed", w.clock(), 1)  # and then SIGKILL
    assert len(claimed) == 1
    leases.beat(w.env, holder="alive")
    assert delivery.deliver_due(w.env, worker="alive") == (0, 0)  # its heartbeat still lives
    w.clock.advance(leases.HEARTBEAT_LEASE)
    leases.beat(w.env, holder="alive")
    assert delivery.deliver_due(w.env, worker="alive") == (1, 0)
    assert len(mailbox.mails) == 1


def test_a_claimer_that_never_beat_keeps_its_lease(
    three: tuple[World, list[Person]], mailbox: Inbox
) -> None:
    w, _ = three
    _urgent(w)
    assert len(delivery._claim(w.env, "a command", w.clock(), 1)) == 1
    w.clock.advance(delivery.LEASE_SECONDS - 1)
    assert delivery.deliver_due(w.env, worker="server") == (0, 0)
    w.clock.advance(1)
    assert delivery.deliver_due(w.env, worker="server") == (1, 0)

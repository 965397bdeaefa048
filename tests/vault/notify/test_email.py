"""Urgent items notify the practice by content-free mail, through a real SMTP server."""

from __future__ import annotations

from dataclasses import replace
from email.message import Message

from crypto.envelope import Urgency
from tests.factories import (
    World,
    audit_actions,
    call_note_body,
    deposit_as_secretary,
    seal,
)
from tests.vault.notify.receivers import Inbox, free_port, mail_text
from vault.notify import delivery, engine
from vault.settings import SmtpSettings


def _with_smtp(w: World, port: int) -> World:
    smtp = SmtpSettings(host="127.0.0.1", port=port, sender="vault@example.org")
    w.env = replace(w.env, settings=replace(w.env.settings, smtp=smtp))
    return w


def _text(mail: Message) -> str:
    return mail.as_string() + mail_text(mail)


def test_an_urgent_deposit_mails_the_member_without_content(world: World, mailbox: Inbox) -> None:
    """The mail says "1 message urgent pour Cabinet Martin" and links; no word of the note."""
    w = _with_smtp(world, mailbox.port)
    iid, envelope = seal(w.secretary, w.practice, urgency=Urgency.URGENT)
    deposit_as_secretary(w, envelope, iid)
    assert delivery.deliver_due(w.env) == (1, 0)
    ((to, mail),) = mailbox.mails
    assert to == ["dr.martin@example.org"]
    text = _text(mail)
    assert "1 message urgent pour Cabinet Martin" in text and "/n/" in text
    for value in call_note_body().values():
        assert str(value) not in text
    assert iid not in text
    assert audit_actions(w.env)[-1] == "notification.sent"
    assert delivery.deliver_due(w.env) == (0, 0)  # sent once only


def test_a_normal_deposit_sends_nothing(world: World, mailbox: Inbox) -> None:
    w = _with_smtp(world, mailbox.port)
    iid, envelope = seal(w.secretary, w.practice, urgency=Urgency.NORMAL)
    deposit_as_secretary(w, envelope, iid)
    assert engine.tick(w.env) == (0, 0) and mailbox.mails == []


def test_an_smtp_outage_keeps_the_deposit_and_retries_later(world: World, mailbox: Inbox) -> None:
    """With SMTP down the deposit succeeds; the failure is audited and retried after a delay."""
    w = _with_smtp(world, free_port())  # nothing listens there
    iid, envelope = seal(w.secretary, w.practice, urgency=Urgency.URGENT)
    assert deposit_as_secretary(w, envelope, iid).created
    assert delivery.deliver_due(w.env) == (0, 1)
    assert audit_actions(w.env)[-1] == "notification.failed"
    w = _with_smtp(w, mailbox.port)
    assert delivery.deliver_due(w.env) == (0, 0)  # not due yet: backing off
    w.clock.advance(delivery.RETRY_FIRST_SECONDS + 1)
    assert delivery.deliver_due(w.env) == (1, 0)
    assert len(mailbox.mails) == 1 and delivery.pending_count(w.env) == 0


def test_retry_delays_grow_and_cap() -> None:
    delays = [delivery.retry_delay(n).total_seconds() for n in (1, 2, 3, 20)]
    assert delays == [30, 60, 120, delivery.RETRY_MAX_SECONDS]

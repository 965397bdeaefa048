"""Urgent items notify the practice by content-free mail, through a real SMTP server."""

from __future__ import annotations

import socket
from collections.abc import Iterator
from dataclasses import replace
from email import message_from_bytes
from email.message import Message

import pytest
from aiosmtpd.controller import Controller

from crypto.envelope import Urgency
from tests.factories import (
    World,
    audit_actions,
    call_note_body,
    deposit_as_secretary,
    seal,
)
from vault.items import notifications
from vault.settings import SmtpSettings


class _Inbox:
    def __init__(self) -> None:
        self.mails: list[tuple[list[str], Message]] = []

    async def handle_DATA(self, server: object, session: object, envelope: object) -> str:  # noqa: N802 - aiosmtpd's name
        self.mails.append(
            (list(envelope.rcpt_tos), message_from_bytes(envelope.content))  # type: ignore[attr-defined]
        )
        return "250 OK"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture
def smtp() -> Iterator[tuple[_Inbox, int]]:
    handler = _Inbox()
    port = _free_port()
    controller = Controller(handler, hostname="127.0.0.1", port=port)
    controller.start()
    try:
        yield handler, port
    finally:
        controller.stop()


def _with_smtp(w: World, port: int) -> World:
    smtp = SmtpSettings(host="127.0.0.1", port=port, sender="vault@example.org")
    w.env = replace(w.env, settings=replace(w.env.settings, smtp=smtp))
    return w


def test_an_urgent_deposit_mails_each_member_without_content(
    world: World, smtp: tuple[_Inbox, int]
) -> None:
    """The mail says "1 new urgent message" and links to the inbox; no word of the note."""
    handler, port = smtp
    w = _with_smtp(world, port)
    canary = "CANARY-mail-7f3a"
    iid, envelope = seal(w.secretary, w.practice, urgency=Urgency.URGENT)
    deposit_as_secretary(w, envelope, iid)
    assert notifications.deliver_due(w.env) == (1, 0)
    ((to, mail),) = handler.mails
    assert to == ["dr.martin@example.org"]
    text = mail.as_string()
    assert "1 new urgent message" in text and "/inbox" in text
    assert "Cabinet" not in text and canary not in text and "Dupont" not in text
    assert iid not in text
    assert audit_actions(w.env)[-1] == "notification.sent"
    assert notifications.deliver_due(w.env) == (0, 0)  # sent once only
    assert str(call_note_body()["caller_name"]) not in text


def test_a_normal_deposit_sends_nothing(world: World, smtp: tuple[_Inbox, int]) -> None:
    handler, port = smtp
    w = _with_smtp(world, port)
    iid, envelope = seal(w.secretary, w.practice, urgency=Urgency.NORMAL)
    deposit_as_secretary(w, envelope, iid)
    assert notifications.deliver_due(w.env) == (0, 0) and handler.mails == []


def test_an_smtp_outage_keeps_the_deposit_and_retries_later(
    world: World, smtp: tuple[_Inbox, int]
) -> None:
    """With SMTP down the deposit succeeds; the failure is audited and retried after a delay."""
    handler, port = smtp
    w = _with_smtp(world, _free_port())  # nothing listens there
    iid, envelope = seal(w.secretary, w.practice, urgency=Urgency.URGENT)
    assert deposit_as_secretary(w, envelope, iid).created
    assert notifications.deliver_due(w.env) == (0, 1)
    assert audit_actions(w.env)[-1] == "notification.failed"
    w = _with_smtp(w, port)
    assert notifications.deliver_due(w.env) == (0, 0)  # not due yet: backing off
    w.clock.advance(notifications.RETRY_FIRST_SECONDS + 1)
    assert notifications.deliver_due(w.env) == (1, 0)
    assert len(handler.mails) == 1 and notifications.pending_count(w.env) == 0


def test_retry_delays_grow_and_cap() -> None:
    delays = [notifications.retry_delay(n).total_seconds() for n in (1, 2, 3, 20)]
    assert delays == [30, 60, 120, notifications.RETRY_MAX_SECONDS]

"""E-mail, SMS and webhook against real servers started here (aiosmtpd, a local HTTP
server): the webhook's HMAC signature checks, an outage is retried and shows in the
trail, and a canary in every field of the urgent item reaches no message and no log."""

from __future__ import annotations

import hashlib
import hmac
import json
import logging
from dataclasses import replace

import pytest

from crypto.envelope import Urgency, encode_body
from crypto.secret import Secret
from tests.factories import REQ, World, audit_actions, call_note_body, deposit_as_secretary, seal
from tests.vault.notify.receivers import HttpReceiver, Inbox, mail_text
from vault.clock import iso
from vault.items import inbox
from vault.notify import channels, delivery, engine, trail
from vault.settings import SmsSettings, SmtpSettings, WebhookSettings

SECRET = b"webhook-secret-0123456789"
PHONE = "+33612345678"


@pytest.fixture
def wired(world: World, mailbox: Inbox, http: HttpReceiver) -> World:
    """Mail to the test's SMTP server; SMS and webhook to the test's HTTP server; the
    member verified an address and a phone number and chose both for urgent items."""
    w = world
    w.env = replace(
        w.env,
        settings=replace(
            w.env.settings,
            smtp=SmtpSettings(host="127.0.0.1", port=mailbox.port, sender="vault@example.org"),
            sms=SmsSettings(
                url=http.url + "/sms",
                body='{{"to": "{to}", "message": "{text}"}}',
                auth_header=Secret(b"Authorization: Bearer gw-token"),
            ),
            webhook=WebhookSettings(url=http.url + "/hook", secret=Secret(SECRET)),
        ),
    )

    def tx(conn: object) -> None:
        at = iso(w.clock())
        conn.execute(  # type: ignore[attr-defined]
            "INSERT INTO contact (account_id, channel, address, verified_at) VALUES"
            " (?, 'email', 'martin.pro@example.org', ?), (?, 'sms', ?, ?)",
            (w.member.id, at, w.member.id, PHONE, at),
        )
        conn.execute(  # type: ignore[attr-defined]
            "INSERT INTO contact_choice (account_id, urgency, channels)"
            " VALUES (?, 'urgent', 'email,sms')",
            (w.member.id,),
        )

    w.env.db.write(tx)
    return w


def _deposit(w: World, canary: str = "") -> str:
    iid, envelope = seal(
        w.secretary, w.practice, urgency=Urgency.URGENT, body=encode_body(call_note_body(canary))
    )
    deposit_as_secretary(w, envelope, iid)
    return iid


def _check_signature(headers: dict[str, str], body: bytes) -> None:
    timestamp = headers["x-permanence-timestamp"]
    mac = hmac.new(SECRET, timestamp.encode() + b"." + body, hashlib.sha256).hexdigest()
    assert hmac.compare_digest(headers["x-permanence-signature"], "sha256=" + mac)


def test_mail_sms_and_webhook_each_go_out_once(
    wired: World, mailbox: Inbox, http: HttpReceiver
) -> None:
    w = wired
    iid = _deposit(w)
    assert engine.tick(w.env) == (3, 0)
    assert [to for to, _ in mailbox.mails] == [["martin.pro@example.org"]]
    sms, hook = sorted(http.requests, key=lambda r: r.path)[::-1]
    assert sms.path == "/sms" and sms.headers["authorization"] == "Bearer gw-token"
    message = json.loads(sms.body)
    assert message["to"] == PHONE
    assert message["message"].startswith("Permanence : 1 message urgent pour Cabinet Martin http")
    assert hook.path == "/hook"
    _check_signature(hook.headers, hook.body)
    event = json.loads(hook.body)
    assert event["event"] == "urgent" and event["item_id"] == iid and event["step"] == 0
    assert event["text"] == "1 message urgent pour Cabinet Martin"
    assert engine.tick(w.env) == (0, 0)
    channels = sorted(s.channel for s in trail.trail_for_env(w.env, iid))
    assert channels == ["email", "sms", "webhook"]
    inbox.set_status(w.env, REQ, w.member.principal, iid, "acknowledged")
    assert engine.tick(w.env) == (1, 0)  # the webhook hears of the acknowledgement
    last = http.requests[-1]
    _check_signature(last.headers, last.body)
    assert json.loads(last.body)["event"] == "acknowledged"


def test_a_tampered_webhook_body_fails_the_signature(wired: World, http: HttpReceiver) -> None:
    _deposit(wired)
    engine.tick(wired.env)
    hook = next(r for r in http.requests if r.path == "/hook")
    with pytest.raises(AssertionError):
        _check_signature(hook.headers, hook.body.replace(b'"step":0', b'"step":1'))


def test_a_gateway_outage_is_retried_and_shows_in_the_trail(
    wired: World, mailbox: Inbox, http: HttpReceiver
) -> None:
    w = wired
    http.status = 503
    iid = _deposit(w)
    assert engine.tick(w.env) == (1, 2)  # mail went; SMS and webhook answered 503
    states = {s.channel: s.state for s in trail.trail_for_env(w.env, iid)}
    assert states == {"email": "sent", "sms": "failed", "webhook": "failed"}
    assert "notification.failed" in audit_actions(w.env)
    http.status = 200
    assert engine.tick(w.env) == (0, 0)  # backing off
    w.clock.advance(delivery.RETRY_FIRST_SECONDS)
    assert engine.tick(w.env) == (2, 0)
    steps = trail.trail_for_env(w.env, iid)
    assert {s.channel: (s.state, s.attempts) for s in steps} == {
        "email": ("sent", 1),
        "sms": ("retried", 2),
        "webhook": ("retried", 2),
    }


def test_a_canary_in_every_field_reaches_no_message_and_no_log(
    wired: World, mailbox: Inbox, http: HttpReceiver, caplog: pytest.LogCaptureFixture
) -> None:
    """The whole ladder, an outage and its retries, the end of the ladder and the
    acknowledgement: no mail, SMS body, webhook body, header or log line holds the canary."""
    caplog.set_level(logging.DEBUG)
    w = wired
    canary = "CANARY-7f3a9c"
    w.env.db.write(
        lambda c: c.execute(
            "UPDATE account SET username = 'sophie@example.org' WHERE id = ?", (w.secretary.id,)
        )
    )
    http.status = 500
    iid = _deposit(w, canary)
    engine.tick(w.env)
    http.status = 200
    for _ in range(3):
        w.clock.advance(w.env.settings.escalation_delay_seconds)
        engine.tick(w.env)
    inbox.set_status(w.env, REQ, w.member.principal, iid, "acknowledged")
    engine.tick(w.env)
    assert len(mailbox.raw) >= 3 and len(http.requests) >= 4
    seen = [*mailbox.raw]  # as sent, and decoded (a base64 body would hide the canary)
    for _, mail in mailbox.mails:
        seen.append((str(mail["Subject"]) + mail_text(mail)).encode())
    for r in http.requests:
        seen.append(r.body)
        seen.append(r.path.encode())
        seen.append(json.dumps(r.headers).encode())
    seen.append("\n".join(r.getMessage() for r in caplog.records).encode())
    secrets = [canary, *(str(v).replace(canary, "").strip() for v in call_note_body().values())]
    for blob in seen:
        text = blob.decode("utf-8", "replace")
        for value in secrets:
            assert value not in text, (value, text[:200])


def test_a_gateway_redirect_is_a_failure(http: HttpReceiver) -> None:
    """A 302 is not followed (the message and its header would go elsewhere): failed, retried."""
    http.status = 302
    settings = SmsSettings(url=http.url + "/sms", body='{{"to": "{to}", "message": "{text}"}}')
    with pytest.raises(channels.ChannelFailed, match="HTTP 302"):
        channels.send_sms(settings, PHONE, "1 message urgent pour Cabinet Martin")
    assert len(http.requests) == 1

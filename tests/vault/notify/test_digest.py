"""The daily digest: off by default, once per member and day, counts only, real SMTP."""

from __future__ import annotations

import json
import threading
from dataclasses import replace

import pytest

from crypto.envelope import Urgency
from tests.factories import (
    World,
    audit_actions,
    call_note_body,
    deposit_as_secretary,
    open_test_vault,
    seal,
)
from tests.vault.notify.receivers import HttpReceiver
from tests.vault.notify.receivers import Inbox as _Inbox
from vault.env import Env, RequestInfo
from vault.errors import Forbidden, InvalidInput
from vault.notify import digest, verification
from vault.settings import Settings, SmsSettings, SmtpSettings

INFO = RequestInfo(request_id="t")
# The world's clock: 2026-11-28 09:00 UTC, 10:00 in Paris.


def _smtp_env(env: Env, port: int) -> Env:
    smtp_settings = SmtpSettings(host="127.0.0.1", port=port, sender="vault@example.org")
    return replace(env, settings=replace(env.settings, smtp=smtp_settings))


@pytest.fixture
def w(world: World, smtp: tuple[_Inbox, int]) -> World:
    world.env = _smtp_env(world.env, smtp[1])
    world.inbox = smtp[0]  # type: ignore[attr-defined]
    return world


def _mails(w: World) -> list[str]:
    return [
        str(m["Subject"]) + "\n" + m.get_payload(decode=True).decode()
        for _, m in w.inbox.mails  # type: ignore[attr-defined]
    ]


def test_off_by_default(w: World) -> None:
    assert digest.run_due(w.env) == (0, 0)
    w.clock.advance(86400)
    assert digest.run_due(w.env) == (0, 0)
    assert _mails(w) == []


def test_once_a_day_at_the_local_time(w: World) -> None:
    """10:30 in Paris is 09:30 UTC in November: not before, once, and again the next day."""
    setting = digest.set_digest(w.env, INFO, w.member.principal, True, "10h30")
    assert setting == digest.DigestSetting(True, "10:30")
    assert audit_actions(w.env)[-1] == "digest.changed"
    assert digest.run_due(w.env) == (0, 0)  # 10:00 local
    w.clock.advance(29 * 60)
    assert digest.run_due(w.env) == (0, 0)  # 10:29
    w.clock.advance(60)
    assert digest.run_due(w.env) == (1, 0)  # 10:30
    assert [to for to, _ in w.inbox.mails] == [["dr.martin@example.org"]]  # type: ignore[attr-defined]
    for _ in range(3):
        w.clock.advance(3600)
        assert digest.run_due(w.env) == (0, 0)
    w.clock.advance(86400 - 3 * 3600)
    assert digest.run_due(w.env) == (1, 0)  # the next day, 10:30
    assert len(_mails(w)) == 2
    assert audit_actions(w.env)[-1] == "digest.sent"
    digest.set_digest(w.env, INFO, w.member.principal, False)
    w.clock.advance(86400)
    assert digest.run_due(w.env) == (0, 0)


def test_the_body_is_counts_and_a_link_only(w: World) -> None:
    canary = "CANARY-digest-51c2"
    for urgency in (Urgency.URGENT, Urgency.NORMAL):
        iid, envelope = seal(w.secretary, w.practice, urgency=urgency, body=_body(canary))
        deposit_as_secretary(w, envelope, iid)
    digest.set_digest(w.env, INFO, w.member.principal, True, "10:00")
    assert digest.run_due(w.env) == (1, 0)
    (text,) = _mails(w)
    assert "2 new messages in 24 hours" in text
    assert "1 urgent message not acknowledged" in text
    assert "0 messages handled today" in text
    assert "/inbox" in text
    for secret in (canary, "Cabinet Martin", "sophie", str(call_note_body()["caller_name"])):
        assert secret not in text


def _body(canary: str) -> bytes:
    import json

    body = call_note_body(canary)
    return json.dumps(body).encode()


def test_exactly_once_across_two_processes_and_a_restart(
    w: World,
    initialised: Settings,
    smtp: tuple[_Inbox, int],
) -> None:
    """Two vaults opened on one database (two server processes) run the job at the same
    moment, many times: one digest. Opened again later (a restart): still one."""
    digest.set_digest(w.env, INFO, w.member.principal, True, "09:00")
    with open_test_vault(initialised, now=w.clock) as second:
        other = _smtp_env(second.env, smtp[1])
        results: list[tuple[int, int]] = []

        def run(env: Env) -> None:
            for _ in range(5):
                results.append(digest.run_due(env))

        threads = [threading.Thread(target=run, args=(e,)) for e in (w.env, other)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        assert sum(s for s, _ in results) == 1
    with open_test_vault(initialised, now=w.clock) as third:
        assert digest.run_due(_smtp_env(third.env, smtp[1])) == (0, 0)
    assert len(_mails(w)) == 1
    rows = w.env.db.read(lambda c: c.execute("SELECT day, status FROM digest_run").fetchall())
    assert rows == [("2026-11-28", "sent")]


def test_a_mail_server_outage_is_retried_that_day(world: World, smtp: tuple[_Inbox, int]) -> None:
    world.env = _smtp_env(world.env, 9)  # nothing listens there
    digest.set_digest(world.env, INFO, world.member.principal, True, "09:00")
    assert digest.run_due(world.env) == (0, 1)
    assert audit_actions(world.env)[-1] == "digest.failed"
    world.env = _smtp_env(world.env, smtp[1])
    assert digest.run_due(world.env) == (0, 0)  # not before the backoff
    world.clock.advance(30)
    assert digest.run_due(world.env) == (1, 0)
    assert len(smtp[0].mails) == 1


def test_bad_times_and_roles_are_refused(w: World) -> None:
    for typed in ("25:00", "8", "noon", "10:60"):
        with pytest.raises(InvalidInput, match="hours and minutes"):
            digest.set_digest(w.env, INFO, w.member.principal, True, typed)
    with pytest.raises(Forbidden):
        digest.set_digest(w.env, INFO, w.secretary.principal, True, "08:00")


def test_a_digest_by_sms_says_the_counts_only(w: World, http: HttpReceiver) -> None:
    """A member who chose SMS for normal notices gets the digest through the gateway."""
    sms = SmsSettings(url=http.url + "/sms", body='{{"to":"{to}","text":"{text}"}}')
    w.env = replace(w.env, settings=replace(w.env.settings, sms=sms))
    account = w.member.principal.account_id
    w.env.db.write(
        lambda c: c.execute(
            "INSERT INTO contact VALUES (?, 'sms', '+33639980042', '2026-11-01T00:00:00.000Z')",
            (account,),
        )
    )
    verification.choose_channels(w.env, INFO, w.member.principal, "normal", ["sms"])
    iid, envelope = seal(w.secretary, w.practice, urgency=Urgency.URGENT, body=_body("CANARY-sms"))
    deposit_as_secretary(w, envelope, iid)
    digest.set_digest(w.env, INFO, w.member.principal, True, "10:00")
    assert digest.run_due(w.env) == (1, 0)
    (sent,) = [r for r in http.requests if r.path == "/sms"]
    body = json.loads(sent.body)
    assert body["to"] == "+33639980042"
    assert "1 new, 1 urgent not acknowledged, 0 handled today" in body["text"]
    for secret in ("CANARY-sms", "Cabinet Martin", "sophie", iid):
        assert secret not in body["text"]
    assert _mails(w) == []  # not by e-mail: she chose SMS

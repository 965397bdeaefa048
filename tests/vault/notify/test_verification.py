"""Contact details are verified by a code sent through the channel: a real SMTP server here."""

from __future__ import annotations

import json
import logging
import re
from dataclasses import replace

import pytest

from tests.factories import World, audit_actions
from tests.vault.notify.receivers import HttpReceiver
from tests.vault.notify.receivers import Inbox as _Inbox
from vault.env import RequestInfo
from vault.errors import CodeNotSent, CodeRefused, Forbidden, InvalidInput, Throttled
from vault.notify import contacts, verification
from vault.settings import SmsSettings, SmtpSettings

INFO = RequestInfo(request_id="t")


@pytest.fixture
def w(world: World, smtp: tuple[_Inbox, int]) -> World:
    settings = SmtpSettings(host="127.0.0.1", port=smtp[1], sender="vault@example.org")
    world.env = replace(world.env, settings=replace(world.env.settings, smtp=settings))
    world.inbox = smtp[0]  # type: ignore[attr-defined]
    return world


def _code_mailed(w: World) -> str:
    _to, mail = w.inbox.mails[-1]  # type: ignore[attr-defined]
    body = mail.get_payload(decode=True).decode()
    match = re.search(r"\b(\d{6})\b", body)
    assert match is not None
    return match.group(1)


def _ask(w: World, address: str = "martin@cabinet.fr") -> str:
    return verification.request_code(w.env, INFO, w.member.principal, "email", address)


def _confirm(w: World, code: str) -> str:
    return verification.confirm_code(w.env, INFO, w.member.principal, "email", code)


def _reach(w: World) -> list[tuple[str, str]]:
    return w.env.db.read(lambda c: contacts.reachable(c, w.member.principal.account_id, "urgent"))


def test_the_right_code_verifies_the_address(w: World) -> None:
    """The code goes to the typed address, not the username; once typed, it is used."""
    assert _ask(w, " Martin@Cabinet.FR ") == "Martin@cabinet.fr"
    (to, _mail) = w.inbox.mails[-1]  # type: ignore[attr-defined]
    assert to == ["Martin@cabinet.fr"]
    assert _reach(w) == [("email", "dr.martin@example.org")]  # not yet: the old address
    code = _code_mailed(w)
    assert _confirm(w, code[:3] + " " + code[3:]) == "Martin@cabinet.fr"
    assert _reach(w) == [("email", "Martin@cabinet.fr")]
    assert audit_actions(w.env)[-2:] == ["contact.code_sent", "contact.verified"]
    with pytest.raises(CodeRefused, match="No code is waiting"):
        _confirm(w, code)  # used once only


def test_the_code_is_stored_hashed_and_never_audited(w: World) -> None:
    _ask(w)
    code = _code_mailed(w)
    stored = w.env.db.read(lambda c: c.execute("SELECT * FROM contact_code").fetchall())
    assert code not in repr(stored) and code.encode() not in b"".join(
        v for row in stored for v in row if isinstance(v, bytes)
    )
    log = w.env.db.read(lambda c: c.execute("SELECT * FROM audit_entries").fetchall())
    assert code not in repr(log) and "cabinet.fr" not in repr(log)


def test_a_wrong_code_is_refused_and_counted(w: World) -> None:
    _ask(w)
    code = _code_mailed(w)
    wrong = str((int(code) + 1) % 10**6).zfill(6)
    with pytest.raises(CodeRefused, match="not the one we sent"):
        _confirm(w, wrong)
    assert audit_actions(w.env)[-1] == "contact.verified"
    assert _reach(w) == [("email", "dr.martin@example.org")]
    assert _confirm(w, code) == "martin@cabinet.fr"  # the right one still works


def test_too_many_wrong_codes_end_the_code(w: World) -> None:
    _ask(w)
    code = _code_mailed(w)
    wrong = str((int(code) + 1) % 10**6).zfill(6)
    for _ in range(verification.MAX_ATTEMPTS - 1):
        with pytest.raises(CodeRefused, match="not the one we sent"):
            _confirm(w, wrong)
    with pytest.raises(CodeRefused, match="Too many wrong codes"):
        _confirm(w, wrong)
    with pytest.raises(CodeRefused, match="No code is waiting"):
        _confirm(w, code)  # even the right code: it is gone
    assert _reach(w) == [("email", "dr.martin@example.org")]


def test_an_expired_code_is_refused(w: World) -> None:
    _ask(w)
    code = _code_mailed(w)
    w.clock.advance(verification.CODE_MINUTES * 60 + 1)
    with pytest.raises(CodeRefused, match="expired"):
        _confirm(w, code)
    with pytest.raises(CodeRefused, match="No code is waiting"):
        _confirm(w, code)


def test_asking_again_at_once_is_throttled_then_replaces_the_code(w: World) -> None:
    _ask(w)
    first = _code_mailed(w)
    with pytest.raises(Throttled):
        _ask(w)
    w.clock.advance(verification.RESEND_SECONDS)
    _ask(w, "other@cabinet.fr")
    second = _code_mailed(w)
    if first != second:
        with pytest.raises(CodeRefused):
            _confirm(w, first)
    assert _confirm(w, second) == "other@cabinet.fr"


def test_a_mail_server_down_leaves_no_pending_code(world: World) -> None:
    """No SMTP server listening: the refusal says so, and nothing is left waiting."""
    settings = SmtpSettings(host="127.0.0.1", port=9, sender="vault@example.org")
    world.env = replace(world.env, settings=replace(world.env.settings, smtp=settings))
    with pytest.raises(CodeNotSent):
        verification.request_code(world.env, INFO, world.member.principal, "email", "a@b.fr")
    assert (
        world.env.db.read(lambda c: c.execute("SELECT count(*) FROM contact_code").fetchone())[0]
        == 0
    )
    assert audit_actions(world.env)[-1] == "contact.code_sent"


def test_bad_addresses_and_roles_are_refused(w: World) -> None:
    with pytest.raises(InvalidInput, match="e-mail address"):
        _ask(w, "martin")
    with pytest.raises(InvalidInput, match="phone number"):
        verification.request_code(w.env, INFO, w.member.principal, "sms", "12")
    with pytest.raises(InvalidInput):
        verification.request_code(w.env, INFO, w.member.principal, "fax", "12")
    assert w.inbox.mails == []  # type: ignore[attr-defined]


def test_channel_choice_needs_verified_details(w: World) -> None:
    p = w.member.principal
    with pytest.raises(InvalidInput, match="Verify this contact detail"):
        verification.choose_channels(w.env, INFO, p, "urgent", ["sms"])
    with pytest.raises(InvalidInput, match="at least one channel"):
        verification.choose_channels(w.env, INFO, p, "urgent", [])
    _ask(w)
    _confirm(w, _code_mailed(w))
    assert verification.choose_channels(w.env, INFO, p, "normal", []) == ()
    assert w.env.db.read(lambda c: contacts.reachable(c, p.account_id, "normal")) == []
    assert verification.choose_channels(w.env, INFO, p, "urgent", ["email"]) == ("email",)
    assert audit_actions(w.env)[-1] == "contact.channels_chosen"
    verification.remove_detail(w.env, INFO, p, "email")
    assert audit_actions(w.env)[-1] == "contact.removed"
    assert _reach(w) == [("email", "dr.martin@example.org")]  # back to the old address


def test_only_members_and_secretaries_keep_details(w: World) -> None:
    from tests.factories import add_account
    from vault.identity.roles import Role

    auditor = add_account(w.env, Role.AUDITOR, "auditor@example.org")
    with pytest.raises(Forbidden):
        verification.request_code(w.env, INFO, auditor.principal, "email", "a@b.fr")


def _with_gateway(w: World, http: HttpReceiver) -> None:
    sms = SmsSettings(url=http.url + "/sms", body='{{"to":"{to}","text":"{text}"}}')
    w.env = replace(w.env, settings=replace(w.env.settings, sms=sms))


def test_a_phone_number_is_verified_by_a_code_sent_through_the_sms_gateway(
    w: World, http: HttpReceiver
) -> None:
    _with_gateway(w, http)
    p = w.member.principal
    assert verification.request_code(w.env, INFO, p, "sms", "06 39 98 00 42") == "+33639980042"
    (sent,) = http.requests
    body = json.loads(sent.body)
    assert body["to"] == "+33639980042"
    code = re.search(r"\b(\d{6})\b", body["text"])
    assert code is not None
    assert verification.confirm_code(w.env, INFO, p, "sms", code.group(1)) == "+33639980042"
    assert w.env.db.read(lambda c: contacts.reachable(c, p.account_id, "urgent")) == [
        ("sms", "+33639980042")
    ]


def test_a_gateway_outage_leaves_no_pending_code(w: World, http: HttpReceiver) -> None:
    _with_gateway(w, http)
    http.status = 503
    with pytest.raises(CodeNotSent):
        verification.request_code(w.env, INFO, w.member.principal, "sms", "0639980042")
    assert (
        w.env.db.read(lambda c: c.execute("SELECT count(*) FROM contact_code").fetchone())[0] == 0
    )


def test_no_code_or_address_reaches_the_logs(
    w: World, http: HttpReceiver, caplog: pytest.LogCaptureFixture
) -> None:
    """Sent, refused, confirmed, and a gateway outage: the logs name none of them."""
    caplog.set_level(logging.DEBUG)
    _with_gateway(w, http)
    _ask(w)
    code = _code_mailed(w)
    with pytest.raises(CodeRefused):
        _confirm(w, "999999" if code != "999999" else "111111")
    _confirm(w, code)
    http.status = 503
    with pytest.raises(CodeNotSent):
        verification.request_code(w.env, INFO, w.member.principal, "sms", "06 39 98 00 42")
    # Every log line of this process, but the test's own SMTP server's (aiosmtpd's "mail.log").
    text = "\n".join(r.getMessage() for r in caplog.records if r.name != "mail.log")
    assert "could not be sent" in text  # the outage is logged, by its type
    for secret in (code, "martin@cabinet.fr", "+33639980042", "06 39 98 00 42"):
        assert secret not in text

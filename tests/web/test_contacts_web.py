"""Contact details, channels and the digest on /account: forms, codes, clear refusals."""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass, replace

import pytest
from starlette.testclient import TestClient

from tests.factories import Person, World, add_account, session_for
from tests.vault.notify.receivers import Inbox as _Inbox
from tests.vault.notify.receivers import mail_text, mailbox, smtp  # noqa: F401 - the fixtures
from vault.identity.roles import Role
from vault.opening import Vault
from vault.settings import SmtpSettings
from web.app import create_app
from web.session import COOKIE


@dataclass
class Site:
    world: World
    client: TestClient
    inbox: _Inbox

    def as_(self, person: Person, language: str = "en") -> TestClient:
        token, csrf = session_for(self.world.env, person)
        self.client.cookies.clear()
        self.client.cookies.set(COOKIE, token)
        self.client.headers["x-csrf-token"] = csrf
        self.client.headers["hx-request"] = "true"
        self.client.headers["accept-language"] = language
        return self.client

    def code(self) -> str:
        _to, mail = self.inbox.mails[-1]
        match = re.search(r"\b(\d{6})\b", mail_text(mail))
        assert match is not None
        return match.group(1)


@pytest.fixture
def site(world: World, vault: Vault, smtp: tuple[_Inbox, int]) -> Iterator[Site]:  # noqa: F811
    mail = SmtpSettings(host="127.0.0.1", port=smtp[1], sender="vault@example.org")
    settings = replace(vault.env.settings, smtp=mail)
    app = create_app(vault.with_env(now=world.clock, settings=settings))
    with TestClient(app, raise_server_exceptions=False) as c:
        yield Site(world, c, smtp[0])


def test_the_account_page_shows_the_old_address_until_one_is_verified(site: Site) -> None:
    c = site.as_(site.world.member)
    del c.headers["hx-request"]
    page = c.get("/account").text
    assert "Contact details" in page and "Daily digest" in page
    assert "you are told at dr.martin@example.org" in page
    assert "Turn the daily digest on (every day at 8:00\u00a0am)" in page


def test_an_e_mail_address_is_verified_by_its_code(site: Site) -> None:
    c = site.as_(site.world.member)
    sent = c.post(
        "/account/contacts/code", data={"channel": "email", "address": "martin@cabinet.fr"}
    )
    assert sent.status_code == 200, sent.text
    assert "A code was sent to martin@cabinet.fr: type it below." in sent.text
    assert 'data-code-confirm="email"' in sent.text
    assert site.inbox.mails[-1][0] == ["martin@cabinet.fr"]
    wrong = str((int(site.code()) + 1) % 10**6).zfill(6)
    refused = c.post("/account/contacts/verify", data={"channel": "email", "code": wrong})
    assert refused.status_code == 400
    assert "This code is not the one we sent: check it and type it again." in refused.text
    assert 'data-field="code"' in refused.text
    done = c.post("/account/contacts/verify", data={"channel": "email", "code": site.code()})
    assert done.status_code == 200
    assert "Your e-mail address is verified." in done.text
    assert 'data-verified="email"' in done.text and "told at dr.martin" not in done.text


def test_refusals_are_one_sentence_in_french(site: Site) -> None:
    c = site.as_(site.world.member, "fr")
    bad = c.post("/account/contacts/code", data={"channel": "sms", "address": "12"})
    assert bad.status_code == 400
    assert "Tapez un numéro de téléphone" in bad.text and 'data-field="address"' in bad.text
    none = c.post("/account/contacts/verify", data={"channel": "email", "code": "123456"})
    assert none.status_code == 400 and "Aucun code n&#39;attend" in none.text
    urgent = c.post("/account/contacts/channels", data={"urgency": "urgent"})
    assert urgent.status_code == 400 and "au moins un canal" in urgent.text
    time = c.post("/account/digest", data={"enabled": "1", "time": "25:00"})
    assert time.status_code == 400 and "heures et minutes" in time.text


def test_the_digest_is_on_by_one_click(site: Site) -> None:
    c = site.as_(site.world.member, "fr")
    on = c.post("/account/digest", data={"enabled": "1"})
    assert on.status_code == 200 and 'data-digest="on"' in on.text
    assert "Votre résumé quotidien est activé, à 8\u00a0h\u00a000." in on.text
    off = c.post("/account/digest", data={"enabled": "0"})
    assert 'data-digest="off"' in off.text


def test_secretaries_keep_details_but_no_digest_and_auditors_neither(site: Site) -> None:
    c = site.as_(site.world.secretary)
    del c.headers["hx-request"]
    page = c.get("/account").text
    assert "Contact details" in page and "Daily digest" not in page
    assert c.post("/account/digest", data={"enabled": "1"}).status_code == 403
    auditor = add_account(site.world.env, Role.AUDITOR, "audrey")
    c = site.as_(auditor)
    del c.headers["hx-request"]
    assert "Contact details" not in c.get("/account").text
    sent = c.post("/account/contacts/code", data={"channel": "email", "address": "a@b.fr"})
    assert sent.status_code == 403


def test_asking_for_another_code_at_once_says_to_wait(site: Site) -> None:
    c = site.as_(site.world.member, "fr")
    data = {"channel": "email", "address": "martin@cabinet.fr"}
    assert c.post("/account/contacts/code", data=data).status_code == 200
    again = c.post("/account/contacts/code", data=data)
    assert again.status_code == 429 and int(again.headers["retry-after"]) <= 60
    assert "Un code a été envoyé il y a moins d&#39;une minute" in again.text
    assert len(site.inbox.mails) == 1


def test_the_digest_time_is_said_as_pages_say_times(site: Site) -> None:
    """ "8 h 00" in French, "8:00 am" in English, never "08:00" (the input keeps 08:00)."""
    c = site.as_(site.world.member, "fr")
    off = c.post("/account/digest", data={"enabled": "0"}).text
    assert "(chaque jour à 8\u00a0h\u00a000)" in off and "08:00)" not in off
    on = c.post("/account/digest", data={"enabled": "1", "time": "18:30"}).text
    assert "Chaque jour à 18\u00a0h\u00a030" in on and 'value="18:30"' in on
    c = site.as_(site.world.member, "en")
    assert "Every day at 6:30\u00a0pm" in c.get("/account").text


@pytest.mark.parametrize("language", ["en", "fr"])
def test_a_digest_switch_or_time_that_is_not_clear_is_refused(site: Site, language: str) -> None:
    """An empty time with ``enabled=1``, or ``enabled`` neither 0 nor 1: a 400, nothing set."""
    c = site.as_(site.world.member, language)
    c.post("/account/digest", data={"enabled": "1", "time": "18:30"})
    empty = c.post("/account/digest", data={"enabled": "1", "time": ""})
    maybe = c.post("/account/digest", data={"enabled": "maybe"})
    assert empty.status_code == 400 and maybe.status_code == 400
    said = {
        "en": ("hours and minutes", "on (1) or off (0)"),
        "fr": ("heures et minutes", "activé (1) ou désactivé (0)"),
    }[language]
    assert said[0] in empty.text and said[1] in maybe.text
    page = c.get("/account").text
    assert 'data-digest="on"' in page and 'value="18:30"' in page

"""Who acknowledged a deposit, when (local time), and the delivery trail, on the pages."""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import replace

import pytest
from starlette.testclient import TestClient

from crypto.envelope import Urgency
from tests.factories import REQ, World, deposit_as_secretary, seal, session_for
from tests.vault.notify.receivers import Inbox, mailbox  # noqa: F401 - the fixture
from vault.items import inbox
from vault.notify import engine
from vault.opening import Vault
from vault.settings import SmtpSettings
from web.app import create_app
from web.session import COOKIE


@pytest.fixture
def client(world: World, vault: Vault) -> Iterator[TestClient]:
    app = create_app(vault.with_env(now=world.clock))
    with TestClient(app, raise_server_exceptions=False) as c:
        c.world = world  # type: ignore[attr-defined]
        yield c


def _taken(client: TestClient, language: str) -> list[str]:
    world: World = client.world  # type: ignore[attr-defined]
    token, _csrf = session_for(world.env, world.secretary)  # a fresh session: the clock moved
    client.cookies.set(COOKIE, token)
    page = client.get("/workspace/deposits", headers={"accept-language": language}).text
    return [
        re.sub(r"<[^>]+>", "", t)
        for t in re.findall(r"<p class=\"taken\" data-taken-by>(.*?)</p>", page)
    ]


def test_acknowledged_shows_who_and_the_local_time(world: World, client: TestClient) -> None:
    """09:42 UTC on 28 November is 10 h 42 in Paris: the French typography, the local time."""
    iid, envelope = seal(world.secretary, world.practice)
    deposit_as_secretary(world, envelope, iid)
    assert _taken(client, "fr") == []
    world.clock.advance(42 * 60)
    inbox.set_status(world.env, REQ, world.member.principal, iid, "acknowledged")
    name = world.env.db.read(
        lambda c: c.execute(
            "SELECT display_name FROM account WHERE id = ?", (world.member.principal.account_id,)
        ).fetchone()[0]
    )
    assert _taken(client, "fr") == [f"Pris en charge par {name} à 10\u00a0h\u00a042"]
    assert _taken(client, "en") == [f"Acknowledged by {name} at 10:42\u00a0am"]
    world.clock.advance(600)
    inbox.set_status(world.env, REQ, world.member.principal, iid, "handled")
    assert _taken(client, "fr") == [f"Pris en charge par {name} à 10\u00a0h\u00a042"]  # kept


def test_the_delivery_trail_on_the_item_page_and_the_deposits_page(
    world: World,
    vault: Vault,
    mailbox: Inbox,  # noqa: F811 - the fixture
) -> None:
    """An urgent deposit is mailed to the member (a real SMTP server), who acknowledges it:
    both pages list the notification and the acknowledgement, in the practice's time."""
    smtp = SmtpSettings(host="127.0.0.1", port=mailbox.port, sender="vault@example.org")
    world.env = replace(world.env, settings=replace(world.env.settings, smtp=smtp))
    app = create_app(vault.with_env(now=world.clock, settings=world.env.settings))
    iid, envelope = seal(world.secretary, world.practice, urgency=Urgency.URGENT)
    deposit_as_secretary(world, envelope, iid)
    engine.tick(world.env)
    assert [to for to, _ in mailbox.mails] == [["dr.martin@example.org"]]
    world.clock.advance(42 * 60)
    inbox.set_status(world.env, REQ, world.member.principal, iid, "acknowledged")
    with TestClient(app, raise_server_exceptions=False) as c:
        for person, path in (
            (world.member, f"/items/{iid}"),
            (world.secretary, "/workspace/deposits"),
        ):
            token, _csrf = session_for(world.env, person)
            c.cookies.set(COOKIE, token)
            page = c.get(path, headers={"accept-language": "fr"}).text
            steps = [
                re.sub(r"<[^>]+>", "", s)
                for s in re.findall(
                    r'<li data-trail-state="\w+" data-trail-channel="\w*">(.*?)</li>', page
                )
            ]
            assert steps == [
                "Notification envoyée · Dr.Martin@Example.Org · par e-mail · 10\u00a0h\u00a000",
                "Pris en charge · Dr.Martin@Example.Org · 10\u00a0h\u00a042",
            ], path
            folded = re.findall(
                r"<details class=\"delivery-trail\"[^>]*>\s*<summary[^>]*>(.*?)</summary>", page
            )
            folded = [re.sub(r"<[^>]+>", "", f) for f in folded]
            if path == "/workspace/deposits":  # folded under its latest step, on a phone too
                assert folded == [
                    "Suivi des envois\u00a0: Pris en charge · 10\u00a0h\u00a042 (2 étapes)"
                ]
            else:
                assert folded == []


def test_an_undone_acknowledgement_is_not_shown_later(world: World, client: TestClient) -> None:
    """Acknowledged, undone, then handled directly: nobody "took charge" of it."""
    iid, envelope = seal(world.secretary, world.practice)
    deposit_as_secretary(world, envelope, iid)
    inbox.set_status(world.env, REQ, world.member.principal, iid, "acknowledged")
    inbox.undo_status(world.env, REQ, world.member.principal, iid)
    inbox.set_status(world.env, REQ, world.member.principal, iid, "handled")
    assert _taken(client, "en") == []


def test_acknowledging_on_the_item_page_shows_it_in_the_trail_at_once(
    world: World,
    vault: Vault,
    mailbox: Inbox,  # noqa: F811 - the fixture
) -> None:
    smtp = SmtpSettings(host="127.0.0.1", port=mailbox.port, sender="vault@example.org")
    world.env = replace(world.env, settings=replace(world.env.settings, smtp=smtp))
    app = create_app(vault.with_env(now=world.clock, settings=world.env.settings))
    iid, envelope = seal(world.secretary, world.practice, urgency=Urgency.URGENT)
    deposit_as_secretary(world, envelope, iid)
    engine.tick(world.env)
    with TestClient(app, raise_server_exceptions=False) as c:
        token, csrf = session_for(world.env, world.member)
        c.cookies.set(COOKIE, token)
        answer = c.post(
            f"/items/{iid}/status",
            data={"status": "acknowledged"},
            headers={"x-csrf-token": csrf, "hx-request": "true"},
        )
    assert answer.status_code == 200, answer.text
    assert answer.text.startswith('<div id="item-status"') or 'id="item-status"' in answer.text
    states = re.findall(r'data-trail-state="(\w+)"', answer.text)
    assert states == ["sent", "acknowledged"]

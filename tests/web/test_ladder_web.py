"""The on-call ladder's JSON API: a member reads and replaces it, bad input is one sentence,
a secretary is refused; the notification link records "opened" for its recipient only."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from starlette.testclient import TestClient

from crypto.envelope import Urgency
from tests.factories import World, audit_actions, deposit_as_secretary, seal, session_for
from vault.notify import delivery, engine, trail
from vault.opening import Vault
from web.app import create_app
from web.session import COOKIE


def _client(world: World, vault: Vault, who: object) -> TestClient:
    client = TestClient(create_app(vault.with_env(now=world.clock)), raise_server_exceptions=False)
    token, csrf = session_for(world.env, who)  # type: ignore[arg-type]
    client.cookies.set(COOKIE, token)
    client.headers["x-csrf-token"] = csrf
    client.headers["accept"] = "application/json"
    return client


@pytest.fixture
def member(world: World, vault: Vault) -> Iterator[TestClient]:
    with _client(world, vault, world.member) as client:
        yield client


def test_a_member_reads_and_replaces_the_ladder(member: TestClient, world: World) -> None:
    first = member.get("/practice/oncall").json()
    assert first["configured"] is False and first["rungs"] == []
    assert first["delay_minutes"] == 10 and first["timezone"] == "Europe/Paris"
    assert first["members"] == [
        {"account_id": world.member.id, "display_name": "Dr.Martin@Example.Org"}
    ]
    rung = {"account_id": world.member.id, "days": [6, 7], "start": "08:00", "end": "20:00"}
    r = member.put("/practice/oncall", json={"rungs": [rung], "delay_minutes": 5})
    assert r.status_code == 200, r.text
    got = r.json()
    assert got["configured"] and got["delay_minutes"] == 5
    # Saturday 09:00 UTC is 10:00 in Paris: on call now.
    assert got["rungs"] == [
        {**rung, "display_name": "Dr.Martin@Example.Org", "on_call_now": True, "active": True}
    ]
    assert member.get("/practice/oncall").json()["rungs"] == got["rungs"]
    assert audit_actions(world.env)[-1] == "ladder.changed"


@pytest.mark.parametrize(
    ("body", "language", "sentence"),
    [
        (
            {"rungs": [{"account_id": "x", "days": [1], "start": "08:00", "end": "09:00"}]},
            "en",
            "not an active member",
        ),
        (
            {"rungs": [{"days": [9], "start": "08:00", "end": "09:00"}]},
            "fr",
            "La liste de garde n'est pas valide",
        ),
        ({"rungs": [], "delay_minutes": 0}, "en", "whole number of minutes"),
        ({"rungs": [], "timezone": "Mars/Olympus"}, "fr", "fuseau horaire"),
        ({"rungs": "all"}, "en", "not valid"),
    ],
)
def test_a_bad_ladder_is_a_400_in_one_sentence(
    member: TestClient, body: dict[str, object], language: str, sentence: str
) -> None:
    r = member.put("/practice/oncall", json=body, headers={"accept-language": language})
    assert r.status_code == 400
    assert sentence in r.json()["error"]
    assert member.get("/practice/oncall").json()["configured"] is False  # nothing changed


def test_a_member_of_another_practice_sees_only_their_own(world: World, vault: Vault) -> None:
    with _client(world, vault, world.outsider) as outsider:
        rung = {"account_id": world.member.id, "days": [1], "start": "08:00", "end": "09:00"}
        assert outsider.put("/practice/oncall", json={"rungs": [rung]}).status_code == 400
        assert (
            outsider.get("/practice/oncall").json()["members"][0]["account_id"] == world.outsider.id
        )


def test_the_link_records_opened_for_its_recipient_only(
    member: TestClient, world: World, vault: Vault
) -> None:
    iid, envelope = seal(world.secretary, world.practice, urgency=Urgency.URGENT)
    deposit_as_secretary(world, envelope, iid)
    (delivery_id,) = world.env.db.read(
        lambda c: c.execute("SELECT id FROM delivery WHERE item_id = ?", (iid,)).fetchone()
    )
    link = "/n/" + delivery.link_token(world.env, int(delivery_id))
    with _client(world, vault, world.outsider) as outsider:
        r = outsider.get(link, follow_redirects=False)
        assert r.status_code == 303 and r.headers["location"] == "/"
    with TestClient(create_app(vault.with_env(now=world.clock))) as anonymous:
        r = anonymous.get(link, follow_redirects=False, headers={"accept": "text/html"})
        assert r.status_code == 303 and r.headers["location"] == "/login?next=" + link
        forged = anonymous.get(
            link[:-2] + "xx", follow_redirects=False, headers={"accept": "text/html"}
        )
        assert forged.headers["location"] == "/login?next=" + link[:-2] + "xx"  # the same answer
    assert "opened" not in [s.state for s in trail.trail_for_env(world.env, iid)]
    world.clock.advance(30)
    r = member.get(link, follow_redirects=False)
    assert r.status_code == 303 and r.headers["location"] == f"/items/{iid}"
    assert member.get(link, follow_redirects=False).status_code == 303  # again: recorded once
    states = [s.state for s in trail.trail_for_env(world.env, iid)]
    assert states[-1] == "opened" and states.count("opened") == 1
    assert audit_actions(world.env).count("notification.opened") == 1


def test_the_secretary_link_leads_to_her_deposits(world: World, vault: Vault) -> None:
    """The end of the ladder tells the secretary; her link records "opened" and leads to
    her deposits page, where she sees the item is still unacknowledged."""
    world.env.db.write(
        lambda c: c.execute(
            "UPDATE account SET username = 'sophie@example.org' WHERE id = ?",
            (world.secretary.id,),
        )
    )
    iid, envelope = seal(world.secretary, world.practice, urgency=Urgency.URGENT)
    deposit_as_secretary(world, envelope, iid)
    world.clock.advance(world.env.settings.escalation_delay_seconds)
    engine.advance(world.env)
    (delivery_id,) = world.env.db.read(
        lambda c: c.execute(
            "SELECT id FROM delivery WHERE item_id = ? AND account_id = ?",
            (iid, world.secretary.id),
        ).fetchone()
    )
    link = "/n/" + delivery.link_token(world.env, int(delivery_id))
    with _client(world, vault, world.secretary) as secretary:
        r = secretary.get(link, follow_redirects=False)
        assert r.status_code == 303 and r.headers["location"] == "/workspace/deposits"
    opened = [s for s in trail.trail_for_env(world.env, iid) if s.state == "opened"]
    assert [(s.recipient_id, s.purpose) for s in opened] == [(world.secretary.id, "unacknowledged")]

"""The inbox's batches over HTTP (web/routes/inbox_rows.py), its urgent count and the
access page's "listed / opened / downloaded" (issue 12)."""

from __future__ import annotations

import re
from collections.abc import Iterator

import pytest
from starlette.testclient import TestClient

from crypto.envelope import Urgency
from tests.factories import (
    Person,
    World,
    audit_actions,
    deposit_as_secretary,
    seal,
    session_for,
)
from vault.opening import Vault
from web.app import create_app
from web.session import COOKIE


@pytest.fixture
def client(world: World, vault: Vault) -> Iterator[TestClient]:
    app = create_app(vault.with_env(now=world.clock))
    with TestClient(app, raise_server_exceptions=False) as c:
        yield c


def _as(client: TestClient, world: World, person: Person) -> TestClient:
    token, csrf = session_for(world.env, person)
    client.cookies.clear()
    client.cookies.set(COOKIE, token)
    client.headers["x-csrf-token"] = csrf
    client.headers["accept"] = "application/json"
    return client


def _deposit(world: World, n: int, urgency: Urgency = Urgency.NORMAL) -> list[str]:
    ids = []
    for _ in range(n):
        iid, envelope = seal(world.secretary, world.practice, urgency=urgency)
        deposit_as_secretary(world, envelope, iid)
        world.clock.advance(1)
        ids.append(iid)
    return ids


def test_the_page_envelopes_come_in_one_request_with_their_authors_keys(
    client: TestClient, world: World
) -> None:
    ids = _deposit(world, 3)
    member = _as(client, world, world.member)
    before = len(audit_actions(world.env))
    r = member.post("/inbox/envelopes", json={"ids": ids})
    assert r.status_code == 200
    body = r.json()
    assert [i["item_id"] for i in body["items"]] == ids
    assert {i["status"] for i in body["items"]} == {"new"}
    assert body["practice_id"] == world.practice.id
    assert list(body["authors"]) == [world.secretary.id]
    assert audit_actions(world.env)[before:] == ["items.listed"]
    inbox = member.get("/inbox", headers={"accept": "text/html"}).text
    assert len(re.findall(r'<tr data-item-row[^>]* data-status="new"', inbox)) == 3  # not read


def test_a_foreign_or_unknown_id_is_a_404_and_bad_batches_a_400_in_words(
    client: TestClient, world: World
) -> None:
    ids = _deposit(world, 1)
    outsider = _as(client, world, world.outsider)
    r = outsider.post("/inbox/envelopes", json={"ids": ids})
    assert r.status_code == 404
    member = _as(client, world, world.member)
    bodies: list[dict[str, object]] = [{"ids": []}, {"ids": "x"}, {"ids": ids * 2}, {}]
    for body in bodies:
        r = member.post("/inbox/envelopes", json=body)
        assert r.status_code == 400, body
        assert "50" in r.json()["error"]
    secretary = _as(client, world, world.secretary)
    assert secretary.post("/inbox/envelopes", json={"ids": ids}).status_code == 403


def test_search_batches_over_http(client: TestClient, world: World) -> None:
    ids = _deposit(world, 4)
    member = _as(client, world, world.member)
    body = member.post("/inbox/search", json={"after": None}).json()
    assert [i["item_id"] for i in body["items"]] == list(reversed(ids))
    assert body["total"] == 4 and body["next"] is None
    assert member.post("/inbox/search", json={"after": 12}).status_code == 400
    assert member.post("/inbox/search", json={"after": "x" * 200}).status_code == 400


def test_the_urgent_count_is_in_the_navigation_and_the_title(
    client: TestClient, world: World
) -> None:
    _deposit(world, 2, Urgency.URGENT)
    _deposit(world, 1)
    member = _as(client, world, world.member)
    page = member.get("/inbox", headers={"accept": "text/html"}).text
    assert "<title>(2 éléments urgents) Boîte de réception · Permanence</title>" in page
    assert 'data-nav-urgent data-count="2"' in page
    assert page.count('class="row-urgent"') == 2 and "⚠" in page
    assert page.count('<span aria-hidden="true">⚠</span> Urgente</strong>') == 2
    assert member.get("/inbox/urgent").json() == {"urgent": 2}
    other = member.get("/practice/members", headers={"accept": "text/html"}).text
    assert 'hx-get="/inbox/urgent"' in other  # every page of a member asks once
    partial = member.get("/inbox/urgent", headers={"accept": "text/html", "hx-request": "true"})
    assert 'data-count="2"' in partial.text and "2 éléments urgents" in partial.text


def test_the_access_page_shows_one_listed_entry_for_a_page_apart_from_opened(
    client: TestClient, world: World
) -> None:
    ids = _deposit(world, 18)
    member = _as(client, world, world.member)
    member.post("/inbox/envelopes", json={"ids": ids})
    member.get(f"/items/{ids[0]}/envelope")
    page = member.get("/practice/access", headers={"accept": "text/html"}).text
    assert page.count('data-access-kind="listed"') == 1
    assert page.count('data-access-kind="opened"') == 1
    assert 'data-access-count="18"' in page and "18 éléments" in page
    assert "Listé dans la boîte de réception" in page
    listed = member.get("/practice/access?what=listed", headers={"accept": "text/html"}).text
    assert listed.count("<tr data-access-kind=") == 1
    bad = member.get("/practice/access?what=nonsense", headers={"accept": "text/html"})
    assert bad.status_code == 400

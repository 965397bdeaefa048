"""Handling over HTTP: acknowledge, undo within the window, a late undo refused in one
sentence (FR/EN), the inbox cell answered to an htmx request aimed at it."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from starlette.testclient import TestClient

from tests.factories import World, deposit_as_secretary, seal, session_for
from vault.opening import Vault
from web.app import create_app
from web.session import COOKIE


@pytest.fixture
def member(world: World, vault: Vault) -> Iterator[TestClient]:
    app = create_app(vault.with_env(now=world.clock))
    with TestClient(app, raise_server_exceptions=False) as client:
        token, csrf = session_for(world.env, world.member)
        client.cookies.set(COOKIE, token)
        client.headers["x-csrf-token"] = csrf
        client.headers["accept"] = "application/json"
        yield client


def _item(world: World) -> str:
    iid, envelope = seal(world.secretary, world.practice)
    deposit_as_secretary(world, envelope, iid)
    return iid


def test_acknowledge_and_undo_answer_json(member: TestClient, world: World) -> None:
    iid = _item(world)
    r = member.post(f"/items/{iid}/status", json={"status": "acknowledged"})
    assert r.status_code == 200
    assert r.json()["status"] == "acknowledged"
    assert r.json()["undo_until"] == "2026-11-28T09:02:00+00:00"
    r = member.post(f"/items/{iid}/status/undo")
    assert r.status_code == 200
    assert r.json() == {
        "item_id": iid,
        "status": "new",
        "changed_by": "Dr.Martin@Example.Org",
        "changed_at": "2026-11-28T09:00:00+00:00",
        "undo_until": None,
    }


@pytest.mark.parametrize(
    ("language", "sentence"),
    [("en", "can no longer be undone"), ("fr", "ne peut plus être annulé")],
)
def test_a_late_undo_is_a_409_in_one_sentence(
    member: TestClient, world: World, language: str, sentence: str
) -> None:
    iid = _item(world)
    assert member.post(f"/items/{iid}/status", json={"status": "handled"}).is_success
    world.clock.advance(121)
    r = member.post(f"/items/{iid}/status/undo", headers={"accept-language": language})
    assert r.status_code == 409
    assert sentence in r.json()["error"]
    assert member.get(f"/items/{iid}/envelope").json()["status"] == "handled"


def test_the_inbox_cell_is_answered_to_a_request_aimed_at_it(
    member: TestClient, world: World
) -> None:
    iid = _item(world)
    inbox = member.get("/inbox", headers={"accept": "text/html"}).text
    assert f'id="status-cell-{iid}"' in inbox and "data-acknowledge" in inbox
    r = member.post(
        f"/items/{iid}/status",
        data={"status": "acknowledged"},
        headers={"accept": "text/html", "hx-request": "true", "hx-target": f"status-cell-{iid}"},
    )
    assert r.status_code == 200
    assert f'id="status-cell-{iid}"' in r.text and "<html" not in r.text
    assert 'data-status="acknowledged"' in r.text and "data-undo" in r.text
    assert "Dr.Martin@Example.Org" in r.text
    page = member.post(
        f"/items/{iid}/status/undo",
        headers={"accept": "text/html", "hx-request": "true", "hx-target": "item-status"},
    )
    assert 'id="item-status"' in page.text and "data-undo-row" in page.text

"""The desk and the instructions editor as the server renders them: shells that carry the
practices' ids, names and keys (the browser does the rest), only for whom they belong to."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from starlette.testclient import TestClient

from crypto.encoding import b64url_encode
from tests.factories import Person, World, session_for
from vault.opening import Vault
from web.app import create_app
from web.session import COOKIE


@pytest.fixture
def app_client(world: World, vault: Vault) -> Iterator[TestClient]:
    app = create_app(vault.with_env(now=world.clock))
    with TestClient(app, raise_server_exceptions=False) as c:
        yield c


def _get(client: TestClient, world: World, person: Person, path: str) -> str:
    token, _ = session_for(world.env, person)
    client.cookies.clear()
    client.cookies.set(COOKIE, token)
    response = client.get(path, headers={"accept": "text/html"})
    assert response.status_code == 200, response.text
    return response.text


def test_the_desk_lists_the_assigned_practices_only(world: World, app_client: TestClient) -> None:
    mine = _get(app_client, world, world.secretary, "/desk")
    assert f'data-practice-id="{world.practice.id}"' in mine
    assert f'data-public-key="{b64url_encode(world.practice.keys.public_key)}"' in mine
    assert world.other.id not in mine
    assert 'id="desk-requests"' in mine  # the slot of branch requests-replies
    assert "/js/pages/desk.js" in mine
    theirs = _get(app_client, world, world.stranger, "/desk")
    assert world.practice.id not in theirs and world.other.id in theirs


def test_the_editor_is_the_members_own_practice(world: World, app_client: TestClient) -> None:
    page = _get(app_client, world, world.member, "/practice/instructions")
    assert f'data-practice-id="{world.practice.id}"' in page
    assert world.other.id not in page
    doc_types = (1, 2, 3, 4, 5, 7)  # 7: suppliers and catalogue (order forms)
    for doc_type in doc_types:
        assert f'data-doc-type="{doc_type}"' in page
    # Nothing can be saved before the module ran: the save buttons start disabled (and the
    # password prompt's, for a tab opened without its keys, and the form template editor's
    # "Encrypt, sign and save"; its "New form template" is a secondary button, disabled too).
    expected = len(doc_types) + page.count("data-unlock-form") + 1
    assert page.count('type="submit" disabled') == expected
    assert page.count('type="submit" class="secondary" disabled') == 1

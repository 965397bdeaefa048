"""No page carries a fingerprint the server computed: the browser computes every one it shows.

A fingerprint written by the server is what a person might read aloud as "the check", while
the browser seals to (or verifies with) whatever key the page carries: a server that changes
only the key would pass that check (issue 10). Every page that shows a fingerprint carries the
keys instead, and its module computes the fingerprint from the very key it uses.
"""

from __future__ import annotations

import re
from collections.abc import Iterator

import pytest
from starlette.testclient import TestClient

from crypto.encoding import b64url_encode
from crypto.fingerprint import practice_fingerprint, user_fingerprint
from tests.factories import (
    Person,
    World,
    add_account,
    deposit_as_secretary,
    seal,
    session_for,
)
from vault.identity.roles import Role
from vault.opening import Vault
from web.app import create_app
from web.session import COOKIE

FINGERPRINT = re.compile(r"\b[0-9A-HJKMNP-TV-Z]{4}( [0-9A-HJKMNP-TV-Z]{4}){3}\b")


@pytest.fixture
def app_client(world: World, vault: Vault) -> Iterator[TestClient]:
    app = create_app(vault.with_env(now=world.clock))
    with TestClient(app, raise_server_exceptions=False) as c:
        yield c


def _page(client: TestClient, world: World, person: Person, path: str) -> str:
    token, _ = session_for(world.env, person)
    client.cookies.clear()
    client.cookies.set(COOKIE, token)
    response = client.get(path, headers={"accept": "text/html"})
    assert response.status_code == 200, (path, response.text)
    return response.text


def _every_fingerprint(world: World, *people: Person) -> set[str]:
    keys = [world.practice.keys.public_key, world.other.keys.public_key]
    found = {practice_fingerprint(k) for k in keys}
    for person in people:
        public = person.keys.public_keys
        found.add(user_fingerprint(public.x25519, public.ed25519))
    return found


PAGES = {
    "inbox": ("member", "/inbox"),
    "members": ("member", "/practice/members"),  # a colleague waits for the key: a grant form
    "item": ("member", "/items/{item}"),
    "account": ("member", "/account"),
    "workspace": ("secretary", "/workspace"),
    "deposit": ("secretary", "/workspace/{practice}"),
    "desk": ("secretary", "/desk"),
    "instructions": ("member", "/practice/instructions"),
    "admin practices": ("admin", "/admin/practices"),
}


@pytest.mark.parametrize("page", sorted(PAGES))
def test_no_page_shows_a_fingerprint_the_server_computed(
    world: World, app_client: TestClient, page: str
) -> None:
    w = world
    admin = add_account(w.env, Role.ADMIN, "root")
    colleague = add_account(w.env, Role.MEMBER, "dr.petit", w.practice, granted=False)
    iid, envelope = seal(w.secretary, w.practice)
    deposit_as_secretary(w, envelope, iid)
    who, path = PAGES[page]
    person = {"member": w.member, "secretary": w.secretary, "admin": admin}[who]
    html = _page(app_client, w, person, path.format(item=iid, practice=w.practice.id))
    fingerprints = _every_fingerprint(w, w.member, w.secretary, admin, colleague)
    assert [f for f in fingerprints if f in html] == []
    assert [m.group(0) for m in FINGERPRINT.finditer(html)] == []


def test_the_pages_carry_the_keys_their_modules_compute_from(
    world: World, app_client: TestClient
) -> None:
    w = world
    colleague = add_account(w.env, Role.MEMBER, "dr.petit", w.practice, granted=False)
    public = colleague.keys.public_keys
    members = _page(app_client, w, w.member, "/practice/members")
    assert f'data-x25519-pk="{b64url_encode(public.x25519)}"' in members
    assert f'data-ed25519-pk="{b64url_encode(public.ed25519)}"' in members
    assert 'data-fingerprint="' not in members
    practice_key = b64url_encode(w.practice.keys.public_key)
    assert f'data-public-key="{practice_key}"' in _page(app_client, w, w.member, "/inbox")
    assert f'data-public-key="{practice_key}"' in _page(app_client, w, w.secretary, "/workspace")
    desk = _page(app_client, w, w.secretary, "/desk")
    assert f'data-public-key="{practice_key}"' in desk
    assert 'data-fingerprint="' not in desk
    deposit = _page(app_client, w, w.secretary, f"/workspace/{w.practice.id}")
    assert f'data-public-key="{practice_key}"' in deposit
    assert 'data-fingerprint="' not in deposit

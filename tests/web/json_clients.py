"""One test client over the app, signed in as whoever a test names, for the JSON routes.

``open_clients`` serves the app on a vault whose clock is the ``world``'s; a test module's
``clients`` fixture yields from it. ``Clients.as_`` signs in with a fresh session (as a
successful login leaves), sends its CSRF token and asks for JSON in the given language.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

from starlette.testclient import TestClient

from tests.factories import Person, World, session_for
from vault.opening import Vault
from web.app import create_app
from web.session import COOKIE


@dataclass
class Clients:
    world: World
    app_client: TestClient

    def as_(self, person: Person, language: str = "en") -> TestClient:
        """The client, signed in as ``person`` alone (earlier cookies dropped)."""
        token, csrf = session_for(self.world.env, person)
        self.app_client.cookies.clear()
        self.app_client.cookies.set(COOKIE, token)
        self.app_client.headers["x-csrf-token"] = csrf
        self.app_client.headers["accept"] = "application/json"
        self.app_client.headers["accept-language"] = language
        return self.app_client


def open_clients(world: World, vault: Vault) -> Iterator[Clients]:
    """Clients of the app on ``vault`` with the world's clock, until the test ends."""
    app = create_app(vault.with_env(now=world.clock))
    with TestClient(app, raise_server_exceptions=False) as c:
        yield Clients(world, c)

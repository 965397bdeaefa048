"""A real Permanence server for end-to-end tests: SQLCipher on disk (or PostgreSQL on the
distributed test backend, ``tests/backends``), uvicorn, real HTTP.

- ``live_vault``: a fresh initialised vault served by the production app
  (lifespan on: checkpoints tick) through uvicorn on a free loopback port.
  It exposes ``base_url``, ``settings`` and ``env`` (the same ``Env`` the
  server uses, for arranging data and inspecting the database afterwards).
- ``chromium`` and ``browser_page`` come from ``tests/browser/conftest.py``.
"""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

import pytest
import uvicorn

from tests.backends import settings_for
from tests.browser.conftest import browser_page, chromium  # noqa: F401 - fixtures reused here
from tests.factories import open_test_vault
from vault.env import Env, RequestInfo
from vault.identity import accounts
from vault.identity.roles import Role
from vault.opening import Vault
from vault.settings import Settings
from vault.storage.datadir import initialise
from web.app import create_app

ARRANGE = RequestInfo(request_id="test-arrange")


@dataclass
class LiveVault:
    base_url: str
    settings: Settings
    env: Env

    def invite(self, role: Role, username: str, name: str, practice: str | None = None) -> str:
        """An invitation link, as ``permanence users invite`` would print it."""
        invitation = accounts.invite(
            self.env,
            ARRANGE,
            None,
            username=username,
            display_name=name,
            role=role,
            practice_name=practice,
        )
        return invitation.link(self.base_url)


def start_server(app: object, sock: socket.socket) -> tuple[uvicorn.Server, threading.Thread]:
    # As ``permanence serve`` runs it with no trusted proxy: X-Forwarded-For is ignored.
    config = uvicorn.Config(
        app,  # type: ignore[arg-type]
        log_level="warning",
        lifespan="on",
        access_log=False,
        proxy_headers=False,
    )
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    deadline = time.monotonic() + 20
    while not server.started:
        if not thread.is_alive() or time.monotonic() > deadline:
            raise RuntimeError("uvicorn did not start")
        time.sleep(0.01)
    return server, thread


def new_vault(
    tmp_path: Path, now: Callable[[], datetime] | None = None
) -> tuple[socket.socket, Settings, Vault]:
    """A bound loopback socket and a fresh vault, open, whose base URL is that socket's."""
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    base_url = f"http://127.0.0.1:{port}"
    settings = settings_for(tmp_path / "data", port=port, base_url=base_url)
    initialise(settings)
    vault = open_test_vault(settings)
    return sock, settings, vault if now is None else vault.with_env(now=now)


@pytest.fixture
def live_vault(tmp_path: Path) -> Iterator[LiveVault]:
    sock, settings, vault = new_vault(tmp_path)
    env, db = vault.env, vault.db
    base_url = settings.base_url
    server, thread = start_server(create_app(vault), sock)
    try:
        yield LiveVault(base_url, settings, env)
    finally:
        server.should_exit = True
        thread.join(timeout=20)
        db.close()

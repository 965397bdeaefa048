"""A Starlette test client over a real, initialised vault."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from starlette.testclient import TestClient

from vault.opening import Vault
from web.app import create_app


@pytest.fixture
def client(vault: Vault) -> Iterator[TestClient]:
    with TestClient(create_app(vault), raise_server_exceptions=False) as c:
        yield c

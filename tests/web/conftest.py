"""A Starlette test client over a real, initialised vault."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from starlette.testclient import TestClient

from vault.settings import Settings
from vault.storage.database import Database
from web.app import create_app


@pytest.fixture
def client(initialised: Settings, database: Database) -> Iterator[TestClient]:
    with TestClient(create_app(initialised, database), raise_server_exceptions=False) as c:
        yield c

"""Fixtures shared by every test package.

Starlette's ``TestClient`` speaks to ``http://testserver`` unless told otherwise; the
app refuses a ``Host`` it does not own (``allowed_hosts``), so every test client here
speaks to ``http://localhost``, as a browser on the server's own machine would.
"""

from __future__ import annotations

import functools
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from starlette.testclient import TestClient

from tests.backends import DISTRIBUTED, backend_settings, open_connection
from tests.backends.postgres import drop_made, stop_shared
from tests.factories import (
    open_test_vault,
    world_fixture,  # noqa: F401 - the items tests' ``world`` fixture
)
from tests.objectstore import (  # noqa: F401 - the SeaweedFS fixtures
    drop_made_buckets,
    object_bucket,
    object_store_server,
    stop_shared_server,
)
from vault.opening import Vault
from vault.settings import Settings
from vault.storage.database import Database
from vault.storage.datadir import initialise

REPO = Path(__file__).resolve().parents[1]
SHARED = REPO.parent / "shared"
TEST_BASE_URL = "http://localhost"


def _speak_to_localhost(init: Any) -> Any:
    @functools.wraps(init)
    def wrapped(self: TestClient, app: Any, *args: Any, **kwargs: Any) -> None:
        if not args:
            kwargs.setdefault("base_url", TEST_BASE_URL)
        init(self, app, *args, **kwargs)

    return wrapped


TestClient.__init__ = _speak_to_localhost(TestClient.__init__)  # type: ignore[method-assign]


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """On the distributed backend, skip the tests about SQLCipher itself (``embedded_only``)."""
    if not DISTRIBUTED:
        return
    skip = pytest.mark.skip(
        reason="about SQLite/SQLCipher itself (PERMANENCE_TEST_BACKEND=distributed)"
    )
    for item in items:
        if item.get_closest_marker("embedded_only") is not None:
            item.add_marker(skip)


def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    stop_shared()  # the throwaway PostgreSQL cluster, if a test started it
    stop_shared_server()  # and SeaweedFS


@pytest.fixture(autouse=True)
def _drop_test_databases() -> Iterator[None]:
    """Drop the PostgreSQL databases a test made, after it (if any test started the cluster)."""
    yield
    drop_made()
    drop_made_buckets()


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    """Settings for a data directory inside this test's temporary folder, on the test
    backend (``PERMANENCE_TEST_BACKEND``: a fresh PostgreSQL database and object-store
    bucket when distributed)."""
    return backend_settings(Settings(data_dir=tmp_path / "data"))


# When test vaults say they were created (their first migration): before the fixed clocks
# tests use, so that a call note's call time, which cannot start before the vault existed,
# may be any time of 2026.
TEST_VAULTS_CREATED = "2026-01-01T00:00:00.000Z"


@pytest.fixture
def initialised(settings: Settings) -> Settings:
    """A freshly initialised vault (real SQLCipher on disk, or PostgreSQL), dated
    TEST_VAULTS_CREATED."""
    initialise(settings)
    conn = open_connection(settings)
    try:
        conn.execute(  # autocommit
            "UPDATE schema_migrations SET applied_at = ? WHERE number = 1", (TEST_VAULTS_CREATED,)
        )
    finally:
        conn.close()
    return settings


@pytest.fixture
def vault(initialised: Settings) -> Iterator[Vault]:
    """The initialised vault, opened as the server opens it (closed after the test)."""
    with open_test_vault(initialised) as opened:
        yield opened


@pytest.fixture
def database(vault: Vault) -> Database:
    return vault.db

"""A PostgreSQL database per test, on the session's throwaway cluster, whatever the
test backend (these tests are about PostgreSQL itself)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from crypto.secret import Secret
from tests.backends.postgres import Cluster, shared_cluster
from vault.storage.migrate import migrate
from vault.storage.postgres.connection import PostgresConnection, connect
from vault.storage.store import Connection, new_key
from vault.storage.store import connect as connect_sqlite


@pytest.fixture
def cluster() -> Cluster:
    return shared_cluster()


@pytest.fixture
def empty_url(cluster: Cluster) -> Secret:
    """An empty database (C collation, as the cluster's)."""
    return cluster.new_database(template=None)


@pytest.fixture
def pg(cluster: Cluster) -> Iterator[PostgresConnection]:
    """A connection to a fresh migrated database."""
    conn = connect(cluster.new_database())
    yield conn
    conn.close()


@pytest.fixture
def lite(tmp_path: Path) -> Iterator[Connection]:
    """A fresh migrated SQLCipher database."""
    conn = connect_sqlite(tmp_path / "v.db", new_key(), create=True)
    migrate(conn)
    yield conn
    conn.close()

"""Fixtures for the audit tests: a real SQLCipher database with the audit schema (or a
PostgreSQL one on the distributed test backend, ``tests/audit/helpers.py``)."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime, timedelta
from functools import partial
from pathlib import Path

import pytest

from audit.checkpoint import StoredCheckpoint
from audit.issuer import CheckpointIssuer
from audit.keys import NoteSigner
from tests.audit.helpers import (
    BIG_LOG_SIZE,
    ORIGIN,
    T0,
    copy_db,
    fill,
    make_signer,
    open_db,
)
from tests.backends import DISTRIBUTED
from vault.storage.store import Connection
from vault.storage.writer import Writer


@pytest.fixture
def db(tmp_path: Path) -> Iterator[Connection]:
    conn = open_db(tmp_path / "audit.db")
    yield conn
    conn.close()


@pytest.fixture
def signer() -> NoteSigner:
    return make_signer()


def _issue(issuer: CheckpointIssuer, conn: Connection, *, now: datetime) -> StoredCheckpoint:
    return issuer.issue(conn, now=now)


@pytest.fixture(scope="session")
def big_log_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A 1,200-entry log on real SQLCipher with a checkpoint every 300 entries, built once."""
    path = tmp_path_factory.mktemp("big") / "audit.db"
    conn = open_db(path, keep=True)
    writer = Writer(conn)
    issuer = CheckpointIssuer(make_signer(), ORIGIN)
    for k in range(BIG_LOG_SIZE // 300):
        fill(writer, k * 300, 300)
        writer.run(partial(_issue, issuer, now=T0 + timedelta(minutes=k)))
    writer.close()
    if not DISTRIBUTED:
        conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    conn.close()
    return path


@pytest.fixture
def big_log(big_log_template: Path, tmp_path: Path) -> Path:
    """A private copy of the 1,200-entry log that a test may tamper with."""
    path = tmp_path / "audit.db"
    copy_db(big_log_template, path)
    return path

"""Fixtures shared by every test package."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from vault.database import Database
from vault.datadir import database_key, initialise
from vault.settings import Settings

REPO = Path(__file__).resolve().parents[1]
SHARED = REPO.parent / "shared"


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    """Settings for a data directory inside this test's temporary folder."""
    return Settings(data_dir=tmp_path / "data")


@pytest.fixture
def initialised(settings: Settings) -> Settings:
    """A freshly initialised vault on disk (real SQLCipher)."""
    initialise(settings)
    return settings


@pytest.fixture
def database(initialised: Settings) -> Iterator[Database]:
    db = Database(initialised.layout.database, database_key(initialised))
    try:
        yield db
    finally:
        db.close()

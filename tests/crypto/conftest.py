"""Fixtures for crypto tests: deterministic randomness and ready-made keys."""

from __future__ import annotations

import uuid

import pytest

from crypto.grants import PracticeKeyPair
from crypto.user_keys import UserKeyPair
from tests.vectors.generate import DeterministicRandom


@pytest.fixture
def rng() -> DeterministicRandom:
    """A reproducible ``randbytes``."""
    return DeterministicRandom("tests")


@pytest.fixture
def practice(rng: DeterministicRandom) -> PracticeKeyPair:
    return PracticeKeyPair.generate(rng)


@pytest.fixture
def author(rng: DeterministicRandom) -> UserKeyPair:
    return UserKeyPair.generate(rng)


@pytest.fixture
def ids() -> tuple[uuid.UUID, uuid.UUID, uuid.UUID]:
    """(item id, client id, author id)."""
    return (
        uuid.UUID("0f8fad5b-d9cb-469f-a165-70867728950e"),
        uuid.UUID("7c9e6679-7425-40de-944b-e07fc1f90ae7"),
        uuid.UUID("16fd2706-8baf-433b-82eb-8c7fada847da"),
    )

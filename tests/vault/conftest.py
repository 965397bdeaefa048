"""An Env over a real vault with a clock the test moves."""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta

import pytest

from vault.env import Env
from vault.opening import Vault


@dataclass
class Clock:
    now: datetime

    def __call__(self) -> datetime:
        return self.now

    def advance(self, **delta: float) -> None:
        self.now += timedelta(**delta)


@pytest.fixture
def clock() -> Clock:
    return Clock(datetime.now(UTC).replace(microsecond=0))


@pytest.fixture
def env(vault: Vault, clock: Clock) -> Env:
    return vault.with_env(now=clock).env


def with_settings(env: Env, **changes: object) -> Env:
    return replace(env, settings=replace(env.settings, **changes))  # type: ignore[arg-type]

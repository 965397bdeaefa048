"""Activity reports keep their own retention (``report_retention_months``), apart from the
audit log's: a month older than it is refused with one sentence, later ones are shown."""

from __future__ import annotations

import dataclasses
import uuid
from datetime import UTC, date, datetime

import pytest

from tests.vault.items.report_data import NOV, OCT, R, seed
from vault.env import Principal
from vault.errors import InvalidInput
from vault.identity.roles import Role
from vault.items.reports import REPORT_TOO_OLD, oldest_month, view
from vault.opening import Vault
from vault.settings import Settings


def test_the_oldest_month_counts_the_current_one(tmp_path: object) -> None:
    settings = Settings(data_dir=tmp_path, report_retention_months=12)  # type: ignore[arg-type]
    assert oldest_month(date(2026, 12, 2), settings) == date(2026, 1, 1)
    assert oldest_month(date(2027, 1, 31), settings) == date(2026, 2, 1)
    one = dataclasses.replace(settings, report_retention_months=1)
    assert oldest_month(date(2026, 12, 2), one) == date(2026, 12, 1)


def test_a_month_older_than_the_report_retention_is_refused(vault: Vault) -> None:
    seed(vault.env)
    admin = Principal(str(uuid.uuid4()), "root", Role.ADMIN)
    # October and November 2026, seen from December 2026 (third and second month back).
    december = vault.with_env(now=lambda: datetime(2026, 12, 15, 12, 0, tzinfo=UTC)).env
    assert view(december, R, admin, OCT, NOV).practices
    short = dataclasses.replace(
        december, settings=dataclasses.replace(december.settings, report_retention_months=2)
    )
    with pytest.raises(InvalidInput, match="time-tracking figures"):
        view(short, R, admin, OCT, NOV)
    assert view(short, R, admin, NOV, NOV).practices
    assert "limited period" in REPORT_TOO_OLD


@pytest.mark.parametrize("months", [0, -1, 121])
def test_a_retention_setting_out_of_range_stops_start_up(tmp_path: object, months: int) -> None:
    from vault.errors import ConfigError

    for name in ("audit_retention_months", "report_retention_months"):
        with pytest.raises(ConfigError, match=name):
            Settings(data_dir=tmp_path, **{name: months})  # type: ignore[arg-type]

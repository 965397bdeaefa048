"""The skip-or-fail rule of tests/browser/conftest.py for a missing browser or Node."""

from __future__ import annotations

import pytest

from tests.browser import conftest


def test_missing_tool_skips_outside_ci(monkeypatch: pytest.MonkeyPatch) -> None:
    """On a developer machine without Chromium, the browser tests are skipped with a reason."""
    monkeypatch.delenv("CI", raising=False)
    with pytest.raises(pytest.skip.Exception, match="/usr/bin/chromium is not installed"):
        conftest._missing("/usr/bin/chromium")


def test_missing_tool_fails_under_ci(monkeypatch: pytest.MonkeyPatch) -> None:
    """Under CI a missing Chromium is a failure, so CI can never pass by skipping them."""
    monkeypatch.setenv("CI", "true")
    with pytest.raises(pytest.fail.Exception, match="required under CI"):
        conftest._missing("/usr/bin/chromium")

"""The live server fixture really serves the product over HTTP."""

from __future__ import annotations

import json
import urllib.request

from tests.e2e.conftest import LiveVault


def test_live_server_answers_health_and_pages(live_vault: LiveVault) -> None:
    """/health is ok and the login page carries the CSP, over real HTTP."""
    with urllib.request.urlopen(live_vault.base_url + "/health") as r:  # noqa: S310
        assert json.loads(r.read())["status"] == "ok"
    with urllib.request.urlopen(live_vault.base_url + "/login") as r:  # noqa: S310
        assert "script-src 'self'" in r.headers["content-security-policy"]

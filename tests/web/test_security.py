"""HSTS behind TLS, and the unexpected-error page that shows no internals."""

from __future__ import annotations

from dataclasses import replace

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route
from starlette.testclient import TestClient

from vault.opening import Vault
from web.app import create_app


def test_hsts_only_behind_tls(vault: Vault) -> None:
    """Behind TLS every response asks browsers to stay on HTTPS."""
    app = create_app(vault.with_env(settings=replace(vault.settings, behind_tls=True)))
    with TestClient(app) as c:
        assert "max-age=" in c.get("/login").headers["strict-transport-security"]


def test_unexpected_error_is_a_500_page_without_internals(vault: Vault) -> None:
    """A bug shows a polite page in the user's language: no traceback, no exception text."""

    async def broken(request: Request) -> Response:
        raise RuntimeError("secret-internal-detail")

    app = create_app(vault)
    app.router.routes.append(Route("/broken", broken))
    with TestClient(app, raise_server_exceptions=False) as c:
        r = c.get("/broken", headers={"Accept-Language": "en"})
    assert r.status_code == 500
    assert "secret-internal-detail" not in r.text and "Traceback" not in r.text
    assert "Nothing was changed" in r.text
    assert "content-security-policy" in r.headers

"""Odd input gets a clear 4xx, never a 500: non-ASCII digits, absurd dates, oversized bodies."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from starlette.testclient import TestClient

from cli.client import sign_in
from tests.people import TestClientTransport, enrol
from vault.identity.roles import Role
from vault.opening import Vault
from web.app import create_app


@pytest.fixture
def clients(vault: Vault) -> Iterator[dict[str, TestClient]]:
    env = vault.env
    people = {
        "member": enrol(env, Role.MEMBER, "doctor", practice="Cabinet A"),
        "auditor": enrol(env, Role.AUDITOR, "auditor"),
        "admin": enrol(env, Role.ADMIN, "root"),
    }
    app = create_app(vault)
    with TestClient(app, raise_server_exceptions=False) as anonymous:
        result = {"anonymous": anonymous}
        for role, person in people.items():
            client = TestClient(app, raise_server_exceptions=False)
            transport = TestClientTransport(client)
            sign_in(transport, person.username, person.password, person.code())
            client.headers["x-csrf-token"] = transport.csrf
            result[role] = client
        yield result


@pytest.mark.parametrize(
    ("who", "path"),
    [
        ("member", "/practice/access?before=%C2%B2"),
        ("auditor", "/audit?before=%C2%B2"),
        ("auditor", "/audit/entries/%C2%B2"),
        ("member", "/reports?from=0001-01&to=0001-01"),
        ("member", "/reports?from=9999-12&to=9999-12"),
        ("admin", "/reports?practice=" + "x" * 300),
    ],
)
def test_odd_query_values_are_refused_clearly(
    clients: dict[str, TestClient], who: str, path: str
) -> None:
    """Superscript digits, years 1 or 9999, a 300-character id: 4xx (or ignored), not 500."""
    response = clients[who].get(path)
    assert response.status_code < 500, (path, response.status_code)


def test_a_huge_json_body_is_refused_without_reading_it_all(
    clients: dict[str, TestClient],
) -> None:
    """A body announced larger than the limit is refused (413) from its Content-Length."""
    response = clients["anonymous"].post(
        "/login/prelogin",
        content=b"{" + b" " * (1024 * 1024) + b"}",
        headers={"content-type": "application/json", "accept": "application/json"},
    )
    assert response.status_code == 413

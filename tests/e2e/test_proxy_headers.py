"""``X-Forwarded-For`` through the real ``permanence serve`` (uvicorn, real HTTP).

uvicorn's defaults believe ``X-Forwarded-For`` from 127.0.0.1: behind a same-host
proxy that passes the header through, a client chose the IP that the per-IP sign-in
throttle counts and that audit entries record. ``serve`` now passes
``trusted_proxies`` explicitly: with none (the default) the header is ignored; with
the proxy's address, the address it forwards is the client's.
"""

from __future__ import annotations

import http.client
import json
import os
import socket
import subprocess
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

from audit.entry import decode
from tests.cli.running import PERMANENCE, run
from tests.factories import open_test_vault
from vault.settings import Settings

FORGED = "203.0.113.7"
WRONG_KEY = "A" * 43  # a well-formed auth key that is nobody's


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@contextmanager
def _serving(data: Path, env: dict[str, str]) -> Iterator[int]:
    port = _free_port()
    clean = {k: v for k, v in os.environ.items() if not k.startswith(("PERMANENCE_", "FORWARDED"))}
    # uvicorn's own variable must not matter either: serve passes the list explicitly.
    environment = {**clean, "FORWARDED_ALLOW_IPS": "*", **env}
    proc = subprocess.Popen(
        [PERMANENCE, "--data-dir", str(data), "serve", "--port", str(port)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
        env=environment,
    )
    try:
        for _ in range(200):
            try:
                with socket.create_connection(("127.0.0.1", port), timeout=1):
                    break
            except OSError:
                time.sleep(0.05)
        yield port
    finally:
        proc.terminate()
        _, stderr = proc.communicate(timeout=20)
        assert "Traceback" not in stderr


def _failed_sign_in(port: int, source: str, forwarded: str) -> int:
    connection = http.client.HTTPConnection(
        "127.0.0.1", port, timeout=30, source_address=(source, 0)
    )
    try:
        connection.request(
            "POST",
            "/login",
            body=json.dumps({"username": "nobody", "auth_key": WRONG_KEY, "code": "123456"}),
            headers={
                "Content-Type": "application/json",
                "Accept": "application/json",
                "X-Forwarded-For": forwarded,
                "X-Forwarded-Proto": "https",
            },
        )
        response = connection.getresponse()
        response.read()
        return response.status
    finally:
        connection.close()


def _seen_ips(data: Path) -> tuple[list[str | None], set[str]]:
    """The IPs of ``login.failed`` entries, and the per-IP throttle subjects."""
    settings = Settings(data_dir=data)
    vault = open_test_vault(settings)
    db = vault.db
    try:

        def read(conn: object) -> tuple[list[str | None], set[str]]:
            leaves = conn.execute("SELECT leaf FROM audit_entries ORDER BY idx").fetchall()  # type: ignore[attr-defined]
            entries = [decode(bytes(leaf)).entry for (leaf,) in leaves]
            ips = [e.ip for e in entries if e.action == "login.failed"]
            subjects = conn.execute(  # type: ignore[attr-defined]
                "SELECT DISTINCT subject FROM login_failure WHERE subject LIKE 'ip:%'"
            ).fetchall()
            return ips, {s for (s,) in subjects}

        return db.read(read)
    finally:
        db.close()


@pytest.fixture
def vault_dir(tmp_path: Path) -> Path:
    data = tmp_path / "v"
    assert run("--data-dir", str(data), "init").returncode == 0
    return data


def test_a_forged_forwarded_for_from_loopback_is_ignored_by_default(vault_dir: Path) -> None:
    """No trusted proxy: the audit log and the throttle see the connecting address."""
    with _serving(vault_dir, {}) as port:
        assert _failed_sign_in(port, "127.0.0.1", FORGED) == 401
        assert _failed_sign_in(port, "127.0.0.1", f"{FORGED}, 127.0.0.1") == 401
    ips, subjects = _seen_ips(vault_dir)
    assert ips == ["127.0.0.1", "127.0.0.1"]
    assert subjects == {"ip:127.0.0.1"}


def test_a_trusted_proxy_forwards_the_client_address(vault_dir: Path) -> None:
    """``trusted_proxies = 127.0.0.1``: its X-Forwarded-For is the client; another local
    address sending the same header is not a proxy and is seen as itself."""
    with _serving(vault_dir, {"PERMANENCE_TRUSTED_PROXIES": "127.0.0.1"}) as port:
        assert _failed_sign_in(port, "127.0.0.1", FORGED) == 401
        assert _failed_sign_in(port, "127.0.0.2", "198.51.100.9") == 401
    ips, subjects = _seen_ips(vault_dir)
    assert ips == [FORGED, "127.0.0.2"]
    assert subjects == {f"ip:{FORGED}", "ip:127.0.0.2"}


@pytest.mark.parametrize(
    ("env", "warns"),
    [
        ({"PERMANENCE_BEHIND_TLS": "true"}, True),
        ({"PERMANENCE_BEHIND_TLS": "true", "PERMANENCE_TRUSTED_PROXIES": "127.0.0.1"}, False),
        ({}, False),
    ],
)
def test_serve_warns_behind_tls_without_a_trusted_proxy(
    vault_dir: Path, env: dict[str, str], warns: bool
) -> None:
    """Behind a TLS proxy nobody trusts, every client would share the proxy's address."""
    port = _free_port()
    clean = {k: v for k, v in os.environ.items() if not k.startswith("PERMANENCE_")}
    proc = subprocess.Popen(
        [PERMANENCE, "--data-dir", str(vault_dir), "serve", "--port", str(port)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
        env={**clean, **env},
    )
    try:
        for _ in range(200):
            try:
                with socket.create_connection(("127.0.0.1", port), timeout=1):
                    break
            except OSError:
                time.sleep(0.05)
    finally:
        proc.terminate()
        _, stderr = proc.communicate(timeout=20)
    assert ("trusted_proxies is empty" in stderr) is warns, stderr

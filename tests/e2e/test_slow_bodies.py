"""A body that stops half-way: a client that hangs up is not a server error, and one that
dawdles gets 408 once ``body_timeout_seconds`` have passed (real uvicorn, real sockets)."""

from __future__ import annotations

import logging
import select
import socket
import time
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path

import pytest

from tests.e2e.conftest import LiveVault, new_vault, start_server
from tests.e2e.test_raw_http import PRELOGIN, _exchange, _status
from web.app import create_app


@pytest.fixture
def quick_vault(tmp_path: Path) -> Iterator[LiveVault]:
    """A live vault whose bodies must arrive within one second."""
    sock, settings, vault = new_vault(tmp_path)
    settings = replace(settings, body_timeout_seconds=1)
    vault = vault.with_env(settings=settings)
    server, thread = start_server(create_app(vault), sock)
    try:
        yield LiveVault(settings.base_url, settings, vault.env)
    finally:
        server.should_exit = True
        thread.join(timeout=20)
        vault.close()


def _server_errors(caplog: pytest.LogCaptureFixture) -> list[str]:
    return [
        r.getMessage()
        for r in caplog.records
        if r.name.startswith("permanence") and r.levelno >= logging.ERROR
    ]


def test_a_client_that_hangs_up_mid_body_is_not_a_server_error(
    live_vault: LiveVault, caplog: pytest.LogCaptureFixture
) -> None:
    """Content-Length 100, one byte, close: it used to be logged as "unhandled
    ClientDisconnect" and take the 500 path."""
    caplog.set_level(logging.INFO, logger="permanence")
    host, port = live_vault.base_url.removeprefix("http://").split(":")
    for _ in range(3):
        with socket.create_connection((host, int(port)), timeout=5) as s:
            s.sendall(PRELOGIN + b"Content-Length: 100\r\n\r\n{")
    health = _exchange(live_vault, b"GET /health HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n")
    assert _status(health) == 200
    time.sleep(0.5)  # the server has seen every disconnect by now
    assert _server_errors(caplog) == []


def test_a_body_that_does_not_arrive_in_time_gets_408(
    quick_vault: LiveVault, caplog: pytest.LogCaptureFixture
) -> None:
    """One byte of a 100-byte body, then silence: 408 after about a second, not a socket
    held open for as long as the client likes (slowloris)."""
    started = time.monotonic()
    answer = _exchange(
        quick_vault, PRELOGIN + b"Accept-Language: en\r\nContent-Length: 100\r\n\r\n{"
    )
    assert _status(answer) == 408, answer[:300]
    assert time.monotonic() - started < 5
    assert b"too slowly" in answer
    assert _server_errors(caplog) == []


def test_a_body_trickling_in_is_cut_at_the_overall_bound(quick_vault: LiveVault) -> None:
    """Chunks every 0.3 s never pause long, but the whole body must arrive within the bound."""
    host, port = quick_vault.base_url.removeprefix("http://").split(":")
    started = time.monotonic()
    answer = b""
    with socket.create_connection((host, int(port)), timeout=10) as s:
        s.sendall(PRELOGIN + b"Content-Length: 100\r\n\r\n")
        try:
            for _ in range(20):
                s.sendall(b" ")
                if select.select([s], [], [], 0.3)[0]:
                    break  # the server has answered
        except OSError:
            pass
        s.settimeout(5)
        try:
            while data := s.recv(65536):
                answer += data
        except (ConnectionResetError, TimeoutError):
            pass
    assert _status(answer) == 408, answer[:300]
    assert time.monotonic() - started < 4

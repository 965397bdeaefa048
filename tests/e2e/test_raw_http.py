"""Malformed HTTP on a real socket to the real app under uvicorn: 4xx or a closed connection,
never a 5xx, and the server answers afterwards.

What a browser or httpx would never send (a foreign ``Host``, bytes above ASCII in a
header, a length that lies, broken chunking, a body far over the bound) is written by
hand, byte for byte.
"""

from __future__ import annotations

import logging
import select
import socket
import time
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path
from urllib.parse import urlsplit

import pytest

from tests.e2e.conftest import LiveVault, new_vault, start_server
from tests.people import enrol
from vault.identity import sessions
from vault.identity.roles import Role
from web.app import create_app

PRELOGIN = b"POST /login/prelogin HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n"


def _exchange(vault: LiveVault, raw: bytes, *, body_chunks: list[bytes] | None = None) -> bytes:
    """Send ``raw`` (then each chunk, while the server still listens); the bytes answered."""
    url = urlsplit(vault.base_url)
    with socket.create_connection((str(url.hostname), int(url.port or 80)), timeout=20) as s:
        s.sendall(raw)
        try:
            for chunk in body_chunks or []:
                s.sendall(chunk)
        except OSError:
            pass  # the server answered and closed before the rest: what a bound is for
        answer = b""
        try:
            while data := s.recv(65536):
                answer += data
                if b"\r\n\r\n" in answer and (b"connection: close" not in answer.lower()):
                    head, _, rest = answer.partition(b"\r\n\r\n")
                    length = _content_length(head)
                    if length is not None and len(rest) >= length:
                        break
        except (ConnectionResetError, TimeoutError):
            pass
    return answer


def _content_length(head: bytes) -> int | None:
    for line in head.split(b"\r\n")[1:]:
        name, _, value = line.partition(b":")
        if name.strip().lower() == b"content-length":
            return int(value.strip())
    return None


def _status(answer: bytes) -> int | None:
    """The status of the first response, None when the server closed without one."""
    if not answer.startswith(b"HTTP/1.1 "):
        return None
    return int(answer[9:12])


@pytest.mark.parametrize(
    ("name", "raw", "expected"),
    [
        ("foreign host", b"GET /login HTTP/1.1\r\nHost: evil.example\r\n\r\n", 400),
        ("no host", b"GET /login HTTP/1.0\r\n\r\n", 400),
        ("length over the bound", PRELOGIN + b"Content-Length: 99999999\r\n\r\n{", 413),
        ("length not a number", PRELOGIN + b"Content-Length: twelve\r\n\r\n{}", 400),
        (
            "broken chunking",
            PRELOGIN + b"Transfer-Encoding: chunked\r\n\r\nzz\r\n{}\r\n0\r\n\r\n",
            400,
        ),
        ("nul in a header", b"GET /login HTTP/1.1\r\nHost: 127.0.0.1\r\nX-A: a\x00b\r\n\r\n", 400),
    ],
)
def test_malformed_requests_get_a_4xx_and_the_server_answers_after(
    live_vault: LiveVault, name: str, raw: bytes, expected: int
) -> None:
    answer = _exchange(live_vault, raw)
    status = _status(answer)
    assert status is None or status < 500, (name, answer[:200])
    assert status == expected, (name, answer[:300])
    health = _exchange(live_vault, b"GET /health HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n")
    assert _status(health) == 200 and b'"status":"ok"' in health


def test_a_signed_in_post_with_a_latin_1_csrf_token_is_refused(live_vault: LiveVault) -> None:
    """Bytes above ASCII in X-CSRF-Token (hmac.compare_digest refused the text: a 500)."""
    env = live_vault.env
    admin = enrol(env, Role.ADMIN, "root")
    token, _ = env.db.write(lambda c: sessions.create(env, c, admin.account_id, "127.0.0.1", "raw"))
    body = b"username=raw&display_name=R&role=secretary"
    answer = _exchange(
        live_vault,
        b"POST /admin/invitations HTTP/1.1\r\nHost: 127.0.0.1\r\n"
        b"Content-Type: application/x-www-form-urlencoded\r\n"
        b"Cookie: permanence_session=%s\r\nX-CSRF-Token: \xe9\xff\x80\r\n"
        b"Content-Length: %d\r\n\r\n%s" % (token.encode(), len(body), body),
    )
    assert _status(answer) == 403, answer[:300]


def test_a_chunked_body_over_the_bound_is_cut_short(live_vault: LiveVault) -> None:
    """No length announced: the server answers 413 once 64 KiB have arrived, whatever follows."""
    chunk = b"%x\r\n%s\r\n" % (32 * 1024, b"x" * 32 * 1024)
    answer = _exchange(
        live_vault,
        PRELOGIN + b"Transfer-Encoding: chunked\r\n\r\n",
        body_chunks=[chunk] * 64 + [b"0\r\n\r\n"],
    )
    assert _status(answer) == 413, answer[:300]


# A body that stops half-way: a client that hangs up is not a server error, and one that dawdles
# gets 408 once ``body_timeout_seconds`` have passed (real uvicorn, real sockets).
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

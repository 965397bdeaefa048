"""Upload parts in flight over real sockets, to the real app under uvicorn (issue 18).

A part that arrives before the one it continues waits for it (``upload_part_wait_seconds``)
and is then written: a connection dropped mid-part loses nothing acknowledged, and the
waiting part goes in once the dropped one is sent again. A part whose predecessor never
comes is refused with 409 and one sentence, in French or English, when its wait ends.
"""

from __future__ import annotations

import http.client
import json
import os
import socket
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, replace
from pathlib import Path

import pytest

from tests.blobfiles import stored_upload
from tests.e2e.conftest import new_vault, start_server
from tests.factories import REQ, add_account, add_practice, assign, encrypted_file, session_for
from vault.env import Env
from vault.identity.roles import Role
from vault.items import uploads
from vault.settings import Settings
from web.app import create_app

WAIT_SECONDS = 2


@dataclass(frozen=True)
class Uploading:
    port: int
    settings: Settings
    env: Env
    cookie: str
    csrf: str
    upload_id: str
    stream: bytes


@pytest.fixture
def uploading(tmp_path: Path) -> Iterator[Uploading]:
    """A live vault whose early parts wait two seconds, and a secretary's upload started."""
    sock, settings, vault = new_vault(tmp_path)
    settings = replace(settings, upload_part_wait_seconds=WAIT_SECONDS)
    vault = vault.with_env(settings=settings)
    env = vault.env
    practice = add_practice(env, "Cabinet Parts")
    secretary = add_account(env, Role.SECRETARY, "sophie")
    assign(env, secretary, practice)
    cookie, csrf = session_for(env, secretary)
    stream, _ = encrypted_file(os.urandom(300_000))
    up = uploads.start_upload(
        env, REQ, secretary.principal, practice.id, "5d0c6a52-3a0e-4c36-9a39-0d3c4cf0a6b1",
        len(stream),
    )  # fmt: skip
    server, thread = start_server(create_app(vault), sock)
    try:
        yield Uploading(
            sock.getsockname()[1], settings, env, cookie, csrf, up.id, stream
        )  # fmt: skip
    finally:
        server.should_exit = True
        thread.join(timeout=20)
        vault.close()


def _headers(u: Uploading, length: int, language: str = "en") -> dict[str, str]:
    return {
        "Host": f"127.0.0.1:{u.port}",
        "Cookie": f"permanence_session={u.cookie}",
        "X-CSRF-Token": u.csrf,
        "Content-Type": "application/octet-stream",
        "Content-Length": str(length),
        "Accept": "application/json",
        "Accept-Language": language,
    }


def _put(
    u: Uploading, offset: int, end: int, language: str = "en"
) -> tuple[int, dict[str, object]]:
    """PUT the stream's bytes ``offset`` to ``end``: (status, JSON answer)."""
    conn = http.client.HTTPConnection("127.0.0.1", u.port, timeout=30)
    try:
        body = u.stream[offset:end]
        conn.request(
            "PUT", f"/uploads/{u.upload_id}/{offset}", body, _headers(u, len(body), language)
        )
        answer = conn.getresponse()
        return answer.status, json.loads(answer.read())
    finally:
        conn.close()


def _received(u: Uploading) -> int:
    row = u.env.db.read(
        lambda c: c.execute("SELECT received FROM upload WHERE id = ?", (u.upload_id,)).fetchone()
    )
    return int(row[0])


def _in_background(u: Uploading, offset: int, end: int) -> tuple[threading.Thread, list[object]]:
    out: list[object] = []
    thread = threading.Thread(target=lambda: out.append(_put(u, offset, end)), daemon=True)
    thread.start()
    return thread, out


def _until_waiting(u: Uploading) -> None:
    deadline = time.monotonic() + 10
    while uploads._turn(u.upload_id).waiting == 0:
        assert time.monotonic() < deadline, "the early part never reached its wait"
        time.sleep(0.01)


def test_a_connection_dropped_mid_part_loses_nothing_acknowledged(uploading: Uploading) -> None:
    u = uploading
    a, b = 100_000, 200_000
    assert _put(u, 0, a) == (200, {"upload_id": u.upload_id, "received": a, "size": len(u.stream)})
    # The second part: headers and half its body, then the connection drops.
    with socket.create_connection(("127.0.0.1", u.port), timeout=10) as s:
        head = f"PUT /uploads/{u.upload_id}/{a} HTTP/1.1\r\n" + "".join(
            f"{name}: {value}\r\n" for name, value in _headers(u, b - a).items()
        )
        s.sendall(head.encode() + b"\r\n" + u.stream[a : a + 50_000])
    third, answers = _in_background(u, b, len(u.stream))  # already on the wire: it waits
    _until_waiting(u)
    assert _received(u) == a  # the cut part left nothing acknowledged
    assert stored_upload(u.settings, u.upload_id)[:a] == u.stream[:a]
    status, answer = _put(u, a, b)  # the browser resends the part from the server's offset
    assert (status, answer["received"]) == (200, b)
    third.join(timeout=10)
    assert answers == [
        (200, {"upload_id": u.upload_id, "received": len(u.stream), "size": len(u.stream)})
    ]
    assert _received(u) == len(u.stream)
    assert stored_upload(u.settings, u.upload_id) == u.stream


@pytest.mark.parametrize(
    ("language", "sentence"),
    [
        ("en", "This part does not continue the upload: resume from the server's offset."),
        (
            "fr",
            "Cette partie ne prolonge pas le téléversement\u00a0: reprenez à la position"
            " indiquée par le serveur.",
        ),
    ],
)
def test_a_part_ahead_of_a_missing_part_is_refused_when_its_wait_ends(
    uploading: Uploading, language: str, sentence: str
) -> None:
    u = uploading
    assert _put(u, 0, 100_000)[0] == 200
    t0 = time.monotonic()
    status, answer = _put(u, 200_000, len(u.stream), language)
    assert time.monotonic() - t0 >= WAIT_SECONDS
    assert status == 409
    assert answer["error"] == sentence
    assert _received(u) == 100_000  # nothing of it stored as acknowledged
    assert _put(u, 100_000, 200_000)[0] == 200  # resumed from the server's offset
    assert _put(u, 200_000, len(u.stream))[1]["received"] == len(u.stream)
    assert stored_upload(u.settings, u.upload_id) == u.stream


def test_a_part_that_came_early_waits_before_its_body_is_read(uploading: Uploading) -> None:
    """Review of issue 18: the body of a waiting part (up to 8 MiB) was read into memory
    first, then held for the whole wait. Now its turn comes first: the server waits with
    only the headers received, and reads the body once the part before it is stored."""
    u = uploading
    a = 100_000
    with socket.create_connection(("127.0.0.1", u.port), timeout=15) as s:
        head = f"PUT /uploads/{u.upload_id}/{a} HTTP/1.1\r\n" + "".join(
            f"{name}: {value}\r\n" for name, value in _headers(u, len(u.stream) - a).items()
        )
        s.sendall(head.encode() + b"\r\n")  # the headers only: no byte of the body yet
        _until_waiting(u)
        assert _put(u, 0, a)[0] == 200
        s.sendall(u.stream[a:])
        answer = s.makefile("rb").read1(65536)
    assert answer.startswith(b"HTTP/1.1 200")
    assert _received(u) == len(u.stream)
    assert stored_upload(u.settings, u.upload_id) == u.stream


def test_a_part_declaring_more_than_fits_is_refused_before_its_body(uploading: Uploading) -> None:
    """Past the stream's end, or larger than a part: refused on its headers (400, 413)."""
    u = uploading
    for offset, length, status in ((len(u.stream) - 10, 5000, 400), (0, 9 * 1024**2, 413)):
        with socket.create_connection(("127.0.0.1", u.port), timeout=15) as s:
            head = f"PUT /uploads/{u.upload_id}/{offset} HTTP/1.1\r\n" + "".join(
                f"{name}: {value}\r\n" for name, value in _headers(u, length).items()
            )
            t0 = time.monotonic()
            s.sendall(head.encode() + b"\r\n")
            answer = s.makefile("rb").read1(65536)
            assert time.monotonic() - t0 < WAIT_SECONDS  # neither waited nor read a body
        assert answer.startswith(f"HTTP/1.1 {status}".encode()), answer[:200]
        assert b"larger than this vault accepts" in answer
    assert _received(u) == 0

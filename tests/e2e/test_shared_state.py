"""Nothing that only one server process knows: a sign-out through one process is refused
by the other within the session cache's bound (2 s), an upload's parts may reach either
process, an export handle and a "verify now" run started on one are served by the other.
"""

from __future__ import annotations

import json
import os
import random
import re
import time
from pathlib import Path

import httpx2 as httpx
import pytest

from crypto.encoding import b64url_encode
from tests.e2e.several_processes import ServerProcess
from tests.e2e.storm import (
    arrange,
    mailbox_fixture,  # noqa: F401 - the ``mailbox`` fixture
    signed_in_auditor,
)
from tests.e2e.vault_process import extract_parts, read_item
from tests.vault.notify.receivers import Inbox
from vault.identity import session_cache

pytestmark = pytest.mark.slow


def test_a_sign_out_through_one_process_is_refused_by_the_other_within_the_bound(
    tmp_path: Path, mailbox: Inbox
) -> None:
    arranged = arrange(tmp_path / "data", mailbox.port)
    one, other = (
        ServerProcess(arranged.settings),
        ServerProcess(arranged.settings),
    )
    one.start()
    other.start()
    try:
        with httpx.Client(headers=arranged.member_headers, timeout=10) as member:
            assert member.get(other.base_url + "/inbox").status_code == 200  # cached there
            out = member.post(one.base_url + "/logout", headers={"origin": one.base_url})
            assert out.status_code < 400, out.text
            signed_out = time.monotonic()
            while member.get(other.base_url + "/inbox").status_code == 200:
                assert time.monotonic() - signed_out < session_cache.MAX_AGE.total_seconds() + 1
                time.sleep(0.05)
    finally:
        one.stop()
        other.stop()


def test_an_upload_whose_parts_reach_both_processes(tmp_path: Path, mailbox: Inbox) -> None:
    """A resumable upload behind a load balancer: its parts alternate between the two
    processes, the deposit goes to one, the member downloads it from the other."""
    arranged = arrange(tmp_path / "data", mailbox.port)
    one, other = ServerProcess(arranged.settings), ServerProcess(arranged.settings)
    one.start()
    other.start()
    data = random.Random(16).randbytes(5 * 64 * 1024 + 123)  # noqa: S311 - test data
    item_id, stream, body = extract_parts(arranged, data)
    part = 64 * 1024
    try:
        with httpx.Client(headers=arranged.secretary_headers, timeout=30) as secretary:
            started = secretary.post(
                one.base_url + "/uploads",
                json={"practice_id": arranged.practice.id, "item_id": item_id, "size": len(stream)},
            )
            assert started.status_code == 200, started.text
            upload_id = started.json()["upload_id"]
            for n, offset in enumerate(range(0, len(stream), part)):
                server = (one, other)[n % 2]
                put = secretary.put(
                    f"{server.base_url}/uploads/{upload_id}/{offset}",
                    content=stream[offset : offset + part],
                )
                assert put.status_code < 300, put.text
            deposited = secretary.post(
                other.base_url + "/items", json={**body, "upload_id": upload_id}
            )
            assert deposited.status_code == 201, deposited.text
        with httpx.Client(
            base_url=one.base_url, headers=arranged.member_headers, timeout=30
        ) as member:
            assert read_item(member, arranged, item_id) == data
    finally:
        one.stop()
        other.stop()


def test_an_export_and_a_verification_started_on_one_process_are_seen_by_the_other(
    tmp_path: Path, mailbox: Inbox
) -> None:
    """The console behind a load balancer: the export's download and the "verify now"
    polling reach another process than the one the auditor's form reached."""
    arranged = arrange(tmp_path / "data", mailbox.port)
    headers, auditor = signed_in_auditor(arranged.settings)
    one, other = ServerProcess(arranged.settings), ServerProcess(arranged.settings)
    one.start()
    other.start()
    try:
        with httpx.Client(headers=headers, timeout=30) as console:
            ready = console.post(
                one.base_url + "/audit/export",
                data={"code": auditor.code()},
                headers={"origin": one.base_url},
            )
            assert ready.status_code == 200, ready.text
            link = re.search(r'href="(/audit/export/[0-9a-f]+)"', ready.text)
            assert link is not None
            bundle = console.get(other.base_url + link.group(1))
            assert bundle.status_code == 200
            assert json.loads(bundle.content)  # the bundle, whole
            assert console.get(one.base_url + link.group(1)).status_code == 404  # once only
            assert console.get(other.base_url + link.group(1)).status_code == 404

            started = console.post(one.base_url + "/audit/verify", headers={"origin": one.base_url})
            assert started.status_code == 200, started.text
            poll = re.search(r'hx-get="(/audit/verify/[0-9a-f]+)"', started.text)
            assert poll is not None
            deadline = time.monotonic() + 30
            while (
                'data-verify="ok"' not in (page := console.get(other.base_url + poll.group(1))).text
            ):
                assert page.status_code == 200, page.text
                assert 'data-verify="failed"' not in page.text, page.text
                assert time.monotonic() < deadline
                time.sleep(0.1)
    finally:
        one.stop()
        other.stop()


def test_sign_in_failures_through_one_process_throttle_the_other(
    tmp_path: Path, mailbox: Inbox
) -> None:
    """Three wrong passwords for one name through one process: the fourth attempt, through
    the other, already waits (vault/identity/throttle.py counts rows, not a process's
    memory; unknown names are throttled as known ones)."""
    arranged = arrange(tmp_path / "data", mailbox.port)
    one, other = ServerProcess(arranged.settings), ServerProcess(arranged.settings)
    one.start()
    other.start()

    def guess(server: ServerProcess) -> httpx.Response:
        key = b64url_encode(os.urandom(32))  # a wrong password, for a name nobody has
        wrong = {"username": "nobody.workers", "auth_key": key, "code": "000000"}
        return httpx.post(server.base_url + "/login", json=wrong, timeout=30)

    try:
        for _ in range(3):  # vault/identity/throttle.py ACCOUNT_LIMIT: free until the third
            assert guess(one).status_code == 401
        refused = guess(other)
        assert refused.status_code == 429, refused.text
        assert int(refused.headers["retry-after"]) >= 1
    finally:
        one.stop()
        other.stop()

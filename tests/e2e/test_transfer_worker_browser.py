"""Extract uploads through the transfer Worker (issue 18), in real Chromium against uvicorn.

The product's own upload module (``pages/extract-upload.js``, the module the deposit page
runs) uploads a 20 MiB file: parts of at most 8 MiB, two in flight and in order, whose
stream Python's ``crypto.stream`` decrypts to the file; the worker, left alone, encrypts
exactly ``PARTS_AHEAD`` parts ahead and waits; connections dropped mid-pipeline (a part the
server stored but whose answer was lost, a part that never arrived) resume from the server's
offset, as does a part the server refused (409) after waiting too long for the one before
it; a cancelled upload sends nothing more and stays incomplete on the server. The
worker's download gives the file (and progress) only once verified, and refuses a stream
altered on the server's disk.
"""

from __future__ import annotations

import base64
import hashlib
import io
import os
import socket
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path

import pytest
from playwright.sync_api import Browser, Page, Route

from crypto.envelope import ItemKind
from crypto.stream import FileManifest, decrypt_stream
from tests.blobfiles import alter_blob, stored_upload
from tests.browser.conftest import _CSP_LISTENER
from tests.e2e.conftest import ARRANGE, start_server
from tests.e2e.deposit_site import PRACTICE, Site, _Logs, _Recorder
from tests.factories import (
    REQ,
    add_account,
    add_practice,
    assign,
    encrypted_file,
    open_test_vault,
    seal,
    session_for,
)
from vault.env import Principal
from vault.identity import accounts, practices
from vault.identity.roles import Role
from vault.items import deposits, uploads
from vault.settings import MIB, Settings
from vault.storage.datadir import initialise
from web.app import create_app

PART = 8 * MIB
SIZE = 20 * MIB + 12_345  # three parts: 8 MiB, 8 MiB and the rest

_UPLOAD = """async ([practiceId, abort]) => {
  const { uploadExtract } = await import("/static/js/pages/extract-upload.js");
  const file = document.querySelector("#extract-form input[name=file]").files[0];
  const options = { practiceId, itemId: crypto.randomUUID() };
  if (abort) {
    window.__abort = new AbortController();
    options.signal = window.__abort.signal;
  }
  try {
    const { uploadId, manifest } = await uploadExtract(file, options);
    return { uploadId, manifest };
  } catch (error) {
    return { error: error.name };
  }
}"""


@pytest.fixture
def site(tmp_path: Path) -> Iterator[Site]:
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    settings = replace(
        Settings(data_dir=tmp_path / "data"),
        port=port,
        base_url=f"http://127.0.0.1:{port}",
        upload_limit_bytes=32 * MIB,
        upload_part_wait_seconds=3,  # a part left waiting by a cancel does not hold the server
    )
    initialise(settings)
    vault = open_test_vault(settings)
    server, thread = start_server(_Recorder(create_app(vault)), sock)
    try:
        yield Site(settings.base_url, settings, vault.env, _Recorder(None), _Logs())
    finally:
        server.should_exit = True
        thread.join(timeout=20)
        vault.db.close()


def _workspace(site: Site, chromium: Browser, file: Path) -> tuple[Page, str]:
    site.enrol(Role.MEMBER, "dr.lambert", PRACTICE)
    secretary_id = site.enrol(Role.SECRETARY, "sophie")
    admin_id = accounts.invite(
        site.env, ARRANGE, None, username="root", display_name="Root", role=Role.ADMIN
    ).account_id
    practice_id = site.env.db.read(
        lambda c: c.execute("SELECT id FROM practice WHERE name = ?", (PRACTICE,)).fetchone()[0]
    )
    admin = Principal(admin_id, "root", Role.ADMIN)
    practices.set_assignment(site.env, ARRANGE, admin, secretary_id, practice_id, True)
    context = chromium.new_context(locale="fr-FR")
    context.add_init_script(_CSP_LISTENER)
    page = context.new_page()
    page.set_default_timeout(60_000)
    page.goto(site.base_url + "/login")
    page.fill("input[name=username]", "sophie")
    page.fill("#password", site.passwords["sophie"])
    page.fill("input[name=code]", site.next_code("sophie"))
    page.click("#login-form button[type=submit]")
    page.wait_for_url(lambda url: "/login" not in url, timeout=30_000)
    page.goto(f"{site.base_url}/workspace/{practice_id}")
    page.wait_for_selector("#deposit")
    page.set_input_files("#extract-form input[name=file]", str(file))
    return page, practice_id


def _file(tmp_path: Path) -> tuple[Path, bytes]:
    data = os.urandom(SIZE)
    path = tmp_path / "extract.bin"
    path.write_bytes(data)
    return path, data


def _stream_on_server(site: Site, upload_id: str) -> bytes:
    return stored_upload(site.settings, upload_id)


def _manifest(answer: dict[str, object]) -> FileManifest:
    return FileManifest.from_json(answer["manifest"])  # type: ignore[arg-type]


def _decrypt(stream: bytes, answer: dict[str, object]) -> bytes:
    """The stream decrypted and verified by Python's crypto.stream with the browser's manifest."""
    manifest = _manifest(answer)
    out = io.BytesIO()
    size = decrypt_stream(io.BytesIO(stream), out, manifest.file_key, manifest.stream_hash)
    assert size == manifest.size
    return out.getvalue()


def _offset(route: Route) -> int:
    return int(route.request.url.rsplit("/", 1)[1])


def test_the_products_stream_goes_in_ordered_parts_and_decrypts_with_python(
    site: Site, chromium: Browser, tmp_path: Path
) -> None:
    path, data = _file(tmp_path)
    page, practice_id = _workspace(site, chromium, path)
    try:
        puts: list[tuple[int, int]] = []

        def record(route: Route) -> None:
            if route.request.method == "PUT":
                puts.append((_offset(route), len(route.request.post_data_buffer or b"")))
            route.continue_()

        page.route("**/uploads/*/*", record)
        answer = page.evaluate(_UPLOAD, [practice_id, False])
        assert "error" not in answer, answer
        stream = _stream_on_server(site, str(answer["uploadId"]))
        assert puts == [(0, PART), (PART, PART), (2 * PART, len(stream) - 2 * PART)]
        assert _decrypt(stream, answer) == data
        stats = page.evaluate("import('/static/js/app/transfer.js').then(m => m.lastStats.upload)")
        assert stats["parts"] == 3
        assert stats["bytes"] == len(stream)  # encrypted in the worker, counted there
        assert page.evaluate("window.__cspViolations") == []
    finally:
        page.context.close()


def test_left_alone_the_worker_encrypts_parts_ahead_and_then_waits(
    site: Site, chromium: Browser, tmp_path: Path
) -> None:
    path, _ = _file(tmp_path)
    page, _ = _workspace(site, chromium, path)
    try:
        queued = page.evaluate(
            """async () => {
              const t = await import("/static/js/app/transfer.js");
              const file = document.querySelector("#extract-form input[name=file]").files[0];
              const worker = t.transferWorker();
              const parts = new t.WorkerParts(
                worker, { op: "encrypt", file, partBytes: 4 << 20, name: "x", mediaType: "x" });
              await new Promise((resolve) => setTimeout(resolve, 3000));
              worker.terminate();
              return [parts.queue.length, t.PARTS_AHEAD, parts.result === null];
            }"""
        )
        assert queued == [2, 2, True]  # of six parts, two made and then the worker waits
    finally:
        page.context.close()


def test_connections_dropped_mid_pipeline_resume_from_the_servers_offset(
    site: Site, chromium: Browser, tmp_path: Path
) -> None:
    path, data = _file(tmp_path)
    page, practice_id = _workspace(site, chromium, path)
    try:
        attempts: list[int] = []

        def flaky(route: Route) -> None:
            if route.request.method != "PUT":
                route.continue_()
                return
            offset = _offset(route)
            attempts.append(offset)
            if offset == PART and attempts.count(offset) == 1:
                route.fetch()  # the server stores the part, the answer is lost
                route.abort()
            elif offset == 2 * PART and attempts.count(offset) == 1:
                route.abort()  # the part never arrives
            else:
                route.continue_()

        page.route("**/uploads/*/*", flaky)
        answer = page.evaluate(_UPLOAD, [practice_id, False])
        assert "error" not in answer, answer
        # The second part is not sent again (the server held it); the third is.
        assert attempts == [0, PART, 2 * PART, 2 * PART]
        assert _decrypt(_stream_on_server(site, str(answer["uploadId"])), answer) == data
    finally:
        page.context.close()


def test_two_parts_go_in_flight_and_a_409_after_a_lost_part_resumes_from_the_server(
    site: Site, chromium: Browser, tmp_path: Path
) -> None:
    """The second part is held by the network, the third reaches the server and waits for
    it: past the server's wait (3 s here) it is refused with 409; the second part is then lost,
    sent again from the server's offset, and the third after it. The stream is whole."""
    path, data = _file(tmp_path)
    page, practice_id = _workspace(site, chromium, path)
    try:
        held: list[Route] = []
        attempts: list[int] = []
        answers: list[tuple[int, int]] = []

        def hold_second(route: Route) -> None:
            if route.request.method == "PUT":
                attempts.append(_offset(route))
                if _offset(route) == PART and not held:
                    held.append(route)
                    return
            route.continue_()

        def answered(response: object) -> None:
            url, status = response.url, response.status  # type: ignore[attr-defined]
            if response.request.method == "PUT":  # type: ignore[attr-defined]
                answers.append((int(url.rsplit("/", 1)[1]), status))

        page.route("**/uploads/*/*", hold_second)
        page.on("response", answered)
        page.evaluate(f"(args) => {{ window.__upload = ({_UPLOAD})(args); }}", [practice_id, False])
        for _ in range(400):  # the third part on the wire while the second is held: in flight
            if (2 * PART, 409) in answers:
                break
            page.wait_for_timeout(50)
        assert attempts[:3] == [0, PART, 2 * PART]
        assert (2 * PART, 409) in answers  # it waited for the held part, then was refused
        held[0].abort()  # the held part never arrives
        answer = page.evaluate("window.__upload")
        assert "error" not in answer, answer
        assert attempts.count(PART) == 2 and attempts.count(2 * PART) == 2
        assert [a for a in answers if a[1] != 200] == [(2 * PART, 409)]
        assert _decrypt(_stream_on_server(site, str(answer["uploadId"])), answer) == data
    finally:
        page.context.close()


def test_a_cancelled_upload_sends_nothing_more_and_stays_incomplete(
    site: Site, chromium: Browser, tmp_path: Path
) -> None:
    path, _ = _file(tmp_path)
    page, practice_id = _workspace(site, chromium, path)
    try:
        held: list[Route] = []
        offsets: list[int] = []

        def hold_second(route: Route) -> None:
            if route.request.method == "PUT":
                offsets.append(_offset(route))
                if _offset(route) == PART:
                    held.append(route)
                    return
            route.continue_()

        page.route("**/uploads/*/*", hold_second)
        # Started without waiting for it (evaluate would wait for the held part).
        page.evaluate(f"(args) => {{ window.__upload = ({_UPLOAD})(args); }}", [practice_id, True])
        for _ in range(600):
            if held:
                break
            page.wait_for_timeout(50)
        assert held
        page.wait_for_timeout(300)  # the part after the held one may be on the wire by now
        sent_before = list(offsets)
        page.evaluate("window.__abort.abort()")
        held[0].abort()
        assert page.evaluate("window.__upload") == {"error": "AbortError"}
        page.wait_for_timeout(500)
        assert offsets == sent_before  # nothing after the cancel
        assert sent_before[:2] == [0, PART] and len(sent_before) <= 3  # two parts in flight
        rows = site.env.db.read(
            lambda c: c.execute("SELECT total, received FROM upload").fetchall()
        )
        assert len(rows) == 1
        total, received = rows[0]
        assert received == PART < total  # the server counts it incomplete: no deposit names it
        assert site.env.db.read(lambda c: c.execute("SELECT COUNT(*) FROM item").fetchone()[0]) == 0
    finally:
        page.context.close()


_DOWNLOAD = """async ([url, manifest, hashWorker]) => {
  const transfer = await import("/static/js/app/transfer.js");
  const pc = await import("/static/js/crypto/index.js");
  const m = pc.parseManifest(manifest);
  const worker = transfer.transferWorker();
  const hasher = hashWorker ? transfer.transferWorker() : null;
  const seen = [];
  try {
    const job = { url, fileKey: m.fileKey, streamHash: m.streamHash, mediaType: m.mediaType };
    const onProgress = (received) => seen.push(received);
    const blob = await transfer.decryptInWorker(worker, job, onProgress, hasher);
    const digest = await crypto.subtle.digest("SHA-256", await blob.arrayBuffer());
    return { size: blob.size, type: blob.type, sha256: pc.toBase64url(new Uint8Array(digest)),
             progress: seen.length, last: seen.at(-1) };
  } catch (error) {
    return { error: error.message };
  } finally {
    worker.terminate();
    hasher?.terminate();
  }
}"""


@pytest.mark.parametrize("hash_worker", [False, True], ids=["one worker", "hash in a second"])
def test_the_worker_download_gives_the_verified_file_and_refuses_an_altered_stream(
    site: Site, chromium: Browser, tmp_path: Path, hash_worker: bool
) -> None:
    """With the stream hash in the decrypting worker or in a second one (issue 18): the
    verified file, with progress; a stream cut short on the way, or with a byte altered on
    the server's disk, is refused and no Blob is made."""
    env = site.env
    practice = add_practice(env, "Cabinet Worker")
    member = add_account(env, Role.MEMBER, "dr.worker", practice)
    secretary = add_account(env, Role.SECRETARY, "sam")
    assign(env, secretary, practice)
    data = os.urandom(9 * MIB + 7)
    stream, manifest = encrypted_file(data, "extract.bin")
    item_id, envelope = seal(secretary, practice, kind=ItemKind.EXTRACT, body=manifest.to_body())
    up = uploads.start_upload(env, REQ, secretary.principal, practice.id, item_id, len(stream))
    uploads.append(env, REQ, secretary.principal, up.id, 0, [stream], len(stream))
    deposit = deposits.Deposit(item_id, practice.id, envelope, upload_id=up.id)
    deposits.deposit(env, REQ, secretary.principal, deposit)
    context = chromium.new_context()
    context.add_init_script(_CSP_LISTENER)
    token = session_for(env, member)[0]
    context.add_cookies([{"name": "permanence_session", "value": token, "url": site.base_url}])
    page = context.new_page()
    page.set_default_timeout(60_000)
    try:
        page.goto(f"{site.base_url}/items/{item_id}")
        args = [f"/items/{item_id}/file", manifest.to_json(), hash_worker]
        got = page.evaluate(_DOWNLOAD, args)
        expected = base64.urlsafe_b64encode(hashlib.sha256(data).digest()).rstrip(b"=").decode()
        assert got["sha256"] == expected
        assert got["size"] == len(data)
        assert got["last"] == len(stream)  # progress told up to the last byte
        assert got["progress"] >= 2  # told on the way, not only at the end
        if hash_worker:
            stats = page.evaluate(
                "import('/static/js/app/transfer.js').then(m => m.lastStats.download)"
            )
            assert stats["hashCopies"] == 0  # the response's pieces moved to the hash worker
            assert stats["hashMs"] > 0 and stats["hashWaitMs"] >= 0

        def cut_short(route: Route) -> None:  # the last chunk lost on the way
            whole = route.fetch().body()
            route.fulfill(status=200, body=whole[: len(whole) - 1000])

        page.route("**/file", cut_short)
        assert page.evaluate(_DOWNLOAD, args) == {"error": "decryption failed"}
        page.unroute("**/file")
        alter_blob(site.settings, item_id)
        assert page.evaluate(_DOWNLOAD, args) == {"error": "decryption failed"}
        assert page.evaluate("window.__cspViolations") == []
    finally:
        context.close()


def test_with_the_hash_in_a_second_worker_the_upload_decrypts_with_python(
    site: Site, chromium: Browser, tmp_path: Path
) -> None:
    """Where the device has cores to spare, the upload's stream hash is computed in a second
    worker from the parts' Blobs: the manifest's hash is the stream's (Python checks it)."""
    path, data = _file(tmp_path)
    page, practice_id = _workspace(site, chromium, path)
    try:
        answer = page.evaluate(
            _UPLOAD.replace(
                "const options = { practiceId,", "const options = { hashWorker: true, practiceId,"
            ),
            [practice_id, False],
        )
        assert "error" not in answer, answer
        assert _decrypt(_stream_on_server(site, str(answer["uploadId"])), answer) == data
        stats = page.evaluate("import('/static/js/app/transfer.js').then(m => m.lastStats.upload)")
        assert stats["hashWorker"] is True and stats["hashMs"] > 0
    finally:
        page.context.close()

"""An extract's file over HTTP on both blob stores (the blob directory, and the object store
on a real SeaweedFS): uploaded in parts, downloaded streamed and whole, and a file store
that cannot be reached is a 503 with its sentence, never a 500."""

from __future__ import annotations

import io
import socket
import uuid
from collections.abc import Iterator, MutableMapping
from contextlib import closing
from dataclasses import replace
from typing import Any

import anyio
import pytest
from starlette.requests import ClientDisconnect
from starlette.testclient import TestClient

from crypto.envelope import ItemKind
from tests.factories import World, encrypted_file
from tests.web.test_items_web import Clients, _deposit_json, _upload
from vault.errors import FileUnavailable
from vault.items import inbox, uploads
from vault.opening import Vault
from vault.settings import BlobStoreSettings, Settings
from vault.storage.blobs import objects
from vault.storage.blobs.chunks import Chunks
from vault.storage.blobs.objects import ObjectStore
from web import i18n
from web.app import create_app
from web.routes import items as item_routes


@pytest.fixture(params=["directory", "objects"])
def settings(settings: Settings, request: pytest.FixtureRequest) -> Settings:
    if request.param == "directory":
        return settings
    bucket: BlobStoreSettings = request.getfixturevalue("object_bucket")
    return replace(settings, blob_store=bucket)


@pytest.fixture
def clients(world: World, vault: Vault) -> Iterator[Clients]:
    app = create_app(vault.with_env(now=world.clock))
    with TestClient(app, raise_server_exceptions=False) as c:
        yield Clients(world, c)


def _deposited(clients: Clients, stream: bytes, manifest_body: bytes) -> str:
    w = clients.world
    sec = clients.as_(w.secretary)
    iid, body = _deposit_json(w, kind=ItemKind.EXTRACT, body=manifest_body)
    upload_id = _upload(sec, w, iid, stream)
    assert sec.post("/items", json={**body, "upload_id": upload_id}).status_code == 201
    return iid


def test_a_file_streams_down_whole_with_its_headers(clients: Clients) -> None:
    """The whole stream, its length announced, no ranges (the audit entry says the whole
    file was downloaded); HEAD gives the same headers without the body."""
    stream, manifest = encrypted_file(b"a;b;c\n" * 300_000)  # a few download chunks
    iid = _deposited(clients, stream, manifest.to_body())
    member = clients.as_(clients.world.member)
    r = member.get(f"/items/{iid}/file", headers={"range": "bytes=0-10"})
    assert r.status_code == 200 and r.content == stream
    assert r.headers["content-length"] == str(len(stream))
    assert r.headers["accept-ranges"] == "none" and "content-range" not in r.headers
    assert r.headers["content-type"] == "application/octet-stream"
    head = member.head(f"/items/{iid}/file")
    assert head.status_code == 200 and head.content == b""
    assert head.headers["content-length"] == str(len(stream))


def _down(settings: BlobStoreSettings) -> ObjectStore:
    with closing(socket.socket()) as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    return ObjectStore.open(replace(settings, url=f"http://127.0.0.1:{port}"))


@pytest.mark.parametrize("settings", ["objects"], indirect=True)  # a folder is not "down"
def test_an_unreachable_file_store_is_a_503_with_its_sentence(
    clients: Clients, settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Store down: starting an upload and downloading a file are refused with the
    sentence (503); once it is back, the same upload starts."""
    stream, manifest = encrypted_file(b"x;y\n" * 1000)
    iid = _deposited(clients, stream, manifest.to_body())
    down = _down(settings.blob_store)
    monkeypatch.setattr(uploads, "blob_store", lambda env: down)
    monkeypatch.setattr(inbox, "blob_store", lambda env: down)
    w = clients.world
    r = clients.as_(w.member).get(f"/items/{iid}/file")
    assert r.status_code == 503 and r.json()["error"] == i18n.translate(objects.UNREACHABLE, "fr")
    sec = clients.as_(w.secretary)
    start = {"practice_id": w.practice.id, "item_id": str(uuid.uuid4()), "size": len(stream)}
    r = sec.post("/uploads", json=start)
    assert r.status_code == 503 and r.json()["error"] == i18n.translate(objects.UNREACHABLE, "fr")
    monkeypatch.undo()
    r = sec.post("/uploads", json=start)
    assert r.status_code == 200 and r.json()["received"] == 0


def _replace_blob(
    request: pytest.FixtureRequest, settings: Settings, iid: str, data: bytes
) -> None:
    """Overwrite an item's stored blob behind the vault's back (an operator's mistake, an
    attack on the store): the admin key on the object store, the file in ``blobs/``."""
    if settings.blob_store.url:
        server = request.getfixturevalue("object_store_server")
        server.admin().put_object(Bucket=settings.blob_store.bucket, Key=f"items/{iid}", Body=data)
    else:
        path = settings.layout.blobs_dir / iid[:2] / iid
        path.chmod(0o600)
        path.write_bytes(data)


@pytest.mark.parametrize("longer", [True, False], ids=["longer", "shorter"])
def test_a_blob_replaced_by_another_size_is_a_503_before_any_byte(
    clients: Clients,
    settings: Settings,
    request: pytest.FixtureRequest,
    caplog: pytest.LogCaptureFixture,
    longer: bool,
) -> None:
    """A blob whose stored size is not the item row's is refused with the file's sentence
    (503) before the response starts, logged in one line without a traceback: never more
    or fewer bytes than the Content-Length the row gives."""
    stream, manifest = encrypted_file(b"a;b\n" * 10_000)
    iid = _deposited(clients, stream, manifest.to_body())
    _replace_blob(request, settings, iid, stream + b"x" * 100 if longer else stream[:-100])
    caplog.clear()
    r = clients.as_(clients.world.member).get(f"/items/{iid}/file")
    assert r.status_code == 503
    assert r.json()["error"] == i18n.translate(FileUnavailable.message, "fr")
    assert r.json()["error"] != FileUnavailable.message  # the French sentence
    english = clients.as_(clients.world.member).get(
        f"/items/{iid}/file", headers={"accept-language": "en"}
    )
    assert english.status_code == 503 and english.json()["error"] == FileUnavailable.message
    wrong = [rec for rec in caplog.records if "bytes in the blob store" in rec.getMessage()]
    assert wrong and all(rec.exc_info is None for rec in wrong)
    assert all(rec.exc_info is None for rec in caplog.records if rec.levelno >= 40)
    size = len(stream) + 100 if longer else len(stream) - 100
    assert wrong[0].getMessage() == (
        f"blob of an item has {size} bytes in the blob store, its item row {len(stream)}: refused"
    )


def test_a_download_cut_short_closes_its_source() -> None:
    """The client goes away after the first chunk: the blob's file (or the store's GET)
    is closed then, not whenever the garbage collector comes by."""
    closed: list[bool] = []
    data = io.BytesIO(b"\x01" * (3 * 1024 * 1024))
    chunks = Chunks(data.read, lambda: closed.append(True))
    response = item_routes._Streamed(chunks, media_type="application/octet-stream")
    scope = {"type": "http", "asgi": {"spec_version": "2.4"}, "method": "GET", "headers": []}

    async def receive() -> dict[str, object]:
        await anyio.sleep_forever()
        return {}

    async def send(message: MutableMapping[str, Any]) -> None:
        if message["type"] == "http.response.body" and message.get("body"):
            raise OSError("the client hung up")

    with pytest.raises(ClientDisconnect):
        anyio.run(response, scope, receive, send)
    assert closed == [True]

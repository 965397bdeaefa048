"""The object store on a real SeaweedFS: its key scheme, write-once by conditional
completion, streamed composition in bounded memory, and its failures as one sentence."""

from __future__ import annotations

import hashlib
import os
import socket
import tracemalloc
import urllib.error
import urllib.request
import uuid
from collections.abc import Iterator
from contextlib import closing
from dataclasses import replace

import pytest

from crypto.secret import Secret
from tests.objectstore import ObjectStoreServer
from vault.errors import BlobExists, FileStoreUnavailable
from vault.settings import BlobStoreSettings
from vault.storage.blobs import objects
from vault.storage.blobs.objects import ObjectStore

MiB = 1024 * 1024


def _id() -> str:
    return str(uuid.uuid4())


def _pattern(total: int, seed: bytes = b"") -> Iterator[bytes]:
    """``total`` bytes that differ from MiB to MiB, made one MiB at a time."""
    block = os.urandom(MiB)
    for n in range(0, total, MiB):
        yield (n.to_bytes(8, "big") + seed + block)[: min(MiB, total - n)]


def _digest(chunks: Iterator[bytes]) -> str:
    h = hashlib.sha256()
    for chunk in chunks:
        h.update(chunk)
    return h.hexdigest()


def _write_all(store: ObjectStore, upload: str, data: Iterator[bytes], part: int) -> str:
    """Upload ``data`` in parts of ``part`` bytes (what a client's requests would be);
    returns the digest of what was sent."""
    h = hashlib.sha256()
    offset = 0
    for piece in objects._rechunked(data, part):
        h.update(piece)
        offset = store.write_at(upload, offset, [piece])
    return h.hexdigest()


@pytest.fixture
def store(object_bucket: BlobStoreSettings) -> ObjectStore:
    return ObjectStore.open(object_bucket)


def _keys(server: ObjectStoreServer, bucket: str) -> list[str]:
    answer = server.admin().list_objects_v2(Bucket=bucket)
    return [e["Key"] for e in answer.get("Contents", [])]


# -- the store's own guarantees -----------------------------------------------------------


def test_anonymous_requests_are_refused(
    object_store_server: ObjectStoreServer, store: ObjectStore
) -> None:
    """Authentication is on: without a signature, the bucket and its objects are 403."""
    item = _id()
    store.put_item(item, [b"\x01secret ciphertext"])
    for path in (f"/{store.bucket}/items/{item}", f"/{store.bucket}", "/"):
        with pytest.raises(urllib.error.HTTPError) as refused:
            urllib.request.urlopen(object_store_server.url + path, timeout=10)  # noqa: S310 - http to the test server
        refused.value.close()
        assert refused.value.code == 403


def test_the_store_refuses_a_second_object_under_a_published_key_by_itself(
    store: ObjectStore, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Write-once does not rest on the HEAD check alone: with it passed over (a twin in
    another process published between its HEAD and its completion), SeaweedFS refuses the
    conditional completion (If-None-Match: *) and the first blob stays."""
    first, second = os.urandom(3000), os.urandom(3000)
    item = _id()
    store.put_item(item, [first])
    upload = _id()
    store.write_at(upload, 0, [second])
    monkeypatch.setattr(ObjectStore, "_head", lambda self, key: None)
    with pytest.raises(BlobExists):
        store.publish(upload, item, len(second))
    monkeypatch.undo()
    assert b"".join(store.read_item(item)) == first


# -- uploads: parts from anywhere, the acknowledged offset authoritative -------------------


def test_parts_may_reach_different_processes(object_bucket: BlobStoreSettings) -> None:
    """Three stores with clients of their own (as three server processes): one takes the
    first part, another the second, a third publishes. Nothing is kept in memory."""
    a, b, c = (ObjectStore.open(object_bucket) for _ in range(3))
    data = os.urandom(250_000)
    upload, item = _id(), _id()
    a.create_upload(upload)
    assert a.write_at(upload, 0, [data[:100_000]]) == 100_000
    assert b.write_at(upload, 100_000, [data[100_000:]]) == len(data)
    c.publish(upload, item, len(data))
    assert b"".join(a.read_item(item)) == data


def test_a_stale_unacknowledged_part_is_passed_over(
    object_store_server: ObjectStoreServer, store: ObjectStore
) -> None:
    """A part stored after the acknowledged offset but never acknowledged (garbage, as a
    crash could leave) is ignored: the resend from that offset is what is published."""
    data = os.urandom(150_000)
    upload, item = _id(), _id()
    store.write_at(upload, 0, [data[:70_000]])
    stale = objects._part_key(upload, 70_000, 70_007)
    object_store_server.admin().put_object(Bucket=store.bucket, Key=stale, Body=b"garbage")
    store.write_at(upload, 70_000, [data[70_000:]])
    store.publish(upload, item, len(data))
    assert b"".join(store.read_item(item)) == data
    assert _keys(object_store_server, store.bucket) == [f"items/{item}"]  # parts dropped


def test_a_shorter_resend_landing_after_a_longer_acknowledged_part_cuts_nothing(
    store: ObjectStore,
) -> None:
    """Two processes hold the same part: the longer one (bytes 1,000 to 9,000) was stored
    and acknowledged; the shorter resend (1,000 to 5,000) lands after it and the client,
    told 9,000, never sends 5,000 to 9,000. Nothing was overwritten: the upload is whole."""
    data = os.urandom(9000)
    upload, item = _id(), _id()
    store.write_at(upload, 0, [data[:1000]])
    store.write_at(upload, 1000, [data[1000:]])
    store.write_at(upload, 1000, [data[1000:5000]])
    store.publish(upload, item, len(data))
    assert b"".join(store.read_item(item)) == data


def test_a_write_over_part_bytes_becomes_several_parts(
    object_store_server: ObjectStoreServer, store: ObjectStore
) -> None:
    upload = _id()
    data = os.urandom(objects.PART_BYTES + 10)
    assert store.write_at(upload, 0, [data[:MiB], data[MiB:]]) == len(data)
    keys = _keys(object_store_server, store.bucket)
    assert keys == [
        objects._part_key(upload, 0, objects.PART_BYTES),
        objects._part_key(upload, objects.PART_BYTES, len(data)),
    ]


# -- publishing large files: streamed, never whole in memory -------------------------------


def test_a_100_mib_upload_in_small_parts_publishes_in_bounded_memory(store: ObjectStore) -> None:
    """4 MiB parts (the command line's) are under S3's 5 MiB minimum, so publish streams
    them through its buffer: the most Python memory it holds at once stays under four
    composed parts (32 MiB: the buffer, the part being sent, the one before it), whatever
    the file's size; reading it back streams in 1 MiB chunks."""
    total = 100 * MiB + 12345
    upload, item = _id(), _id()
    sent = _write_all(store, upload, _pattern(total), 4 * MiB)
    tracemalloc.start()
    try:
        store.publish(upload, item, total)
        _, publish_peak = tracemalloc.get_traced_memory()
        tracemalloc.reset_peak()
        read = _digest(store.read_item(item))
        _, read_peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert read == sent and store.item_size(item) == total
    assert publish_peak < 4 * objects.PART_BYTES, publish_peak
    assert read_peak < 4 * MiB, read_peak


def test_parts_of_the_s3_minimum_are_copied_by_the_store_itself(
    store: ObjectStore, monkeypatch: pytest.MonkeyPatch
) -> None:
    """8 MiB parts (the browser's) are composed with UploadPartCopy: no byte of the file
    goes through the vault's memory (no GET of a part, no part uploaded from here)."""
    total = 3 * objects.PART_BYTES + 777
    upload, item = _id(), _id()
    sent = _write_all(store, upload, _pattern(total), objects.PART_BYTES)

    def no_streaming(*args: object, **kw: object) -> Iterator[bytes]:
        raise AssertionError("the parts were streamed through the vault")

    monkeypatch.setattr(ObjectStore, "_chain_bytes", no_streaming)
    store.publish(upload, item, total)
    assert _digest(store.read_item(item)) == sent


def test_put_item_streams_a_large_blob_in_bounded_memory(store: ObjectStore) -> None:
    """``put_item`` (``permanence migrate-to``) sends a 64 MiB blob in parts: its peak
    Python memory stays under four parts, below the blob's size."""
    total = 64 * MiB + 3
    item = _id()
    tracemalloc.start()
    try:
        assert store.put_item(item, _pattern(total, b"put")) == total
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert store.item_size(item) == total
    assert peak < 4 * objects.PART_BYTES, peak


# -- failures: one sentence, no secret ------------------------------------------------------


def _closed_port() -> int:
    with closing(socket.socket()) as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def test_wrong_credentials_are_one_sentence_without_the_secret(
    object_bucket: BlobStoreSettings, caplog: pytest.LogCaptureFixture
) -> None:
    wrong = replace(object_bucket, secret_access_key=Secret(b"not-the-secret-0123456789"))
    store = ObjectStore.open(wrong)
    with pytest.raises(FileStoreUnavailable) as refused:
        store.write_at(_id(), 0, [b"\x01"])
    assert str(refused.value) == objects.CREDENTIALS_REFUSED
    with pytest.raises(FileStoreUnavailable, match="credentials"):
        store.has_item(_id())
    assert "not-the-secret" not in caplog.text
    assert object_bucket.secret_access_key.value.decode() not in caplog.text


def test_a_missing_bucket_is_one_sentence(object_bucket: BlobStoreSettings) -> None:
    store = ObjectStore.open(replace(object_bucket, bucket="no-such-bucket-here"))
    with pytest.raises(FileStoreUnavailable) as refused:
        store.create_upload(_id())
    with pytest.raises(FileStoreUnavailable) as refused:
        store.write_at(_id(), 0, [b"\x01"])
    assert str(refused.value) == objects.NO_BUCKET


def test_a_store_that_is_down_is_one_sentence_within_bounded_retries(
    object_bucket: BlobStoreSettings,
) -> None:
    down = ObjectStore.open(replace(object_bucket, url=f"http://127.0.0.1:{_closed_port()}"))
    item = _id()
    for call in (
        lambda: down.create_upload(_id()),
        lambda: down.write_at(_id(), 0, [b"\x01"]),
        lambda: down.read_item(item),
        lambda: down.has_item(item),
        lambda: down.publish(_id(), item, 1),
        lambda: down.collect_orphans(lambda ids: set(), lambda ids: set()),
    ):
        with pytest.raises(FileStoreUnavailable) as refused:
            call()
        assert str(refused.value) == objects.UNREACHABLE

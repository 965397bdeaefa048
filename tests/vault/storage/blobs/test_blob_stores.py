"""The BlobStore contract, on both implementations: the blob directory and the object store
(a real SeaweedFS). Write, resume, publish, read with ranges, write-once, orphans."""

from __future__ import annotations

import os
import time
import uuid
from collections.abc import Iterator
from functools import partial
from pathlib import Path

import pytest

from vault.errors import BlobExists, BlobMissing, BlobWrongSize
from vault.ids import new_item_id
from vault.settings import BlobStoreSettings, Settings
from vault.storage.blobs import ORPHAN_AGE_SECONDS, BlobDirectory, BlobStore, open_blob_store
from vault.storage.blobs.objects import ObjectStore


@pytest.fixture(params=["directory", "objects"])
def blobs(request: pytest.FixtureRequest, tmp_path: Path) -> BlobStore:
    if request.param == "directory":
        return open_blob_store(Settings(data_dir=tmp_path / "data"))
    bucket: BlobStoreSettings = request.getfixturevalue("object_bucket")
    store = open_blob_store(Settings(data_dir=tmp_path / "data", blob_store=bucket))
    assert isinstance(store, ObjectStore)
    return store


def _id() -> str:
    return str(uuid.uuid4())


def _upload(blobs: BlobStore, data: bytes, part: int = 100_000) -> str:
    upload = _id()
    blobs.create_upload(upload)
    for offset in range(0, len(data), part):
        end = blobs.write_at(upload, offset, [data[offset : offset + part]])
        assert end == min(offset + part, len(data))
    return upload


def _read(chunks: Iterator[bytes]) -> bytes:
    return b"".join(chunks)


def test_the_settings_choose_the_implementation(
    tmp_path: Path, object_bucket: BlobStoreSettings
) -> None:
    """Empty url: the data directory's blobs/; a url: the object store. One per settings."""
    local = Settings(data_dir=tmp_path / "data")
    assert isinstance(open_blob_store(local), BlobDirectory)
    assert open_blob_store(local) is open_blob_store(Settings(data_dir=tmp_path / "data"))
    remote = Settings(data_dir=tmp_path / "data", blob_store=object_bucket)
    assert isinstance(open_blob_store(remote), ObjectStore)


def test_an_upload_in_parts_publishes_and_reads_back_whole_and_in_ranges(
    blobs: BlobStore,
) -> None:
    data = os.urandom(350_001)
    upload, item = _upload(blobs, data), _id()
    assert blobs.read_head(upload, item, 5) == data[:5]
    assert not blobs.has_item(item)
    blobs.publish(upload, item, len(data))
    assert blobs.has_item(item) and blobs.item_size(item) == len(data)
    assert _read(blobs.read_item(item)) == data
    assert _read(blobs.read_item(item, 100, 200)) == data[100:200]
    assert _read(blobs.read_item(item, 349_000)) == data[349_000:]
    assert _read(blobs.read_item(item, 10, 10)) == b""
    assert blobs.read_head(upload, item, 3) == data[:3]  # a retried deposit reads the blob


def test_a_part_sent_again_from_the_acknowledged_offset_replaces_what_followed(
    blobs: BlobStore,
) -> None:
    """A part whose answer was lost is sent again, cut differently: the read follows the
    resend, not the first try."""
    data = os.urandom(300_000)
    upload = _id()
    blobs.create_upload(upload)
    assert blobs.write_at(upload, 0, [data[:100_000]]) == 100_000
    blobs.write_at(upload, 100_000, [b"\x00" * 150_000])  # never acknowledged
    assert blobs.write_at(upload, 100_000, [data[100_000:200_000]]) == 200_000
    assert blobs.write_at(upload, 200_000, [data[200_000:]]) == 300_000
    item = _id()
    blobs.publish(upload, item, len(data))
    assert _read(blobs.read_item(item)) == data


def test_publishing_the_same_upload_again_is_a_success(blobs: BlobStore) -> None:
    """A deposit retried after a crash between publish and commit publishes again."""
    data = os.urandom(200_000)
    upload, item = _upload(blobs, data), _id()
    blobs.publish(upload, item, len(data))
    blobs.publish(upload, item, len(data))
    assert _read(blobs.read_item(item)) == data


def test_a_blob_is_never_replaced_by_another_upload(blobs: BlobStore) -> None:
    first, second = os.urandom(150_000), os.urandom(150_000)
    item = _id()
    blobs.publish(_upload(blobs, first), item, len(first))
    other = _upload(blobs, second)
    with pytest.raises(BlobExists):
        blobs.publish(other, item, len(second))
    with pytest.raises(BlobExists):
        blobs.put_item(item, [second])
    assert _read(blobs.read_item(item)) == first


def test_put_item_stores_a_whole_blob_once(blobs: BlobStore) -> None:
    data = os.urandom(123_456)
    item = _id()
    assert blobs.put_item(item, [data[:1000], data[1000:]]) == len(data)
    assert _read(blobs.read_item(item)) == data
    with pytest.raises(BlobExists):
        blobs.put_item(item, [b"other"])


def test_a_missing_blob_is_refused_before_any_byte(blobs: BlobStore) -> None:
    item = _id()
    with pytest.raises(BlobMissing):
        blobs.read_item(item)
    with pytest.raises(BlobMissing):
        blobs.item_size(item)
    assert not blobs.has_item(item)


def test_a_blob_of_another_size_than_expected_is_refused_before_any_byte(
    blobs: BlobStore,
) -> None:
    """``read_item(size=...)``: the stored length must be the item row's, whole or ranged."""
    data = os.urandom(3000)
    item = _id()
    blobs.put_item(item, [data])
    assert _read(blobs.read_item(item, size=len(data))) == data
    assert _read(blobs.read_item(item, 10, 20, size=len(data))) == data[10:20]
    for size in (len(data) - 1, len(data) + 1):
        with pytest.raises(BlobWrongSize) as refused:
            blobs.read_item(item, size=size)
        assert (refused.value.stored, refused.value.expected) == (len(data), size)
        with pytest.raises(BlobWrongSize):
            blobs.read_item(item, 10, 20, size=size)
    with pytest.raises(BlobWrongSize):
        blobs.read_item(item, 5000, 5001, size=6000)  # past the stored end


def test_a_discarded_upload_leaves_nothing_to_read_or_publish(blobs: BlobStore) -> None:
    data = os.urandom(1000)
    upload = _upload(blobs, data)
    blobs.discard_upload(upload)
    with pytest.raises(BlobMissing):
        blobs.read_head(upload, _id(), 1)
    with pytest.raises(BlobMissing):
        blobs.publish(upload, _id(), len(data))


def test_orphans_older_than_the_age_go_and_everything_else_stays(blobs: BlobStore) -> None:
    """Blobs without a row and uploads without a row go once older than the age; with a
    row, or younger, they stay (``now`` moves instead of the files' times)."""
    kept_item, orphan_item = _id(), _id()
    for item in (kept_item, orphan_item):
        blobs.publish(_upload(blobs, os.urandom(1000)), item, 1000)
    kept_upload, orphan_upload = _upload(blobs, b"\x01" * 10), _upload(blobs, b"\x01" * 10)
    known_items = {kept_item}
    known_uploads = {kept_upload}

    def items(ids: list[str]) -> set[str]:
        return known_items & set(ids)

    def uploads(ids: list[str]) -> set[str]:
        return known_uploads & set(ids)

    assert blobs.collect_orphans(items, uploads) == []  # all fresh
    later = time.time() + ORPHAN_AGE_SECONDS + 60
    removed = blobs.collect_orphans(items, uploads, now=later)
    assert len(removed) == 2
    assert any(orphan_item in r for r in removed) and any(orphan_upload in r for r in removed)
    assert blobs.has_item(kept_item) and not blobs.has_item(orphan_item)
    assert blobs.read_head(kept_upload, _id(), 10) == b"\x01" * 10


def test_time_ordered_item_ids_spread_over_directories_as_random_ones_did(
    tmp_path: Path,
) -> None:
    """A version 7 id's first digits are its time: files go under its last two digits,
    while a version 4 id keeps the directory of its first two (files already stored)."""
    directory = BlobDirectory(tmp_path)
    now = 1_764_979_200_000
    v7 = [new_item_id(partial(int, now + i)) for i in range(64)]  # one 64-ms burst
    assert len({directory.path(i).parent for i in v7}) > 16
    assert all(directory.path(i).parent.name == i[-2:] for i in v7)
    v4 = "0f8fad5b-d9cb-469f-a165-70867728950e"
    assert directory.path(v4) == tmp_path / "0f" / v4

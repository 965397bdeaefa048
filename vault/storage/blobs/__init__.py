"""Blob stores: where extract files (ciphertext only) live, one blob per item.

Two implementations of one protocol, chosen by settings at the edge
(``open_blob_store``): the data directory's ``blobs/`` folder (``directory.py``, the
embedded default) and an S3-compatible object store (``objects.py``, the distributed
backend, on the boto3 bindings of ``bucket.py``, the only module that imports boto3).

The contract both keep:

- An upload grows by ``write_at(upload_id, offset, parts)``; the caller records the
  returned length as acknowledged only after ``write_at`` returned, so a part is durable
  before its offset is acknowledged. Writing again from an acknowledged offset replaces
  whatever came after it (a part cut off by a dropped connection is never read).
  Nothing about an upload is kept in process memory: parts may reach different processes.
- ``publish`` turns the first ``length`` bytes of an upload into the item's blob, durably,
  BEFORE the item's row commits (an item row never points at a missing blob; a crash
  between the two leaves an orphan, which ``collect_orphans`` removes once older than
  ``ORPHAN_AGE_SECONDS``). Blobs are written once: another upload published under a used
  item id, or ``put_item`` over a blob, raises ``BlobExists``; publishing the same upload
  again (a retried deposit) is a success.
- ``read_item`` raises ``BlobMissing`` at the call (before the first chunk) when the blob
  is not there; a store that cannot be reached raises ``FileStoreUnavailable``. Given
  ``size`` (the item row's), it raises ``BlobWrongSize`` at the call when the stored blob
  has another size, and never yields more than ``size`` bytes.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Iterable, Iterator
from pathlib import Path
from typing import Protocol

from vault.settings import BlobStoreSettings, Settings
from vault.storage.blobs.directory import ORPHAN_AGE_SECONDS, BlobDirectory

__all__ = [
    "ORPHAN_AGE_SECONDS",
    "BlobDirectory",
    "BlobStore",
    "check_blob_store",
    "open_blob_store",
]


class BlobStore(Protocol):
    def create_upload(self, upload_id: str) -> None: ...
    def write_at(self, upload_id: str, offset: int, parts: Iterable[bytes]) -> int: ...
    def read_head(self, upload_id: str, item_id: str, size: int) -> bytes: ...
    def publish(self, upload_id: str, item_id: str, length: int) -> None: ...  # durable, write-once
    def discard_upload(self, upload_id: str) -> None: ...
    def has_item(self, item_id: str) -> bool: ...
    def item_size(self, item_id: str) -> int: ...
    def read_item(
        self, item_id: str, start: int = 0, end: int | None = None, *, size: int | None = None
    ) -> Iterator[bytes]: ...
    def put_item(self, item_id: str, chunks: Iterable[bytes]) -> int: ...  # write-once
    def collect_orphans(
        self,
        known_items: Callable[[list[str]], set[str]],
        known_uploads: Callable[[list[str]], set[str]],
        *,
        now: float | None = None,
        age: float = ORPHAN_AGE_SECONDS,
    ) -> list[str]: ...


def open_blob_store(settings: Settings) -> BlobStore:
    """The blob store the settings name: the object store when ``blob_store.url`` is set,
    else the data directory's ``blobs/``. Cached per settings: the client is reused."""
    return _open(settings.layout.blobs_dir, settings.blob_store)


@functools.lru_cache(maxsize=32)
def _open(blobs_dir: Path, objects: BlobStoreSettings) -> BlobStore:
    if not objects.url:
        return BlobDirectory(blobs_dir)
    from vault.storage.blobs.objects import ObjectStore  # boto3 is imported only when used

    return ObjectStore.open(objects)


def check_blob_store(settings: Settings) -> None:
    """At a server's start-up: the object store answers, with its bucket, to the vault's
    keys (one HEAD request), else ``FileStoreUnavailable`` with its sentence. Nothing to
    check for the blob directory (the data directory was checked when the vault opened)."""
    if not settings.blob_store.url:
        return
    from vault.storage.blobs.objects import ObjectStore

    store = open_blob_store(settings)
    assert isinstance(store, ObjectStore)  # noqa: S101 - a url names the object store
    store.bucket.check(logged=False)  # the server says it in its own words
